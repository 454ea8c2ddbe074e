// task model TASK_ID OUT [TEST_RECORDS]: the task's trained model as its owner receives it. The
// model after round R is G_R = the exact mean of round R-1's final states (PROTOCOL.md section
// 3); each final state is fetched from the node's blob store, checked against the final leaf the
// chain holds, and the mean is written as canonical state bytes. With TEST_RECORDS, the model is
// evaluated on them with the reference kernels.
#include <cstdio>

#include "common/rpc_methods.h"
#include "kernels/backend.h"
#include "kernels/data.h"
#include "kernels/state.h"
#include "kernels/trainer.h"
#include "wallet/agent.h"
#include "wallet/commands.h"
#include "wallet/secure_file.h"
#include "wallet/errors.h"

namespace step::wallet {

using nlohmann::json;

Result<CommandOutput> cmd_task_model(Context& ctx, const CommandArgs& args) {
    if (args.size() != 2 && args.size() != 3) return usage("expected: task model TASK_ID OUT [TEST_RECORDS]");
    const std::string& id_hex = args[0];
    const std::string& out_path = args[1];
    if (!hash_from_hex(id_hex))
        return Status::error(codes::kBadTaskId, "'" + id_hex + "' is not a task id (64 hex digits)");
    auto rpc = ctx.rpc();
    if (!rpc.ok()) return rpc.status();
    auto t = agent::fetch_task(*rpc, *ctx.params, id_hex);
    if (!t.ok()) return t.status();
    auto model = agent::fetch_model(*rpc, *t);
    if (!model.ok()) return model.status();
    const Bytes canonical = kernels::state_to_bytes(model->state);
    STEP_TRY(atomic_write_file(out_path, std::string(canonical.begin(), canonical.end()), 0644,
                               WriteMode::kReplace));
    CommandOutput out;
    const std::string root = to_hex(model->state_root);
    const uint32_t rounds = model->rounds;
    out.json = {{"task_id", id_hex}, {"rounds", rounds}, {"of_rounds", t->rounds.rounds},
                {"path", out_path}, {"bytes", canonical.size()}, {"state_root", root}};
    out.text = "model after round " + std::to_string(rounds) + " of " + std::to_string(t->rounds.rounds) +
               " (mean of " + std::to_string(model->mean_of) + " final states): " + out_path + ", " +
               std::to_string(canonical.size()) + " bytes, state root " + root + "\n";
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
    return out;
}

}  // namespace step::wallet
