// A unit's trace (PROTOCOL.md section 3): leaf i is the kernels' leaf digest of the state after
// i*L of the unit's steps, tagged (task, round, unit, i), so leaves run 0..U/L with leaf 0 the
// round's start state G_r. The leaf index is unit-local: a round-r state's step counter is
// r*U + i*L at leaf i (every round trains U steps from G_r; G_0 starts at step 0), and the
// batch of each step follows from that global counter (kernels/data.h batch_indices).
// Checkpoints are the canonical state bytes every C steps (every C/L leaves, leaf 0 included);
// a checkpoint's blob root is the state root the leaf digest commits to.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "kernels/backend.h"
#include "kernels/data.h"
#include "kernels/exec.h"
#include "kernels/spec.h"
#include "kernels/state.h"
#include "verifier/proofs.h"

namespace step::verifier {

// Which unit a trace belongs to; every leaf digest is tagged with it.
struct UnitRef {
    Hash256 task_id{};
    uint32_t round = 0;
    uint32_t unit = 0;
    bool operator==(const UnitRef&) const = default;
};

// Shape of a unit's trace, derived from the spec (errors "bad-spec" when U, L, C do not fit:
// L divides U, C a multiple of L and at least 2L, U/L below 2^31).
struct TraceShape {
    uint64_t steps = 0;              // U
    uint64_t leaf_interval = 0;      // L
    uint64_t checkpoint_interval = 0;  // C
    uint32_t last_leaf = 0;          // n = U/L (leaf count is n + 1)
    uint32_t leaves_per_checkpoint = 0;  // C/L
    uint32_t leaf_count() const { return last_leaf + 1; }
    bool is_checkpoint(uint32_t leaf) const { return leaf % leaves_per_checkpoint == 0; }
    // The last checkpoint leaf strictly before `leaf` (leaf >= 1).
    uint32_t checkpoint_before(uint32_t leaf) const {
        return (leaf - 1) / leaves_per_checkpoint * leaves_per_checkpoint;
    }
};
Result<TraceShape> trace_shape(const kernels::TaskSpec& spec);

// The step counter of the state at leaf `leaf` of a round-`round` unit: round*U + leaf*L.
uint64_t leaf_step(const TraceShape& shape, uint32_t round, uint32_t leaf);

// The leaf digest of a state for a unit.
Hash256 trace_leaf(const UnitRef& unit, uint32_t leaf, const kernels::TrainState& s,
                   const kernels::Exec& ex);

// A test hook that makes a wrong trace: flips bit `bit` of values[value_index] right after the
// unit's `after_step`-th step (1..U, unit-local), so every later leaf is wrong.
struct TraceFault {
    uint64_t after_step = 1;
    uint64_t value_index = 0;
    uint32_t bit = 0;
};

struct Checkpoint {
    uint32_t leaf = 0;
    Bytes bytes;  // canonical state bytes; blob_root(bytes) = the leaf's state root
};

struct UnitTrace {
    std::vector<Hash256> leaves;  // 0..n
    Hash256 root{};               // merkle_root(leaves)
    std::vector<Checkpoint> checkpoints;  // leaves 0, C/L, 2C/L, ..., ascending
    kernels::TrainState final_state;
    float last_loss = 0;  // the loss of the unit's last step (CommitUnit's reported loss)
};

// Trains a unit from its start state G_r (whose step counter must be round*U: error
// "start-step") on shard `unit` of `units` and commits to it.
Result<UnitTrace> build_trace(kernels::Backend& backend, const kernels::Exec& ex,
                              const kernels::TaskSpec& spec, const kernels::Dataset& data,
                              const UnitRef& unit, const kernels::TrainState& start,
                              const std::optional<TraceFault>& fault = std::nullopt);

// Checkpoint replay: from `from` (the state at leaf `from_leaf`, step counter checked: error
// "start-step") to leaf `to_leaf`, calling `on_leaf(i, state, digest)` for every leaf i in
// (from_leaf, to_leaf]. Returns the state at `to_leaf`. `fault` as in build_trace; `last_loss`,
// when given, receives the loss of the last step (a solver training its unit in pieces commits
// it, as build_trace's caller does).
using LeafCallback =
    std::function<void(uint32_t leaf, const kernels::TrainState& state, const Hash256& digest)>;
Result<kernels::TrainState> replay_leaves(kernels::Backend& backend, const kernels::Exec& ex,
                                          const kernels::TaskSpec& spec,
                                          const kernels::Dataset& data, const UnitRef& unit,
                                          const kernels::TrainState& from, uint32_t from_leaf,
                                          uint32_t to_leaf, const LeafCallback& on_leaf,
                                          const std::optional<TraceFault>& fault = std::nullopt,
                                          float* last_loss = nullptr);

// A DataResponse for a checkpoint (or final state) chunk: the chain holds only the leaf digest,
// which is tagged over the state root, so the response carries the state root too. True when
// leaf_digest(unit, leaf, state_root) is the committed leaf and the chunk proves against it.
bool verify_checkpoint_chunk(const UnitRef& unit, uint32_t leaf, const Hash256& committed_leaf,
                             const Hash256& state_root, const ChunkProof& chunk);

// The start state of round `round` for a unit: init(spec) for round 0, otherwise the mean of
// the previous round's K final states (kernels::mean_states).
Result<kernels::TrainState> round_start_state(const kernels::TaskSpec& spec, uint32_t round,
                                              const std::vector<kernels::TrainState>& prev_finals,
                                              const kernels::Exec& ex);

}  // namespace step::verifier
