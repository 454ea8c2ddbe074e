// A small task shared by the verifier tests: mlp{784,16,10} on the 500-digit MNIST fixture,
// batch 8, U = 16 steps per unit, leaf every L = 4 steps, checkpoint every C = 8 steps.
#pragma once

#include <memory>
#include <string>

#include "common/hash.h"
#include "kernels/backend.h"
#include "kernels/data.h"
#include "kernels/exec.h"
#include "kernels/spec.h"
#include "verifier/trace.h"

namespace step::verifier::testing {

inline kernels::TaskSpec small_spec(uint32_t units = 1) {
    kernels::TaskSpec s;
    s.model = *kernels::parse_model_spec("mlp{784,16,10}", kernels::Activation::kRelu);
    s.optimizer.kind = kernels::OptimizerKind::kSgd;
    s.optimizer.lr = 0.1f;
    s.optimizer.momentum = 0.9f;
    s.batch = 8;
    s.seed = 7;
    s.units_per_round = units;
    s.steps_per_unit = 16;
    s.steps = 16 * 2;
    s.leaf_interval = 4;
    s.checkpoint_interval = 8;
    s.audit_verifiers = 2;
    s.audit_leaves = 2;
    return s;
}

inline const kernels::Dataset& fixture_data() {
    static const kernels::Dataset ds = [] {
        auto fmt = kernels::record_format("mnist-u8");
        auto d = kernels::load_records(
            std::string(STEP_SOURCE_DIR) + "/tests/fixtures/mnist-train-500.rec", *fmt);
        return std::move(d).value();
    }();
    return ds;
}

inline Hash256 task_id() { return sha256(as_bytes("verifier-test-task")); }

// The CPU reference on the calling thread.
struct Cpu {
    kernels::Exec ex{nullptr, kernels::Simd::kScalar};
    std::unique_ptr<kernels::Backend> backend = kernels::make_cpu_backend(ex);
};

}  // namespace step::verifier::testing
