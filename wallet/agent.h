// The market agents (docs/market.md "Agents"): `step-wallet agent --role solver|verifier`. Each
// polls stepd over JSON-RPC, decides with agent_logic.h, computes with the verifier's own code
// (build_trace, run_audit) and signs with the wallet's key. stepd holds no keys.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "kernels/backend_select.h"
#include "kernels/spec.h"
#include "kernels/state.h"
#include "verifier/trace.h"
#include "wallet/agent_logic.h"
#include "wallet/context.h"

namespace step::pb {
class Transaction;
class UnitRef;
}

namespace step::wallet::agent {

struct Deviation;  // agent_deviation.h: the adversary suite's seams

// The agent's job. Each role keeps its own state (agent_solver.cc, agent_verifier.cc); what
// they share (the node, the key, the kernels, the log) is AgentCore's (agent_core.h).
enum class Role { kSolver, kVerifier, kOwner, kWhistleblower };
// "solver", "verifier", "owner", "whistleblower": the --role names.
std::string_view role_name(Role role);
std::optional<Role> parse_role(std::string_view name);

// A whistleblower replays a quarter of a core by default: a background duty beside a node or a
// solver, not the machine's main work.
inline constexpr double kDefaultCpuShare = 0.25;

struct AgentConfig {
    Role role = Role::kSolver;
    std::optional<std::string> data_file;  // the records a task's dataset root must match
    std::string state_dir;                 // trained states, leaves, audit salts
    bool exit_when_idle = false;
    std::chrono::milliseconds poll{500};
    std::string backend = kernels::kBackendAuto;  // kernels/backend_select.h
    // The whistleblower's replay budget: this share of one core (ReplayBudget, agent_logic.h).
    double cpu_share = kDefaultCpuShare;
    // Null in step-wallet: only the adversary suite's test program sets one (agent_deviation.h).
    std::shared_ptr<const Deviation> deviation;
};

// A task as the agent works with it: the exact spec the chain holds and its progress.
struct TaskInfo {
    Hash256 id{};
    std::string id_hex;
    kernels::TaskSpec spec;
    Hash256 spec_hash{};  // SHA-256 of the canonical spec bytes (gettask's spec_hex)
    Hash256 dataset_root{};
    std::string data_format;
    RoundsView rounds;
    verifier::TraceShape shape;
    bool closed = false;  // done or cancelled
};

using UnitKey = std::pair<uint32_t, uint32_t>;  // (round, unit)
using UnitMap = std::map<UnitKey, UnitView>;    // unit records by (round, unit)

// Points a market payload's UnitRef at unit (round, k) of task t.
void set_ref(pb::UnitRef* ref, const TaskInfo& t, uint32_t round, uint32_t k);

// The task as the chain holds it (gettask's canonical spec bytes, progress).
Result<TaskInfo> fetch_task(const RpcClient& rpc, const consensus::Params& params, const std::string& id_hex);
// The same from a gettask answer the caller already holds.
Result<TaskInfo> task_from_gettask(const consensus::Params& params, const std::string& id_hex,
                                   const nlohmann::json& gettask);
// The state whose leaf digest at (task, round, k, leaf) is `committed_leaf`, looked up by that
// name (findblob): the node finds it in its store, or fetches it from its peers while this polls
// (at most a few seconds), and it is downloaded with every chunk checked against a root that must
// give `committed_leaf`. Error "state-unavailable" when neither the node nor its peers hold it,
// "state-fetching" while the node's fetch from its peers is still under way (ask again later).
Result<Bytes> find_state_blob(const RpcClient& rpc, const Hash256& task, uint32_t round, uint32_t k,
                              uint32_t leaf, const Hash256& committed_leaf);

// The model a task's owner receives after its last final round R: G_R, the exact mean of round
// R-1's final states, each fetched with find_state_blob. no-final-round before the first.
struct TaskModel {
    kernels::TrainState state;
    uint32_t rounds = 0;       // R
    uint32_t of_rounds = 0;    // the task's rounds
    uint32_t mean_of = 0;      // final states averaged
    Hash256 state_root{};
};
Result<TaskModel> fetch_model(const RpcClient& rpc, const TaskInfo& t);

class AgentCore;
class AgentRole;

class Agent {
public:
    Agent(const Context& ctx, AgentConfig cfg, RpcClient rpc, std::string address, Seed seed,
          std::ostream& out);
    ~Agent();
    // Polls until `stop` is set (or, with exit_when_idle, until no open task is left to it).
    Status run(const std::atomic<bool>& stop);

private:
    std::unique_ptr<AgentCore> core_;
    std::unique_ptr<AgentRole> role_;
};

}  // namespace step::wallet::agent
