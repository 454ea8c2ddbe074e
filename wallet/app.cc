#include "wallet/app.h"

#include <ostream>

#include "consensus/params.h"
#include "wallet/commands.h"
#include "wallet/paths.h"
#include "wallet/errors.h"

namespace step::wallet {
namespace {

Result<CommandOutput> dispatch(Context& ctx, const std::vector<std::string>& words) {
    const std::string& cmd = words[0];
    CommandArgs rest(words.begin() + 1, words.end());
    if (cmd == "key") return cmd_key(ctx, rest);
    if (cmd == "balance") return cmd_balance(ctx, rest);
    if (cmd == "send") return cmd_send(ctx, rest);
    if (cmd == "bond") return cmd_bond(ctx, rest, /*unbond=*/false);
    if (cmd == "unbond") return cmd_bond(ctx, rest, /*unbond=*/true);
    if (cmd == "tx") return cmd_tx(ctx, rest);
    if (cmd == "chain") return cmd_chain(ctx, rest);
    if (cmd == "net") return cmd_net(ctx, rest);
    if (cmd == "generate") return cmd_generate(ctx, rest);
    if (cmd == "task") return cmd_task(ctx, rest);
    if (cmd == "blob") return cmd_blob(ctx, rest);
    if (cmd == "agent") return cmd_agent(ctx, rest);
    return usage("unknown command '" + cmd + "'");
}

int report_error(const Status& s, OutputFormat format, std::ostream& err) {
    if (format == OutputFormat::kJson) {
        err << nlohmann::json{{"error", {{"code", s.code()}, {"message", s.message()}}}}.dump()
            << "\n";
    } else {
        err << "error: " << s.message() << "\n";
        if (s.is(codes::kUsage)) err << "run 'step-wallet --help' for usage\n";
    }
    return s.is(codes::kUsage) ? kExitUsage : kExitError;
}

}  // namespace

int run_wallet(const std::vector<std::string>& args, Terminal& terminal, std::ostream& out,
               std::ostream& err) {
    return run_wallet(args, terminal, out, err, nullptr);
}

int run_wallet(const std::vector<std::string>& args, Terminal& terminal, std::ostream& out,
               std::ostream& err, std::shared_ptr<const agent::Deviation> deviation) {
    auto inv = parse_command_line(args);
    if (!inv.ok()) return report_error(inv.status(), OutputFormat::kText, err);
    const Options& opts = inv->options;
    if (opts.help) {
        out << usage_text();
        return kExitOk;
    }
    if (inv->words.empty()) return report_error(usage("no command given"), opts.output, err);
    const bool signs = inv->words[0] == "send" || inv->words[0] == "agent" || inv->words[0] == "bond" ||
                       inv->words[0] == "unbond" ||
                       (inv->words[0] == "task" && inv->words.size() > 1 && inv->words[1] == "submit");
    if (opts.fee && !signs)
        return report_error(usage("--fee applies to send, bond, unbond, task submit and agent only"),
                            opts.output, err);

    Context ctx;
    ctx.options = opts;
    ctx.home = home_from_environment();
    ctx.terminal = &terminal;
    ctx.out = &out;
    ctx.err = &err;
    ctx.agent_deviation = std::move(deviation);
    ctx.params = consensus::params_by_name(network_name(opts.network));
    if (ctx.params == nullptr)  // parse_network and consensus list the same three networks
        return report_error(Status::error(codes::kUnknownNetwork, "no parameters for the network"),
                            opts.output, err);

    auto result = dispatch(ctx, inv->words);
    if (!result.ok()) return report_error(result.status(), opts.output, err);
    if (result->json.is_null() && result->text.empty()) {
        // A command that wrote its own lines as it went (agent).
    } else if (opts.output == OutputFormat::kJson) {
        out << result->json.dump(2) << "\n";
    } else {
        out << result->text;
    }
    return kExitOk;
}

}  // namespace step::wallet
