// Audits (PROTOCOL.md section 3, step 4): an assigned verifier replays from the last checkpoint
// c strictly before its sampled leaf s to s, commits to H(salt, verifier, digests of every leaf
// in (c, s]) and later reveals those digests. Because C >= 2L at least one of them is hidden
// until OpenTrace, so a lazy verifier cannot copy the solver's leaves.
#pragma once

#include <array>
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
#include "verifier/trace.h"

namespace step::verifier {

using VerifierAddress = std::array<uint8_t, 20>;  // consensus keys.h Address

// What an audit of leaf `sampled` produced: the digests of leaves checkpoint+1 .. sampled, and
// the states at leaves checkpoint .. sampled-1, so a disagreeing verifier can build the proof of
// any leaf in (checkpoint, sampled] without replaying again (at most C/L states).
struct AuditWork {
    uint32_t sampled = 0;
    uint32_t checkpoint = 0;
    std::vector<Hash256> digests;               // leaves (checkpoint, sampled], in order
    std::vector<kernels::TrainState> states;    // leaves [checkpoint, sampled), in order
    // The state at leaf `leaf` - 1 for a leaf in (checkpoint, sampled].
    const kernels::TrainState& pre_state_of(uint32_t leaf) const {
        return states[leaf - 1 - checkpoint];
    }
};

// H_audit-commit(salt | verifier | u32 sampled | u32 count | digests...). Consensus recomputes
// it from the reveal.
Hash256 audit_commitment(const Hash256& salt, const VerifierAddress& verifier, uint32_t sampled,
                         const std::vector<Hash256>& digests);

// Replays from the checkpoint's canonical bytes (the bytes are checked against the committed
// checkpoint leaf first: error "checkpoint-mismatch", so a verifier served a wrong checkpoint
// raises a DataChallenge instead of auditing garbage). Errors also: "bad-leaf-index" (sampled
// outside 1..U/L), the kernels' ("bad-state", ...).
Result<AuditWork> run_audit(kernels::Backend& backend, const kernels::Exec& ex,
                            const kernels::TaskSpec& spec, const kernels::Dataset& data,
                            const UnitRef& unit, uint32_t sampled, ByteSpan checkpoint_bytes,
                            const Hash256& checkpoint_leaf);

// The revealed leaf digests checked against an opened trace (what consensus does at OpenTrace):
// true when each digest of leaves (checkpoint, sampled] equals the opened leaf.
bool reveal_agrees(const TraceShape& shape, uint32_t sampled, const std::vector<Hash256>& digests,
                   const std::vector<Hash256>& opened_leaves);

// Whether the audit of `sampled` revealed a digest for `leaf` (c(sampled) < leaf <= sampled).
// When fraud is proven at `leaf`, a verifier whose reveal agreed with the opened trace and whose
// window holds `leaf` revealed the wrong digest: it replayed from a checkpoint before the wrong
// segment, so it did not do the work (slashable). A window after `leaf` starts from a checkpoint
// the fraud already spoiled, so agreeing there is honest.
bool audit_window_contains(const TraceShape& shape, uint32_t sampled, uint32_t leaf);

enum class AuditStance { kAgree, kDisagree };
struct AuditDecision {
    AuditStance stance = AuditStance::kAgree;
    std::optional<uint32_t> first_wrong_leaf;  // the earliest opened leaf that differs
    bool build_proof = false;  // disagree: the verifier must prove it or lose its audit bond
};
// The verifier's decision once the trace is opened: agree when every leaf it computed matches
// the opened one; otherwise disagree, and prove the first differing leaf.
AuditDecision decide_audit(const AuditWork& work, const std::vector<Hash256>& opened_leaves);

}  // namespace step::verifier
