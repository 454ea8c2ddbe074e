// A unit's training run: from a state, train on shard `unit` of `units` until the state's step
// counter reaches `until_step`, emitting trace leaf i whenever the counter equals
// unit_start_step + i * leaf_interval (leaf 0 is the unit's start state G_r; a run resumed
// mid-unit emits the leaves from its resume point on). Shared by step-train, its --check, the
// benchmarks and the tests; run_rounds() chains rounds of K units with the state mean.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "kernels/backend.h"
#include "kernels/data.h"
#include "kernels/spec.h"
#include "kernels/state.h"
#include "kernels/trainer.h"

namespace step::kernels {

struct RunOptions {
    uint64_t until_step = 0;
    uint64_t leaf_interval = 0;  // 0: no leaves
    Hash256 task_id{};
    uint32_t round = 0, unit = 0, units = 1;
    uint64_t unit_start_step = 0;  // the step counter of the unit's start state G_r
    // Called after every step with (step counter, loss); may be empty.
    std::function<void(uint64_t, float)> on_step;
};

struct RunResult {
    TrainState final_state;
    std::vector<Hash256> leaves;      // in leaf order
    std::vector<float> losses;        // one per step run
    double train_seconds = 0, hash_seconds = 0;
};

Result<RunResult> run_training(Backend& backend, const Exec& ex, const TaskSpec& spec,
                               const Dataset& train, const TrainState& start,
                               const RunOptions& opt);

// Rounds of K units (PROTOCOL.md section 3): from G_r (whose step counter must be a multiple of
// U = spec.steps_per_unit), each unit k trains U steps on shard k, and G_{r+1} is the mean of the
// K final states; repeats until the counter reaches `until_step` (a multiple of U). Leaves are
// returned round by round, unit by unit. With K = 1 this equals run_training.
Result<RunResult> run_rounds(Backend& backend, const Exec& ex, const TaskSpec& spec,
                                const Dataset& train, const TrainState& start, uint64_t until_step,
                                const Hash256& task_id,
                                const std::function<void(uint64_t, float)>& on_step = {});

// The task id step-train uses for a spec file: SHA-256 of the file's bytes.
Hash256 task_id_of_file_bytes(ByteSpan spec_file);

}  // namespace step::kernels
