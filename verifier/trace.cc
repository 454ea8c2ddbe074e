#include "verifier/trace.h"

#include <cstring>
#include <memory>

#include "common/merkle.h"
#include "kernels/trainer.h"
#include "kernels/errors.h"
#include "verifier/errors.h"

namespace step::verifier {

using kernels::TrainState;

Result<TraceShape> trace_shape(const kernels::TaskSpec& spec) {
    auto bad = [](const std::string& why) { return Status::error(kernels::codes::kBadSpec, why); };
    TraceShape s;
    s.steps = spec.steps_per_unit;
    s.leaf_interval = spec.leaf_interval;
    s.checkpoint_interval = spec.checkpoint_interval;
    if (s.steps == 0 || s.leaf_interval == 0) return bad("steps_per_unit and leaf_interval > 0");
    if (s.steps % s.leaf_interval) return bad("leaf_interval must divide steps_per_unit");
    if (s.checkpoint_interval < 2 * s.leaf_interval || s.checkpoint_interval % s.leaf_interval)
        return bad("checkpoint_interval must be a multiple of leaf_interval, at least twice it");
    if (s.steps / s.leaf_interval >= (uint64_t{1} << 31)) return bad("too many leaves per unit");
    s.last_leaf = static_cast<uint32_t>(s.steps / s.leaf_interval);
    s.leaves_per_checkpoint = static_cast<uint32_t>(s.checkpoint_interval / s.leaf_interval);
    return s;
}

uint64_t leaf_step(const TraceShape& shape, uint32_t round, uint32_t leaf) {
    return uint64_t{round} * shape.steps + uint64_t{leaf} * shape.leaf_interval;
}

Hash256 trace_leaf(const UnitRef& unit, uint32_t leaf, const TrainState& s,
                   const kernels::Exec& ex) {
    return kernels::leaf_digest(unit.task_id, unit.round, unit.unit, leaf,
                                kernels::state_root(s, ex));
}

namespace {
// replay_leaves, also reporting the loss of the last step (build_trace's commit reports it).
Result<TrainState> replay_impl(kernels::Backend& backend, const kernels::Exec& ex,
                                 const kernels::TaskSpec& spec, const kernels::Dataset& data,
                                 const UnitRef& unit, const TrainState& from, uint32_t from_leaf,
                                 uint32_t to_leaf, const LeafCallback& on_leaf,
                                 const std::optional<TraceFault>& fault, float* last_loss) {
    auto shape = trace_shape(spec);
    if (!shape.ok()) return shape.status();
    if (from_leaf > to_leaf || to_leaf > shape->last_leaf)
        return Status::error(codes::kBadLeafIndex, "replay from leaf " + std::to_string(from_leaf) +
                                                   " to " + std::to_string(to_leaf));
    uint64_t first_step = leaf_step(*shape, unit.round, from_leaf);
    if (from.step != first_step)
        return Status::error(codes::kStartStep, "state at step " + std::to_string(from.step) +
                                               ", leaf " + std::to_string(from_leaf) +
                                               " of round " + std::to_string(unit.round) +
                                               " is step " + std::to_string(first_step));
    auto trainer = kernels::Trainer::create(backend, spec);
    if (!trainer.ok()) return trainer.status();
    kernels::Trainer& t = **trainer;
    STEP_TRY(t.load(from));
    uint64_t round_start = leaf_step(*shape, unit.round, 0);
    uint64_t end = leaf_step(*shape, unit.round, to_leaf);
    TrainState last = from;
    while (t.step() < end) {
        auto idx = kernels::batch_indices(spec.seed, data.count(), spec.units_per_round,
                                          unit.unit, spec.batch, t.step());
        if (!idx.ok()) return idx.status();
        auto loss = t.train_step(kernels::gather_records(data, *idx));
        if (!loss.ok()) return loss.status();
        if (last_loss) *last_loss = *loss;
        uint64_t local = t.step() - round_start;
        bool at_leaf = local % shape->leaf_interval == 0;
        if (fault && local == fault->after_step) {
            TrainState s = t.save();
            if (fault->value_index < s.values.size()) {
                uint32_t u;
                std::memcpy(&u, &s.values[fault->value_index], 4);
                u ^= uint32_t{1} << (fault->bit % 32);
                std::memcpy(&s.values[fault->value_index], &u, 4);
            }
            STEP_TRY(t.load(s));
        }
        if (at_leaf) {
            last = t.save();
            auto leaf = static_cast<uint32_t>(local / shape->leaf_interval);
            if (on_leaf) on_leaf(leaf, last, trace_leaf(unit, leaf, last, ex));
        }
    }
    return last;
}
}  // namespace

Result<TrainState> replay_leaves(kernels::Backend& backend, const kernels::Exec& ex,
                                 const kernels::TaskSpec& spec, const kernels::Dataset& data,
                                 const UnitRef& unit, const TrainState& from, uint32_t from_leaf,
                                 uint32_t to_leaf, const LeafCallback& on_leaf,
                                 const std::optional<TraceFault>& fault, float* last_loss) {
    return replay_impl(backend, ex, spec, data, unit, from, from_leaf, to_leaf, on_leaf, fault,
                       last_loss);
}

Result<UnitTrace> build_trace(kernels::Backend& backend, const kernels::Exec& ex,
                              const kernels::TaskSpec& spec, const kernels::Dataset& data,
                              const UnitRef& unit, const TrainState& start,
                              const std::optional<TraceFault>& fault) {
    auto shape = trace_shape(spec);
    if (!shape.ok()) return shape.status();
    UnitTrace tr;
    tr.leaves.reserve(shape->leaf_count());
    tr.leaves.push_back(trace_leaf(unit, 0, start, ex));
    tr.checkpoints.push_back({0, kernels::state_to_bytes(start)});
    auto on_leaf = [&](uint32_t leaf, const TrainState& s, const Hash256& digest) {
        tr.leaves.push_back(digest);
        if (shape->is_checkpoint(leaf)) tr.checkpoints.push_back({leaf, kernels::state_to_bytes(s)});
    };
    auto fin = replay_impl(backend, ex, spec, data, unit, start, 0, shape->last_leaf, on_leaf,
                           fault, &tr.last_loss);
    if (!fin.ok()) return fin.status();
    tr.final_state = std::move(fin).value();
    tr.root = merkle_root(tr.leaves);
    return tr;
}

bool verify_checkpoint_chunk(const UnitRef& unit, uint32_t leaf, const Hash256& committed_leaf,
                             const Hash256& state_root, const ChunkProof& chunk) {
    return kernels::leaf_digest(unit.task_id, unit.round, unit.unit, leaf, state_root) ==
               committed_leaf &&
           verify_chunk_proof(state_root, chunk);
}

Result<TrainState> round_start_state(const kernels::TaskSpec& spec, uint32_t round,
                                     const std::vector<TrainState>& prev_finals,
                                     const kernels::Exec& ex) {
    if (round == 0) return kernels::init_state(spec);
    if (prev_finals.size() != spec.units_per_round)
        return Status::error(codes::kWrongStateCount,
                             "round start needs " + std::to_string(spec.units_per_round) +
                                 " final states, got " + std::to_string(prev_finals.size()));
    return kernels::mean_states(prev_finals, ex);
}

}  // namespace step::verifier
