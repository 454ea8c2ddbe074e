#include "verifier/fraud_proof.h"

#include <algorithm>
#include <map>
#include <memory>

#include "kernels/backend.h"
#include "kernels/data.h"
#include "kernels/simd.h"
#include "kernels/state.h"
#include "kernels/trainer.h"

namespace step::verifier {

using kernels::TrainState;
namespace code = codes;

namespace {

Status err(const ErrorCode& c, std::string why) { return Status::error(c, std::move(why)); }
std::string num(uint64_t v) { return std::to_string(v); }

bool leaf_empty(const LeafProof& p) { return p.index == 0 && p.leaf == Hash256{} && p.path.empty(); }

// The batch rows of each step of segment j (unit-local steps (j-1)L .. jL-1).
Result<std::vector<std::vector<uint64_t>>> segment_batches(const kernels::TaskSpec& spec,
                                                           const TraceShape& shape,
                                                           uint64_t dataset_count,
                                                           const UnitRef& unit, uint32_t leaf) {
    std::vector<std::vector<uint64_t>> out;
    uint64_t first = leaf_step(shape, unit.round, leaf - 1);
    for (uint64_t t = first; t < first + shape.leaf_interval; ++t) {
        auto idx = kernels::batch_indices(spec.seed, dataset_count, spec.units_per_round,
                                          unit.unit, spec.batch, t);
        if (!idx.ok()) return idx.status();
        out.push_back(std::move(idx).value());
    }
    return out;
}

std::vector<uint64_t> distinct_sorted(const std::vector<std::vector<uint64_t>>& batches) {
    std::vector<uint64_t> all;
    for (const auto& b : batches) all.insert(all.end(), b.begin(), b.end());
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    return all;
}

// A state must belong to the task's model, optimiser and kernel version.
bool state_fits_spec(const TrainState& s, const kernels::TaskSpec& spec) {
    return s.kernel_version == spec.kernel_version && s.optimizer == spec.optimizer.kind &&
           s.model == spec.model.text();
}

FraudVerdict verdict(uint32_t leaf, const Hash256& claimed, const Hash256& correct) {
    FraudVerdict v;
    v.leaf = leaf;
    v.claimed_leaf = claimed;
    v.correct_leaf = correct;
    v.fraud = claimed != correct;
    v.reason = v.fraud ? "fraud at leaf " + num(leaf) : "leaf " + num(leaf) + " is correct";
    return v;
}

Result<FraudVerdict> check_leaf0(const kernels::TaskSpec& spec, const FraudCheckContext& ctx,
                                 const TraceShape& shape, const FraudProof& proof,
                                 const kernels::Exec& ex) {
    if (!leaf_empty(proof.previous) || !proof.pre_state.empty() || !proof.records.empty() ||
        !proof.record_proof.empty())
        return err(code::kUnexpectedField, "a leaf-0 proof carries no pre-state or records");
    TrainState start;
    if (ctx.unit.round == 0) {
        if (!proof.previous_finals.empty())
            return err(code::kUnexpectedField, "round 0 starts from init(spec): no states");
        auto s = kernels::init_state(spec);
        if (!s.ok()) return err(code::kBadContext, s.status().to_string());
        start = std::move(s).value();
    } else {
        uint32_t K = spec.units_per_round;
        if (ctx.previous_final_leaves.size() != K)
            return err(code::kBadContext, "need the " + num(K) + " committed final leaves");
        if (proof.previous_finals.size() != K)
            return err(code::kWrongStateCount, "round " + num(ctx.unit.round) + " needs " +
                                                   num(K) + " final states, proof has " +
                                                   num(proof.previous_finals.size()));
        std::vector<TrainState> finals;
        for (uint32_t k = 0; k < K; ++k) {
            auto s = kernels::state_from_bytes(proof.previous_finals[k]);
            if (!s.ok() || !state_fits_spec(*s, spec))
                return err(code::kBadPreviousFinal, "final state of unit " + num(k) + ": " +
                                                        (s.ok() ? "another model or optimiser"
                                                                : s.status().message()));
            Hash256 root = kernels::state_root_of_bytes(proof.previous_finals[k], ex);
            Hash256 leaf = kernels::leaf_digest(ctx.unit.task_id, ctx.unit.round - 1, k,
                                                shape.last_leaf, root);
            if (leaf != ctx.previous_final_leaves[k])
                return err(code::kPreviousFinalMismatch,
                           "final state of unit " + num(k) + " is not its committed final leaf");
            finals.push_back(std::move(s).value());
        }
        auto mean = kernels::mean_states(finals, ex);
        if (!mean.ok()) return err(code::kReplayFailed, mean.status().to_string());
        start = std::move(mean).value();
    }
    Hash256 correct = trace_leaf(ctx.unit, 0, start, ex);
    return verdict(0, proof.claimed.leaf, correct);
}

Result<FraudVerdict> check_segment(const kernels::TaskSpec& spec, const FraudCheckContext& ctx,
                                   const TraceShape& shape, const FraudProof& proof,
                                   const kernels::Exec& ex) {
    const uint32_t j = proof.leaf;
    if (!proof.previous_finals.empty())
        return err(code::kUnexpectedField, "only a leaf-0 proof carries previous final states");
    if (proof.previous.index != j - 1)
        return err(code::kBadLeafIndex, "previous leaf proof is for leaf " +
                                            num(proof.previous.index) + ", not " + num(j - 1));
    if (!verify_leaf_proof(ctx.trace_root, ctx.leaf_count, proof.previous))
        return err(code::kBadLeafProof, "leaf " + num(j - 1) + " is not in the trace root");

    auto pre = kernels::state_from_bytes(proof.pre_state);
    if (!pre.ok()) return err(code::kBadPreState, pre.status().message());
    if (!state_fits_spec(*pre, spec))
        return err(code::kBadPreState, "pre-state of another model, optimiser or kernel version");
    // The leaf commits to the bytes and the replay uses the decoded state; they agree because
    // state_from_bytes accepts exactly one encoding per state (every field is re-encoded as read,
    // no trailing bytes, one NaN pattern), so no re-encoding is needed here.
    Hash256 pre_root = kernels::state_root_of_bytes(proof.pre_state, ex);
    if (kernels::leaf_digest(ctx.unit.task_id, ctx.unit.round, ctx.unit.unit, j - 1, pre_root) !=
        proof.previous.leaf)
        return err(code::kPreStateMismatch, "pre-state is not leaf " + num(j - 1));
    uint64_t want_step = leaf_step(shape, ctx.unit.round, j - 1);
    if (pre->step != want_step)
        return err(code::kPreStateStep,
                   "pre-state at step " + num(pre->step) + ", leaf " + num(j - 1) + " is step " +
                       num(want_step));

    auto batches = segment_batches(spec, shape, ctx.dataset_count, ctx.unit, j);
    if (!batches.ok()) return err(code::kBadContext, batches.status().to_string());
    std::vector<uint64_t> want = distinct_sorted(*batches);
    if (proof.records.size() != want.size())
        return err(code::kWrongRecordCount, "segment uses " + num(want.size()) +
                                                " distinct records, proof has " +
                                                num(proof.records.size()));
    auto fmt = kernels::record_format(spec.data_format);
    if (!fmt.ok()) return err(code::kBadContext, fmt.status().to_string());
    std::map<uint64_t, const Bytes*> by_index;
    std::vector<Hash256> hashes;
    hashes.reserve(want.size());
    for (size_t i = 0; i < want.size(); ++i) {
        const SegmentRecord& r = proof.records[i];
        if (r.index != want[i])
            return err(code::kWrongRecordIndex, "record " + num(i) + " is dataset index " +
                                                    num(r.index) + ", segment needs " +
                                                    num(want[i]));
        if (r.record.size() != static_cast<size_t>(fmt->record_bytes) ||
            r.record[static_cast<size_t>(fmt->features)] >= fmt->classes)
            return err(code::kBadRecord, "record " + num(r.index) + " is not a " + fmt->name +
                                             " record");
        hashes.push_back(kernels::record_hash(r.record));
        by_index[r.index] = &r.record;
    }
    if (!merkle_multiverify(ctx.dataset_root, ctx.dataset_count, want, hashes, proof.record_proof))
        return err(code::kBadRecordProof, "the segment's records are not in the dataset root");

    auto backend = kernels::make_cpu_backend(ex);
    auto trainer = kernels::Trainer::create(*backend, spec);
    if (!trainer.ok()) return err(code::kReplayFailed, trainer.status().to_string());
    Status loaded = (*trainer)->load(*pre);
    if (!loaded.ok()) return err(code::kBadPreState, loaded.to_string());
    Bytes batch;
    for (const auto& rows : *batches) {
        batch.clear();
        for (uint64_t idx : rows) {
            const Bytes& rec = *by_index.at(idx);
            batch.insert(batch.end(), rec.begin(), rec.end());
        }
        auto loss = (*trainer)->train_step(batch);
        if (!loss.ok()) return err(code::kReplayFailed, loss.status().to_string());
    }
    Hash256 correct = trace_leaf(ctx.unit, j, (*trainer)->save(), ex);
    return verdict(j, proof.claimed.leaf, correct);
}

}  // namespace

Result<FraudVerdict> check_fraud_proof(const kernels::TaskSpec& spec,
                                       const FraudCheckContext& ctx, const FraudProof& proof) {
    auto shape = trace_shape(spec);
    if (!shape.ok()) return err(code::kBadContext, shape.status().to_string());
    if (ctx.leaf_count != shape->leaf_count())
        return err(code::kBadContext, "leaf count " + num(ctx.leaf_count) + ", spec gives " +
                                          num(shape->leaf_count()));
    if (ctx.max_proof_bytes && proof.wire_size() > ctx.max_proof_bytes)
        return err(code::kTooLarge, num(proof.wire_size()) + " bytes, limit " +
                                        num(ctx.max_proof_bytes));
    if (proof.leaf > shape->last_leaf || proof.claimed.index != proof.leaf)
        return err(code::kBadLeafIndex, "leaf " + num(proof.leaf) + " (claimed proof for " +
                                            num(proof.claimed.index) + ") of " +
                                            num(shape->leaf_count()));
    if (!verify_leaf_proof(ctx.trace_root, ctx.leaf_count, proof.claimed))
        return err(code::kBadLeafProof, "leaf " + num(proof.leaf) + " is not in the trace root");
    // One thread, so the check cannot depend on a node's configuration; the vector level never
    // changes bits (kernels/simd.h), only speed.
    kernels::Exec ex{nullptr, kernels::detect_simd()};
    if (proof.leaf == 0) return check_leaf0(spec, ctx, *shape, proof, ex);
    return check_segment(spec, ctx, *shape, proof, ex);
}

Result<std::vector<uint64_t>> segment_record_indices(const kernels::TaskSpec& spec,
                                                     uint64_t dataset_count,
                                                     const UnitRef& unit, uint32_t leaf) {
    auto shape = trace_shape(spec);
    if (!shape.ok()) return shape.status();
    if (leaf == 0 || leaf > shape->last_leaf)
        return err(code::kBadLeafIndex, "segment leaves run 1.." + num(shape->last_leaf));
    auto batches = segment_batches(spec, *shape, dataset_count, unit, leaf);
    if (!batches.ok()) return batches.status();
    return distinct_sorted(*batches);
}

Result<uint64_t> fraud_proof_flops(const kernels::TaskSpec& spec, uint32_t round, uint32_t leaf) {
    if (leaf >= 1) return kernels::segment_flops(spec, spec.leaf_interval);
    if (round == 0) return uint64_t{0};
    auto params = kernels::param_count(spec);
    if (!params.ok()) return params.status();
    return uint64_t{spec.units_per_round} * kernels::state_value_count(spec.optimizer.kind, *params);
}

}  // namespace step::verifier
