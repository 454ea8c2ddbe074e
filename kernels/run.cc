#include "kernels/run.h"

#include <chrono>

#include "common/hash.h"
#include "kernels/errors.h"

namespace step::kernels {

namespace {
double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

Result<RunResult> run_training(Backend& backend, const Exec& ex, const TaskSpec& spec,
                               const Dataset& train, const TrainState& start,
                               const RunOptions& opt) {
    auto trainer = Trainer::create(backend, spec);
    if (!trainer.ok()) return trainer.status();
    Trainer& t = **trainer;
    STEP_TRY(t.load(start));
    RunResult r;
    auto leaf_now = [&](const TrainState& s) {
        auto t0 = std::chrono::steady_clock::now();
        Hash256 root = state_root(s, ex);
        r.leaves.push_back(leaf_digest(opt.task_id, opt.round, opt.unit,
                                       static_cast<uint32_t>((s.step - opt.unit_start_step) / opt.leaf_interval), root));
        r.hash_seconds += seconds_since(t0);
    };
    auto on_leaf = [&](uint64_t step) {
        return opt.leaf_interval && step >= opt.unit_start_step &&
               (step - opt.unit_start_step) % opt.leaf_interval == 0;
    };
    if (on_leaf(start.step)) leaf_now(start);
    TrainState leaf_state;  // each leaf's state, saved into the same memory
    while (t.step() < opt.until_step) {
        auto t0 = std::chrono::steady_clock::now();
        auto idx = batch_indices(spec.seed, train.count(), opt.units, opt.unit, spec.batch, t.step());
        if (!idx.ok()) return idx.status();
        Bytes batch = gather_records(train, *idx);
        auto loss = t.train_step(batch);
        if (!loss.ok()) return loss.status();
        r.train_seconds += seconds_since(t0);
        r.losses.push_back(*loss);
        if (opt.on_step) opt.on_step(t.step(), *loss);
        if (on_leaf(t.step())) {
            t.save_into(leaf_state);
            leaf_now(leaf_state);
        }
    }
    r.final_state = t.save();
    return r;
}

Result<RunResult> run_rounds(Backend& backend, const Exec& ex, const TaskSpec& spec,
                                const Dataset& train, const TrainState& start, uint64_t until_step,
                                const Hash256& task_id,
                                const std::function<void(uint64_t, float)>& on_step) {
    const uint64_t U = spec.steps_per_unit;
    if (start.step % U != 0 || until_step % U != 0)
        return Status::error(codes::kBadRound, "rounds start and end at multiples of U = " +
                                              std::to_string(U) + " steps");
    RunResult out;
    TrainState global = start;
    while (global.step < until_step) {
        const uint64_t r = global.step / U;
        std::vector<TrainState> finals;
        for (uint32_t k = 0; k < spec.units_per_round; ++k) {
            RunOptions opt;
            opt.until_step = global.step + U;
            opt.leaf_interval = spec.leaf_interval;
            opt.task_id = task_id;
            opt.round = static_cast<uint32_t>(r);
            opt.unit = k;
            opt.units = spec.units_per_round;
            opt.unit_start_step = global.step;
            opt.on_step = on_step;
            auto run = run_training(backend, ex, spec, train, global, opt);
            if (!run.ok()) return run.status();
            out.leaves.insert(out.leaves.end(), run->leaves.begin(), run->leaves.end());
            out.losses.insert(out.losses.end(), run->losses.begin(), run->losses.end());
            out.train_seconds += run->train_seconds;
            out.hash_seconds += run->hash_seconds;
            finals.push_back(std::move(run->final_state));
        }
        if (finals.size() == 1) {
            global = std::move(finals[0]);
        } else {
            auto mean = mean_states(finals, ex);
            if (!mean.ok()) return mean.status();
            global = std::move(mean).value();
        }
    }
    out.final_state = std::move(global);
    return out;
}

Hash256 task_id_of_file_bytes(ByteSpan spec_file) { return sha256(spec_file); }

}  // namespace step::kernels
