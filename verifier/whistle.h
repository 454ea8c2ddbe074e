// Finding the first wrong leaf of a published trace and building its fraud proof (the
// whistleblower's and the disagreeing verifier's side of PROTOCOL.md section 3, step 6).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "kernels/backend.h"
#include "kernels/data.h"
#include "kernels/exec.h"
#include "kernels/spec.h"
#include "kernels/state.h"
#include "verifier/fraud_proof.h"
#include "verifier/trace.h"

namespace step::verifier {

// A segment proof for leaf j >= 1 of `leaves` (the opened trace), given the true state at leaf
// j-1 (which the prover replayed to; its leaf must equal leaves[j-1] or the proof is useless).
Result<FraudProof> build_segment_proof(const kernels::TaskSpec& spec,
                                       const kernels::Dataset& data, const UnitRef& unit,
                                       const std::vector<Hash256>& leaves, uint32_t leaf,
                                       const kernels::TrainState& pre_state);

// A leaf-0 proof: round 0 carries nothing; round > 0 carries the K previous final states.
FraudProof build_leaf0_proof(const std::vector<Hash256>& leaves,
                             const std::vector<kernels::TrainState>& previous_finals);

struct WrongLeaf {
    uint32_t leaf = 0;
    FraudProof proof;
};

// Replays the whole unit from the true start state (init for round 0, else the mean of
// `previous_finals`) against the opened `leaves` and returns the first wrong leaf with its
// proof, or nullopt when every leaf is right. Error "bad-trace" when `leaves` is not U/L + 1 long.
Result<std::optional<WrongLeaf>> find_first_wrong_leaf(
    kernels::Backend& backend, const kernels::Exec& ex, const kernels::TaskSpec& spec,
    const kernels::Dataset& data, const UnitRef& unit, const std::vector<Hash256>& leaves,
    const std::vector<kernels::TrainState>& previous_finals);

}  // namespace step::verifier
