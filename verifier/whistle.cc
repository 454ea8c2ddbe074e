#include "verifier/whistle.h"

#include "common/merkle.h"
#include "verifier/proofs.h"
#include "verifier/errors.h"

namespace step::verifier {

using kernels::TrainState;

Result<FraudProof> build_segment_proof(const kernels::TaskSpec& spec,
                                       const kernels::Dataset& data, const UnitRef& unit,
                                       const std::vector<Hash256>& leaves, uint32_t leaf,
                                       const TrainState& pre_state) {
    if (leaf == 0 || leaf >= leaves.size())
        return Status::error(codes::kBadLeafIndex,
                             "a segment proof needs a leaf in 1.." + std::to_string(leaves.size() - 1));
    auto indices = segment_record_indices(spec, data.count(), unit, leaf);
    if (!indices.ok()) return indices.status();
    FraudProof p;
    p.leaf = leaf;
    p.claimed = make_leaf_proof(leaves, leaf);
    p.previous = make_leaf_proof(leaves, leaf - 1);
    p.pre_state = kernels::state_to_bytes(pre_state);
    std::vector<Hash256> hashes;
    hashes.reserve(data.count());
    for (uint64_t i = 0; i < data.count(); ++i)
        hashes.push_back(kernels::record_hash(
            ByteSpan(data.record(i), static_cast<size_t>(data.format.record_bytes))));
    for (uint64_t idx : *indices) {
        SegmentRecord r;
        r.index = idx;
        r.record.assign(data.record(idx), data.record(idx) + data.format.record_bytes);
        p.records.push_back(std::move(r));
    }
    p.record_proof = merkle_multiproof(hashes, *indices);
    return p;
}

FraudProof build_leaf0_proof(const std::vector<Hash256>& leaves,
                             const std::vector<TrainState>& previous_finals) {
    FraudProof p;
    p.leaf = 0;
    p.claimed = make_leaf_proof(leaves, 0);
    for (const auto& s : previous_finals) p.previous_finals.push_back(kernels::state_to_bytes(s));
    return p;
}

Result<std::optional<WrongLeaf>> find_first_wrong_leaf(
    kernels::Backend& backend, const kernels::Exec& ex, const kernels::TaskSpec& spec,
    const kernels::Dataset& data, const UnitRef& unit, const std::vector<Hash256>& leaves,
    const std::vector<TrainState>& previous_finals) {
    auto shape = trace_shape(spec);
    if (!shape.ok()) return shape.status();
    if (leaves.size() != shape->leaf_count())
        return Status::error(codes::kBadTrace, "trace has " + std::to_string(leaves.size()) +
                                              " leaves, the spec gives " +
                                              std::to_string(shape->leaf_count()));
    auto start = round_start_state(spec, unit.round, previous_finals, ex);
    if (!start.ok()) return start.status();
    if (trace_leaf(unit, 0, *start, ex) != leaves[0])
        return std::optional<WrongLeaf>(WrongLeaf{0, build_leaf0_proof(leaves, previous_finals)});

    // Replay leaf by leaf, keeping only the state before the current leaf, and stop at the first
    // leaf that differs: its predecessor is the proof's pre-state.
    TrainState prev = *start;
    for (uint32_t j = 1; j <= shape->last_leaf; ++j) {
        std::optional<Hash256> digest;
        auto next = replay_leaves(backend, ex, spec, data, unit, prev, j - 1, j,
                                  [&](uint32_t, const TrainState&, const Hash256& d) { digest = d; });
        if (!next.ok()) return next.status();
        if (*digest != leaves[j]) {
            auto proof = build_segment_proof(spec, data, unit, leaves, j, prev);
            if (!proof.ok()) return proof.status();
            return std::optional<WrongLeaf>(WrongLeaf{j, std::move(proof).value()});
        }
        prev = std::move(next).value();
    }
    return std::optional<WrongLeaf>();
}

}  // namespace step::verifier
