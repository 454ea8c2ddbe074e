// `step-wallet agent`: unlocks the signing key once, then runs the solver or verifier agent
// (wallet/agent.h) until SIGINT or SIGTERM, or until idle with --exit-when-idle.
#include <atomic>
#include <csignal>
#include <cstdlib>

#include "common/rpc_methods.h"
#include "consensus/params.h"
#include "wallet/agent.h"
#include "wallet/commands.h"
#include "wallet/paths.h"
#include "wallet/errors.h"

namespace step::wallet {
namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int) { g_stop.store(true); }

// Installs the handlers for the agent's lifetime and restores the previous ones after.
class StopSignals {
public:
    StopSignals() {
        g_stop.store(false);
        struct sigaction sa {};
        sa.sa_handler = on_stop_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, &old_int_);
        sigaction(SIGTERM, &sa, &old_term_);
    }
    ~StopSignals() {
        sigaction(SIGINT, &old_int_, nullptr);
        sigaction(SIGTERM, &old_term_, nullptr);
    }

private:
    struct sigaction old_int_ {};
    struct sigaction old_term_ {};
};

}  // namespace

Result<CommandOutput> cmd_agent(Context& ctx, const CommandArgs& args) {
    if (!args.empty())
        return usage("expected: agent --role solver|verifier|owner|whistleblower [--data FILE]");
    const Options& o = ctx.options;
    const std::optional<agent::Role> role = o.role ? agent::parse_role(*o.role) : std::nullopt;
    if (!role) return usage("agent needs --role solver, verifier, owner or whistleblower");
    agent::AgentConfig cfg;
    cfg.role = *role;
    cfg.data_file = o.data_file;
    cfg.exit_when_idle = o.exit_when_idle;
    cfg.deviation = ctx.agent_deviation;
    if (o.backend) {
        if (*o.backend != kernels::kBackendAuto && *o.backend != kernels::kBackendCpu &&
            *o.backend != kernels::kBackendCuda)
            return usage("--backend must be auto, cpu or cuda, not '" + *o.backend + "'");
        cfg.backend = *o.backend;
    }
    if (o.cpu_share) {
        // A plain decimal in (0, 1]: more than one core is more agents.
        char* end = nullptr;
        const double share = std::strtod(o.cpu_share->c_str(), &end);
        if (o.cpu_share->empty() || *end != '\0' || !(share > 0 && share <= 1))
            return usage("--cpu-share must be a fraction in (0, 1], not '" + *o.cpu_share + "'");
        cfg.cpu_share = share;
    }
    if (o.poll_ms) {
        auto ms = parse_base_units(*o.poll_ms);
        if (!ms.ok() || ms->units() == 0 || ms->units() > 600'000)
            return usage("--poll-ms must be 1..600000, not '" + *o.poll_ms + "'");
        cfg.poll = std::chrono::milliseconds(ms->units());
    }
    auto key = ctx.signing_key();
    if (!key.ok()) return key.status();
    if (o.state_dir) {
        cfg.state_dir = *o.state_dir;
    } else {
        auto ks = ctx.keystore();
        if (!ks.ok()) return ks.status();
        cfg.state_dir = ks->dir() + "/agent-" + *o.role + "-" + key->name;
    }
    auto rpc = ctx.rpc();
    if (!rpc.ok()) return rpc.status();
    if (auto cred = rpc->credentials(); !cred.ok()) return cred.status();
    auto info = rpc->call(rpc::kGetChainInfo, nlohmann::json::object(), RpcAuth::kNone);
    if (!info.ok()) return info.status();
    auto chain_id = json_u64(*info, "chain_id");
    if (!chain_id.ok()) return chain_id.status();
    if (*chain_id != ctx.params->chain_id)
        return Status::error(codes::kNetworkMismatch, "the node at " + rpc->url().text + " runs another network (chain id " +
                                                     std::to_string(*chain_id) + "): pass --network or --rpc");
    auto seed = ctx.unlock(*key);
    if (!seed.ok()) return seed.status();
    StopSignals signals;
    agent::Agent a(ctx, cfg, *rpc, key->identity.address, *seed, *ctx.out);
    STEP_TRY(a.run(g_stop));
    return CommandOutput{nlohmann::json(), ""};
}

}  // namespace step::wallet
