// A solver's unit training, off the poll loop and resumable (docs/market.md "Agents"). The unit
// is trained one checkpoint interval at a time; after each piece the checkpoint's state is
// written to the state dir (named by its leaf digest, where the solver serves it from) and
// then the leaves so far to the unit's progress file, both atomically. A solver killed while
// it trains resumes from the last checkpoint it wrote; one stopped (SIGTERM) stops at the next
// checkpoint. Training from a checkpoint gives the same bits as training through it (every
// audit relies on that), so the leaves are build_trace's.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "kernels/backend.h"
#include "kernels/data.h"
#include "kernels/exec.h"
#include "kernels/spec.h"
#include "kernels/state.h"
#include "verifier/trace.h"

namespace step::wallet::agent {

// <dir>/<leaf digest>.state: a state named by the leaf that commits to it.
std::string state_file_path(const std::string& dir, const Hash256& committed_leaf);

// What one unit's training reads: its own copies, and the poll thread's dataset and backend,
// which stay unchanged (the backend unused by it) until the job's result is taken.
struct UnitTraining {
    kernels::TaskSpec spec;
    verifier::TraceShape shape;
    verifier::UnitRef unit;
    kernels::TrainState start;  // G_r
    const kernels::Dataset* data = nullptr;
    kernels::Backend* backend = nullptr;
    kernels::Exec exec;
    std::string state_dir;      // where the checkpoints go (state_file_path)
    std::string progress_path;  // the unit's progress file
};

struct TrainedUnit {
    std::vector<Hash256> leaves;  // 0..n
    Hash256 root{};
    float last_loss = 0;         // the unit's last step's (CommitUnit's reported loss)
    uint32_t resumed_from = 0;   // the checkpoint leaf this run started from (0: the start)
    uint64_t steps_trained = 0;  // steps this run computed (0: found trained)
    double seconds = 0;          // the time they took
};

// Trains `job`'s unit from its progress file's last checkpoint (when the file belongs to the
// same start state and its checkpoint is intact), else from the start. Error "cancelled" when
// `stop` was set between two checkpoints (what was done stays saved).
Result<TrainedUnit> train_unit(const UnitTraining& job, const std::atomic<bool>& stop);

// A unit's trace made by other code (a deviation of the adversary suite, agent_deviation.h), kept
// as train_unit keeps its own: every checkpoint and the final state written to the state dir
// under its leaf. `seconds` is how long it took; no progress file (it is not resumed).
Result<TrainedUnit> keep_trace(const UnitTraining& job, const verifier::UnitTrace& trace,
                               double seconds);

// The leaves at which a trained unit's states are kept and served: every checkpoint and the last.
std::vector<uint32_t> served_leaves(const verifier::TraceShape& shape);

// Steps per second of `spec` on this backend: one leaf interval (L steps, at least one) of
// round 0's first unit, timed. What a solver plans with before it has trained a unit of the task.
Result<double> measure_step_rate(kernels::Backend& backend, const kernels::Exec& exec,
                                 const kernels::TaskSpec& spec, const kernels::Dataset& data,
                                 const Hash256& task_id);

}  // namespace step::wallet::agent
