// task model TASK_ID OUT [TEST_RECORDS]: the task's trained model as its owner receives it. The
// model after round R is G_R = the exact mean of round R-1's final states (PROTOCOL.md section
// 3); each final state is fetched from the node's blob store, checked against the final leaf the
// chain holds, and the mean is written as canonical state bytes. With TEST_RECORDS, the model is
// evaluated on them with the reference kernels. With --format safetensors the file holds the
// model's parameters as PyTorch loads them (kernels/safetensors.h), with the task id, spec hash
// and state root in its metadata. With --sample N, a GPT model also prints N bytes it generates
// (kernels/sample.h, the same generation as step-train --sample).
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "common/rpc_methods.h"
#include "kernels/backend.h"
#include "kernels/data.h"
#include "kernels/model.h"
#include "kernels/safetensors.h"
#include "kernels/sample.h"
#include "kernels/state.h"
#include "kernels/trainer.h"
#include "wallet/agent.h"
#include "wallet/amount.h"
#include "wallet/commands.h"
#include "wallet/secure_file.h"
#include "wallet/errors.h"

namespace step::wallet {

using nlohmann::json;

namespace {

// The model's file in `format`: the canonical state bytes, or safetensors (parameters only).
Result<Bytes> model_file(const agent::TaskInfo& t, const agent::TaskModel& model, const std::string& format) {
    if (format == kernels::kModelFormatState) return kernels::state_to_bytes(model.state);
    if (format != kernels::kModelFormatSafetensors)
        return usage("--format must be 'state' or 'safetensors', not '" + format + "'");
    auto m = kernels::make_model(t.spec.model);
    if (!m.ok()) return m.status();
    return kernels::encode_safetensors(**m, model.state,
                                       {{"task_id", t.id_hex},
                                        {"spec_hash", to_hex(t.spec_hash)},
                                        {"state_root", to_hex(model.state_root)},
                                        {"model", (*m)->spec().text()},
                                        {"rounds", std::to_string(model.rounds)},
                                        {"format", "pt"}});
}

// --sample, --prompt, --temperature, --seed as the generation's options.
Result<kernels::SampleOptions> sample_options(const Options& o) {
    kernels::SampleOptions opt;
    auto count = parse_base_units(o.sample.value_or(""));
    if (!count.ok()) return usage("--sample needs a byte count, not '" + *o.sample + "'");
    opt.count = count->units();
    opt.prompt = o.prompt.value_or("");
    if (o.temperature) {
        char* end = nullptr;
        opt.temperature = std::strtof(o.temperature->c_str(), &end);
        if (o.temperature->empty() || *end != '\0')
            return usage("--temperature needs a number (0: greedy), not '" + *o.temperature + "'");
    }
    if (o.seed) {
        auto seed = parse_base_units(*o.seed);
        if (!seed.ok()) return usage("--seed needs an integer, not '" + *o.seed + "'");
        opt.seed = seed->units();
    }
    return opt;
}

// --sample N: the bytes the model generates, escaped for the terminal, into the output.
Status add_sample(const kernels::SampleOptions& opt, const agent::TaskInfo& t,
                  const kernels::TrainState& state, CommandOutput& out) {
    auto bytes = kernels::sample_bytes(t.spec.model, state, opt,
                                       kernels::Exec{nullptr, kernels::detect_simd()});
    if (!bytes.ok()) return bytes.status();
    const std::string shown = kernels::escape_for_terminal(as_bytes(opt.prompt)) +
                              kernels::escape_for_terminal(*bytes);
    out.json["sample"] = {{"prompt", kernels::escape_for_terminal(as_bytes(opt.prompt))},
                          {"text", kernels::escape_for_terminal(*bytes)},
                          {"hex", to_hex(*bytes)},
                          {"temperature", opt.temperature},
                          {"seed", opt.seed}};
    out.text += shown + (shown.empty() || shown.back() != '\n' ? "\n" : "");
    return Status();
}

}  // namespace

Result<CommandOutput> cmd_task_model(Context& ctx, const CommandArgs& args) {
    if (args.size() != 2 && args.size() != 3) return usage("expected: task model TASK_ID OUT [TEST_RECORDS]");
    const std::string& id_hex = args[0];
    const std::string& out_path = args[1];
    std::optional<kernels::SampleOptions> sampling;
    if (ctx.options.sample) {
        auto s = sample_options(ctx.options);
        if (!s.ok()) return s.status();
        sampling = *s;
    }
    if (!hash_from_hex(id_hex))
        return Status::error(codes::kBadTaskId, "'" + id_hex + "' is not a task id (64 hex digits)");
    auto rpc = ctx.rpc();
    if (!rpc.ok()) return rpc.status();
    auto t = agent::fetch_task(*rpc, *ctx.params, id_hex);
    if (!t.ok()) return t.status();
    auto model = agent::fetch_model(*rpc, *t);
    if (!model.ok()) return model.status();
    const std::string root = to_hex(model->state_root);
    auto file = model_file(*t, *model, ctx.options.model_format.value_or(std::string(kernels::kModelFormatState)));
    if (!file.ok()) return file.status();
    STEP_TRY(atomic_write_file(out_path, std::string(file->begin(), file->end()), 0644, WriteMode::kReplace));
    CommandOutput out;
    const uint32_t rounds = model->rounds;
    out.json = {{"task_id", id_hex},  {"rounds", rounds},       {"of_rounds", t->rounds.rounds},
                {"path", out_path},   {"bytes", file->size()},  {"state_root", root},
                {"format", ctx.options.model_format.value_or(std::string(kernels::kModelFormatState))}};
    out.text = "model after round " + std::to_string(rounds) + " of " + std::to_string(t->rounds.rounds) +
               " (mean of " + std::to_string(model->mean_of) + " final states): " + out_path + ", " +
               std::to_string(file->size()) + " bytes, state root " + root + "\n";
    if (args.size() == 3) {
        auto fmt = kernels::record_format(t->data_format);
        if (!fmt.ok()) return fmt.status();
        auto test = kernels::load_records(args[2], *fmt);
        if (!test.ok()) return test.status();
        auto backend = kernels::make_backend("cpu", kernels::Exec{});
        if (!backend.ok()) return backend.status();
        auto trainer = kernels::Trainer::create(**backend, t->spec);
        if (!trainer.ok()) return trainer.status();
        STEP_TRY((*trainer)->load(model->state));
        const kernels::EvalResult e = (*trainer)->evaluate(*test);
        out.json["test"] = {{"records", e.count}, {"accuracy", e.accuracy}, {"loss", e.loss}};
        char line[160];
        std::snprintf(line, sizeof line, "test accuracy %.2f%% on %llu records (mean loss %.4f)\n",
                      100 * e.accuracy, static_cast<unsigned long long>(e.count), e.loss);
        out.text += line;
    }
    if (sampling) STEP_TRY(add_sample(*sampling, *t, model->state, out));
    return out;
}

}  // namespace step::wallet
