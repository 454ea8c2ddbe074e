// A unit's training run (K = 1 view): from a state, train on shard `unit` of `train` until the
// state's step counter reaches `until_step`, emitting a trace leaf whenever the step counter is a
// multiple of `leaf_interval` (leaf index = step / leaf_interval; the start state's leaf
// included when it falls on one). Shared by step-train, its --check and the tests.
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

// The task id step-train uses for a spec file: SHA-256 of the file's bytes.
Hash256 task_id_of_file_bytes(ByteSpan spec_file);

}  // namespace step::kernels
