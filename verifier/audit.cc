#include "verifier/audit.h"

#include "common/coding.h"
#include "common/hash.h"
#include "common/hash_tags.h"
#include "verifier/errors.h"

namespace step::verifier {

using kernels::TrainState;

Hash256 audit_commitment(const Hash256& salt, const VerifierAddress& verifier, uint32_t sampled,
                         const std::vector<Hash256>& digests) {
    Bytes head;
    append_u32le(head, sampled);
    append_u32le(head, static_cast<uint32_t>(digests.size()));
    TaggedHasher h(tags::kAuditCommit);
    h.update(salt).update(ByteSpan(verifier)).update(head);
    for (const auto& d : digests) h.update(d);
    return h.finish();
}

Result<AuditWork> run_audit(kernels::Backend& backend, const kernels::Exec& ex,
                            const kernels::TaskSpec& spec, const kernels::Dataset& data,
                            const UnitRef& unit, uint32_t sampled, ByteSpan checkpoint_bytes,
                            const Hash256& checkpoint_leaf) {
    auto shape = trace_shape(spec);
    if (!shape.ok()) return shape.status();
    if (sampled == 0 || sampled > shape->last_leaf)
        return Status::error(codes::kBadLeafIndex, "sampled leaves run 1.." +
                                                   std::to_string(shape->last_leaf));
    AuditWork w;
    w.sampled = sampled;
    w.checkpoint = shape->checkpoint_before(sampled);
    auto start = kernels::state_from_bytes(checkpoint_bytes);
    if (!start.ok()) return start.status();
    Hash256 root = kernels::state_root_of_bytes(checkpoint_bytes, ex);
    if (kernels::leaf_digest(unit.task_id, unit.round, unit.unit, w.checkpoint, root) !=
        checkpoint_leaf)
        return Status::error(codes::kCheckpointMismatch,
                             "checkpoint bytes are not leaf " + std::to_string(w.checkpoint));
    w.states.push_back(*start);
    auto fin = replay_leaves(backend, ex, spec, data, unit, *start, w.checkpoint, sampled,
                             [&](uint32_t leaf, const TrainState& s, const Hash256& d) {
                                 w.digests.push_back(d);
                                 if (leaf < sampled) w.states.push_back(s);
                             });
    if (!fin.ok()) return fin.status();
    return w;
}

bool reveal_agrees(const TraceShape& shape, uint32_t sampled, const std::vector<Hash256>& digests,
                   const std::vector<Hash256>& opened_leaves) {
    if (sampled == 0 || sampled > shape.last_leaf || opened_leaves.size() != shape.leaf_count())
        return false;
    uint32_t c = shape.checkpoint_before(sampled);
    if (digests.size() != sampled - c) return false;
    for (uint32_t i = 0; i < digests.size(); ++i)
        if (digests[i] != opened_leaves[c + 1 + i]) return false;
    return true;
}

bool audit_window_contains(const TraceShape& shape, uint32_t sampled, uint32_t leaf) {
    if (sampled == 0 || sampled > shape.last_leaf) return false;
    return shape.checkpoint_before(sampled) < leaf && leaf <= sampled;
}

AuditDecision decide_audit(const AuditWork& work, const std::vector<Hash256>& opened_leaves) {
    AuditDecision d;
    for (uint32_t i = 0; i < work.digests.size(); ++i) {
        uint32_t leaf = work.checkpoint + 1 + i;
        if (leaf >= opened_leaves.size() || opened_leaves[leaf] != work.digests[i]) {
            d.stance = AuditStance::kDisagree;
            d.first_wrong_leaf = leaf;
            d.build_proof = true;
            return d;
        }
    }
    return d;
}

}  // namespace step::verifier
