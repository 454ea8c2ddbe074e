#include "kernels/run.h"

#include <chrono>

#include "common/hash.h"

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
                                       static_cast<uint32_t>(s.step / opt.leaf_interval), root));
        r.hash_seconds += seconds_since(t0);
    };
    if (opt.leaf_interval && start.step % opt.leaf_interval == 0) leaf_now(start);
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
        if (opt.leaf_interval && t.step() % opt.leaf_interval == 0) leaf_now(t.save());
    }
    r.final_state = t.save();
    return r;
}

Hash256 task_id_of_file_bytes(ByteSpan spec_file) { return sha256(spec_file); }

}  // namespace step::kernels
