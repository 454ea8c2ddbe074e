// Spec validation, binary32 parsing and the integer cost model (toml++ stays in spec_toml.cc).
#include <charconv>
#include <cmath>

#include "kernels/data.h"
#include "kernels/op_flops.h"
#include "kernels/spec.h"
#include "kernels/state.h"
#include "kernels/errors.h"

namespace step::kernels {

const char* optimizer_name(OptimizerKind k) { return k == OptimizerKind::kAdamW ? "adamw" : "sgd"; }

Result<float> parse_binary32(std::string_view text) {
    // from_chars does not accept a leading '+'; TOML does.
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    float v = 0.0f;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v,
                                     std::chars_format::general);
    if (ec == std::errc::result_out_of_range)
        return Status::error(codes::kBadNumber, "'" + std::string(text) + "' is out of binary32 range");
    if (ec != std::errc() || ptr != text.data() + text.size() || text.empty())
        return Status::error(codes::kBadNumber, "'" + std::string(text) + "' is not a decimal number");
    if (!std::isfinite(v)) return Status::error(codes::kBadNumber, "must be finite");
    return v;
}

Status validate_task_spec(const TaskSpec& s) {
    auto bad = [](const std::string& field, const std::string& why) {
        return Status::error(codes::kBadSpec, "spec." + field + ": " + why);
    };
    if (s.kernel_version != kKernelVersion)
        return bad("kernel_version", "this build implements version " +
                                         std::to_string(kKernelVersion));
    auto model = make_model(s.model);
    if (!model.ok()) return bad("model", model.status().message());
    if (s.loss != "softmax-xent") return bad("loss", "unknown loss '" + s.loss + "'");
    const OptimizerSpec& o = s.optimizer;
    for (auto [name, v] : {std::pair<const char*, float>{"lr", o.lr}, {"momentum", o.momentum},
                           {"weight_decay", o.weight_decay}, {"beta1", o.beta1},
                           {"beta2", o.beta2}, {"eps", o.eps},
                           {"max_grad_norm", o.max_grad_norm}})
        if (!std::isfinite(v)) return bad(std::string("optimizer.") + name, "must be finite");
    if (!(o.lr > 0.0f)) return bad("optimizer.lr", "must be > 0");
    if (o.momentum < 0.0f || o.momentum >= 1.0f) return bad("optimizer.momentum", "must be in [0, 1)");
    if (o.weight_decay < 0.0f) return bad("optimizer.weight_decay", "must be >= 0");
    // +0 (off) or positive: -0 is refused so that "off" has one encoding (no bits on the wire).
    if (o.max_grad_norm < 0.0f || std::signbit(o.max_grad_norm))
        return bad("optimizer.max_grad_norm", "must be 0 (off) or > 0");
    if (o.kind == OptimizerKind::kAdamW) {
        if (o.beta1 < 0.0f || o.beta1 >= 1.0f) return bad("optimizer.beta1", "must be in [0, 1)");
        if (o.beta2 < 0.0f || o.beta2 >= 1.0f) return bad("optimizer.beta2", "must be in [0, 1)");
        if (!(o.eps > 0.0f)) return bad("optimizer.eps", "must be > 0");
    }
    if (s.batch < 1 || s.batch > 65536) return bad("batch", "must be in [1, 65536]");
    if (s.steps < 1) return bad("steps", "must be >= 1");
    if (!record_format(s.data_format).ok()) return bad("data.format", "unknown record format");
    if (s.units_per_round < 1 || s.units_per_round > 65536)
        return bad("split.units", "must be in [1, 65536]");
    if (s.steps_per_unit < 1) return bad("split.steps_per_unit", "must be >= 1");
    if (s.leaf_interval < 1) return bad("leaf_interval", "must be >= 1");
    if (s.steps_per_unit % s.leaf_interval != 0)
        return bad("split.steps_per_unit", "must be a multiple of leaf_interval");
    if (s.checkpoint_interval % s.leaf_interval != 0 ||
        s.checkpoint_interval < 2 * s.leaf_interval)
        return bad("checkpoint_interval", "must be a multiple of leaf_interval, at least 2x it");
    if (s.audit_verifiers < 1) return bad("audit.verifiers", "must be >= 1");
    if (s.audit_leaves < 1) return bad("audit.leaves", "must be >= 1");
    return Status();
}

namespace {
// Optimiser FLOPs per parameter, counting each binary32 operation of its ops.h definition.
uint64_t optimizer_flops(OptimizerKind k) { return k == OptimizerKind::kAdamW ? 14 : 6; }

constexpr uint64_t kMaxU64 = ~uint64_t{0};
}  // namespace

Result<uint64_t> step_flops(const TaskSpec& spec) {
    auto model = make_model(spec.model);
    if (!model.ok()) return model.status();
    const uint64_t f = (*model)->flops_per_step(spec.batch, optimizer_flops(spec.optimizer.kind));
    if (spec.optimizer.max_grad_norm > 0.0f)
        return f + clip_grad_norm_flops((*model)->param_count());
    return f;
}

Result<uint64_t> segment_flops(const TaskSpec& spec, uint64_t steps) {
    auto f = step_flops(spec);
    if (!f.ok()) return f;
    if (steps && *f > kMaxU64 / steps) return Status::error(codes::kOverflow, "segment FLOPs overflow u64");
    return *f * steps;
}

Result<uint64_t> param_count(const TaskSpec& spec) {
    auto model = make_model(spec.model);
    if (!model.ok()) return model.status();
    return (*model)->param_count();
}

Result<uint64_t> state_bytes(const TaskSpec& spec) {
    auto p = param_count(spec);
    if (!p.ok()) return p;
    return canonical_state_size(spec.model.text(), spec.optimizer.kind, *p);
}

}  // namespace step::kernels
