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
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kernels/backend.h"
#include "kernels/data.h"
#include "kernels/spec.h"
#include "kernels/state.h"
#include "verifier/fraud_proof.h"
#include "verifier/trace.h"
#include "wallet/agent_logic.h"
#include "wallet/context.h"

namespace step::pb {
class Transaction;
class UnitRef;
}

namespace step::wallet::agent {

enum class Role { kSolver, kVerifier };

struct AgentConfig {
    Role role = Role::kSolver;
    std::optional<std::string> data_file;  // the records a task's dataset root must match
    std::string state_dir;                 // trained states, leaves, audit salts
    bool exit_when_idle = false;
    std::chrono::milliseconds poll{500};
};

// A task as the agent works with it: the exact spec the chain holds and its progress.
struct TaskInfo {
    Hash256 id{};
    std::string id_hex;
    kernels::TaskSpec spec;
    Hash256 dataset_root{};
    std::string data_format;
    RoundsView rounds;
    verifier::TraceShape shape;
    bool closed = false;  // done or cancelled
};

using UnitKey = std::pair<uint32_t, uint32_t>;  // (round, unit)

// Points a market payload's UnitRef at unit (round, k) of task t.
void set_ref(pb::UnitRef* ref, const TaskInfo& t, uint32_t round, uint32_t k);

// The task as the chain holds it (gettask's canonical spec bytes, progress).
Result<TaskInfo> fetch_task(const RpcClient& rpc, const consensus::Params& params, const std::string& id_hex);
// A stored state whose leaf digest at (task, round, k, leaf) is `committed_leaf`: the chain holds
// only leaf digests over state roots (= blob roots), so every blob the node lists is tried, and
// the match is downloaded with every chunk checked. Error "state-unavailable" when none matches.
Result<Bytes> find_state_blob(const RpcClient& rpc, const Hash256& task, uint32_t round, uint32_t k,
                              uint32_t leaf, const Hash256& committed_leaf);

class Agent {
public:
    Agent(const Context& ctx, AgentConfig cfg, RpcClient rpc, std::string address, Seed seed,
          std::ostream& out);
    ~Agent();
    // Polls until `stop` is set (or, with exit_when_idle, until no open task is left to it).
    Status run(const std::atomic<bool>& stop);

private:
    // Node access (agent.cc).
    Result<uint64_t> height();  // also remembered as poll_height_
    Result<std::vector<std::string>> open_task_ids() const;
    Result<TaskInfo> task(const std::string& id_hex) const;
    Result<UnitView> unit(const TaskInfo& t, uint32_t round, uint32_t k) const;
    // The units of the live rounds and the round before them.
    Result<std::map<std::pair<uint32_t, uint32_t>, UnitView>> live_units(const TaskInfo& t) const;
    // The open tasks among `ids` whose dataset this agent holds, each with its live units (a task
    // the node cannot describe is logged and skipped).
    Result<std::vector<std::pair<TaskInfo, std::map<std::pair<uint32_t, uint32_t>, UnitView>>>>
    workable_tasks(const std::vector<std::string>& ids);
    // Signs and sends `tx` (payload set) at the account's next nonce; returns the txid.
    Result<std::string> send(pb::Transaction& tx) const;
    // The --data records when their root is the task's dataset root, else nullptr.
    const kernels::Dataset* dataset_for(const TaskInfo& t);
    // A state whose leaf digest at (round, k, leaf) is `committed_leaf`: from the state dir, else
    // found in the blob store (listblobs, matched by leaf digest, downloaded with proofs).
    Result<Bytes> fetch_state(const TaskInfo& t, uint32_t round, uint32_t k, uint32_t leaf,
                              const Hash256& committed_leaf);
    // G_r: init for round 0, else the mean of round r-1's final states.
    Result<kernels::TrainState> start_state(
        const TaskInfo& t, uint32_t round,
        const std::map<std::pair<uint32_t, uint32_t>, UnitView>& units);
    std::string unit_path(const TaskInfo& t, uint32_t round, uint32_t k, const std::string& ext) const;
    void log(const std::string& event, const TaskInfo* t, std::optional<std::pair<uint32_t, uint32_t>> unit,
             nlohmann::json fields, const std::string& text);
    void log_error(const std::string& what, const TaskInfo* t,
                   std::optional<std::pair<uint32_t, uint32_t>> unit, const Status& s);

    // One pass over the open tasks; `idle` is set when nothing is left for this agent.
    Status solver_poll(bool* idle);      // agent_solver.cc
    Status verifier_poll(bool* idle);    // agent_verifier.cc
    Status solve_unit(const TaskInfo& t, const UnitView& u,
                      const std::map<std::pair<uint32_t, uint32_t>, UnitView>& units);
    Status answer_challenge(const TaskInfo& t, const UnitView& u, const ChallengeView& c);
    Status audit_unit(const TaskInfo& t, const UnitView& u, AuditStep step,
                      const std::map<std::pair<uint32_t, uint32_t>, UnitView>& units);
    // ProofCommit, then (once it is in a block) FraudProof for the first wrong leaf of an opened
    // trace our audit disagreed with.
    Status prove_fraud(const TaskInfo& t, const UnitView& u,
                       const std::map<std::pair<uint32_t, uint32_t>, UnitView>& units);
    Status send_audit_commit(const TaskInfo& t, const UnitView& u, const AuditView& a, const Hash256& salt,
                             const std::vector<Hash256>& digests, double replay_seconds);
    // Logs `final` for our units of tasks that closed since the last pass (they leave listtasks).
    void report_closed_tasks(const std::vector<std::string>& open_ids);

    const Context& ctx_;
    AgentConfig cfg_;
    RpcClient rpc_;
    std::string address_;
    Seed seed_;
    std::ostream& out_;
    kernels::Exec exec_;
    std::unique_ptr<kernels::Backend> backend_;
    std::optional<kernels::Dataset> data_;
    std::optional<Hash256> data_root_;
    std::set<std::string> reported_;  // one-time log lines already written (keys)
    uint64_t poll_height_ = 0;        // the tip height the current pass started at
    std::set<std::string> errors_at_height_;  // failures logged at poll_height_ (once each)
    // Solver: the claim sent and not yet seen on chain: (task, round, unit) and the height.
    struct PendingClaim {
        std::string task;
        uint32_t round = 0, unit = 0;
        uint64_t sent_at = 0;
    };
    std::optional<PendingClaim> pending_claim_;
    uint64_t claim_refused_at_ = UINT64_MAX;  // height of the last refused claim: retry next block
    std::map<std::string, TaskInfo> worked_on_;  // open tasks we acted in, by id
    // Verifier: fraud proofs in progress, by unit and commit height.
    struct PendingProof {
        bool searched = false;
        std::optional<verifier::FraudProof> proof;
        Hash256 commitment{};
        uint64_t committed_at = 0;  // tip height when the ProofCommit was sent
        bool revealed = false;
    };
    std::map<std::string, PendingProof> proofs_;
};

}  // namespace step::wallet::agent
