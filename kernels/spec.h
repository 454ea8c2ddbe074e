// Task specs (PROTOCOL.md section 3), parsed from TOML. Hyper-parameters are binary32: each
// decimal literal is converted once, correctly rounded, straight to binary32 (std::from_chars
// into float, never through double), and non-finite values are rejected. Errors name the field,
// e.g. "spec.optimizer.lr: must be finite" (code "bad-spec").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "kernels/model.h"

namespace step::kernels {

// The kernel version this build implements. Any change to a result bit is a new version.
inline constexpr uint32_t kKernelVersion = 1;

enum class OptimizerKind : uint32_t { kSgd = 1, kAdamW = 2 };
const char* optimizer_name(OptimizerKind k);

struct OptimizerSpec {
    OptimizerKind kind = OptimizerKind::kSgd;
    float lr = 0.01f;
    float momentum = 0.0f;       // sgd
    float weight_decay = 0.0f;   // sgd: coupled (g + wd*p); adamw: decoupled
    float beta1 = 0.9f;          // adamw
    float beta2 = 0.999f;        // adamw
    float eps = 1e-8f;           // adamw
    // Gradient clipping by global norm (ops::clip_grad_norm) after the backward, before the
    // optimiser; +0 = off (and then absent from the on-chain spec's bytes).
    float max_grad_norm = 0.0f;
};

struct TaskSpec {
    uint32_t kernel_version = kKernelVersion;
    ModelSpec model;
    std::string loss = "softmax-xent";
    OptimizerSpec optimizer;
    uint32_t batch = 64;
    uint64_t steps = 0;                // total steps T
    uint64_t seed = 0;
    std::string data_format = "mnist-u8";
    std::string train_path, test_path;  // relative paths resolve against the spec's folder
    uint32_t units_per_round = 1;       // K
    uint64_t steps_per_unit = 0;        // U
    uint64_t leaf_interval = 0;         // L
    uint64_t checkpoint_interval = 0;   // C: a multiple of L, at least 2L
    uint32_t audit_verifiers = 1;       // V
    uint32_t audit_leaves = 1;          // Q
    uint64_t budget = 0;                // base units
    uint64_t unit_bond = 0;             // base units
};

// Parses TOML text (see examples/mnist-mlp.toml and docs/kernels.md for the fields).
Result<TaskSpec> parse_task_spec(std::string_view toml_text, std::string_view base_dir = "");
Result<TaskSpec> load_task_spec(const std::string& path);
// Structural checks shared by the parser and programmatic specs.
Status validate_task_spec(const TaskSpec& spec);

// Decimal text -> binary32, correctly rounded once; rejects junk and non-finite values.
Result<float> parse_binary32(std::string_view text);

// Integer cost model for consensus (exact, u64): FLOPs of one step, of a segment of L steps, the
// canonical state size, the parameter count.
Result<uint64_t> step_flops(const TaskSpec& spec);
Result<uint64_t> segment_flops(const TaskSpec& spec, uint64_t steps);
Result<uint64_t> state_bytes(const TaskSpec& spec);
Result<uint64_t> param_count(const TaskSpec& spec);

}  // namespace step::kernels
