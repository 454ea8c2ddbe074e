// What every agent role shares (wallet/agent.h): the node it polls, the key it signs with, the
// kernels it trains and replays with, the --data records, the state dir and the event log. A
// role (AgentRole) keeps its own state and decides with agent_logic.h; adding a role (the
// whistleblower, the owner) is a new AgentRole next to agent_solver.cc and agent_verifier.cc.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kernels/backend.h"
#include "kernels/data.h"
#include "kernels/state.h"
#include "wallet/agent.h"

namespace step::wallet::agent {

// Names one commitment (or claim) of a unit in the roles' once-only sets and logs:
// "<task>-<round>-<unit>@<height>".
std::string unit_tag(const TaskInfo& t, uint32_t round, uint32_t k, uint64_t height);

// An open task whose dataset this agent holds, with its live units (AgentCore::workable_tasks).
struct WorkableTask {
    TaskInfo task;
    UnitMap units;
};

class AgentCore {
public:
    AgentCore(const Context& ctx, AgentConfig cfg, RpcClient rpc, std::string address, Seed seed,
              std::ostream& out);

    const AgentConfig& config() const { return cfg_; }
    const consensus::Params& params() const { return *ctx_.params; }
    const std::string& address() const { return address_; }
    const RpcClient& rpc() const { return rpc_; }
    // Used by one thread at a time: the role's background job (agent_worker.h) while one runs,
    // else the poll thread.
    kernels::Backend& backend() { return *backend_; }
    // Makes the --backend the config names (auto: CUDA when a device is usable, else the CPU);
    // called once before the first poll. Returns the line that says which, for the first log.
    Result<std::string> start_backend();
    const kernels::Exec& exec() const { return exec_; }
    // The tip height the current pass started at (set by height()).
    uint64_t poll_height() const { return poll_height_; }
    // Seconds per block to plan deadlines with: BLOCK_TIME, or the pace height() has seen when
    // blocks come faster (agent_logic.h BlockPace).
    double block_seconds() const { return pace_.expected(ctx_.params->block_time_s); }

    // Node access. height() also starts a new pass: it sets poll_height().
    Result<uint64_t> height();
    Result<std::vector<std::string>> open_task_ids() const;
    Result<UnitView> unit(const TaskInfo& t, uint32_t round, uint32_t k) const;
    // The open tasks among `ids` whose dataset this agent holds, each with its live units and the
    // round before them (a task the node cannot describe is logged and skipped).
    Result<std::vector<WorkableTask>> workable_tasks(const std::vector<std::string>& ids);
    // A new pass over the open tasks: height(), then workable_tasks() of every open task.
    Result<std::vector<WorkableTask>> begin_pass();
    // Signs and sends `tx` (payload set) at the account's next nonce; returns the txid.
    Result<std::string> send(pb::Transaction& tx) const;

    // The task's records (agent_dataset.cc): --data when its root is the task's dataset root,
    // else the copy cached in the state dir, else the blob the node finds by the dataset root
    // (from its store or its peers), checked record by record against the root and cached.
    // nullptr while it is unavailable (logged; a later pass asks again).
    const kernels::Dataset* dataset_for(const TaskInfo& t);
    // The same, or the error "dataset-unavailable" for a role that must train or replay.
    Result<const kernels::Dataset*> require_dataset(const TaskInfo& t);
    // The last workable_tasks() left out an open task only because its dataset is not here yet
    // (the node may still be fetching it): an agent is not idle while it waits for one.
    bool awaiting_data() const { return awaiting_data_; }
    // A state whose leaf digest at (round, k, leaf) is `committed_leaf`: from the state dir, else
    // found in the blob store (listblobs, matched by leaf digest, downloaded with proofs).
    Result<Bytes> fetch_state(const TaskInfo& t, uint32_t round, uint32_t k, uint32_t leaf,
                              const Hash256& committed_leaf);
    // Round r-1's final states (none for round 0), each fetched with fetch_state.
    Result<std::vector<kernels::TrainState>> previous_finals(const TaskInfo& t, uint32_t round,
                                                             const UnitMap& units);
    // G_r: init for round 0, else the mean of round r-1's final states.
    Result<kernels::TrainState> start_state(const TaskInfo& t, uint32_t round,
                                            const UnitMap& units);
    // <state dir>/<task>-<round>-<unit><ext>: a unit's leaves, audits, ...
    std::string unit_path(const TaskInfo& t, uint32_t round, uint32_t k,
                          const std::string& ext) const;
    // <state dir>/<leaf digest>.state: a trained or fetched state, named by the leaf committing it.
    std::string state_path(const Hash256& committed_leaf) const;

    // Missing data (agent_challenge.cc). fetch_state notes each state it could not find (and
    // forgets it once found); after each pass the agent raises a DataChallenge on a noted state
    // when challenge_due says so, at most once per committed blob (saved in the state dir before
    // it is sent), and logs how it ended. Unanswered, consensus resets or slashes the solver and
    // excuses the audits that needed the data.
    void challenge_missing_data();

    // One event line (JSON with --output json, else text).
    void log(const std::string& event, const TaskInfo* t, std::optional<UnitKey> unit,
             nlohmann::json fields, const std::string& text);
    // A failure, logged once per height (polls come many times per block).
    void log_error(const std::string& what, const TaskInfo* t, std::optional<UnitKey> unit,
                   const Status& s);

private:
    const Context& ctx_;
    AgentConfig cfg_;
    RpcClient rpc_;
    std::string address_;
    Seed seed_;
    std::ostream& out_;
    kernels::Exec exec_;
    std::unique_ptr<kernels::Backend> backend_;
    // agent_challenge.cc
    struct MissingData {
        TaskInfo task;
        uint32_t round = 0, unit = 0, leaf = 0;
        Hash256 committed_leaf{};
        uint64_t first_failed = 0;  // tip height of the first failed fetch
    };
    void note_missing(const TaskInfo& t, uint32_t round, uint32_t k, uint32_t leaf,
                      const Hash256& committed_leaf, bool missing);
    // The challenge step due on one missing state; true once it needs no more attention.
    Result<bool> tend_missing(const MissingData& m);
    Status send_challenge(const MissingData& m, DataKind kind, const std::string& path,
                          uint64_t chunk);
    // The file a challenge on chunk `chunk` of m's blob is saved in.
    std::string challenge_path(const MissingData& m, uint64_t chunk) const;
    void log_settled(const MissingData& m, const UnitView& u, bool still_committed);
    std::mutex missing_mu_;  // fetch_state may run off the poll thread
    std::map<std::string, MissingData> missing_;  // by committed leaf (hex)

    // agent_dataset.cc
    void load_data_file(const TaskInfo& t);
    Result<kernels::Dataset> fetch_dataset(const TaskInfo& t);
    std::string dataset_path(const Hash256& dataset_root) const;

    std::map<Hash256, kernels::Dataset> datasets_;  // by dataset root: --data, cached, fetched
    std::set<std::string> data_formats_read_;      // formats --data was read as (once each)
    std::set<std::string> data_reported_;     // dataset problems already logged (once each)
    bool awaiting_data_ = false;              // see awaiting_data()
    uint64_t poll_height_ = 0;                // the tip height the current pass started at
    BlockPace pace_;                          // the tips height() has seen, and when
    std::set<std::string> errors_at_height_;  // failures logged at poll_height_ (once each)
};

// One role of the agent. Each keeps its own state between passes.
class AgentRole {
public:
    virtual ~AgentRole() = default;
    // One pass over the open tasks; `idle` is set when nothing is left for this role.
    virtual Status poll(bool* idle) = 0;
    // SIGTERM: stops the role's background job at its next check and waits for it. What it
    // owes stays in the state dir for the next start.
    virtual void stop() {}
};

std::unique_ptr<AgentRole> make_solver(AgentCore& core);    // agent_solver.cc
std::unique_ptr<AgentRole> make_verifier(AgentCore& core);  // agent_verifier.cc
std::unique_ptr<AgentRole> make_owner(AgentCore& core);     // agent_owner.cc
std::unique_ptr<AgentRole> make_whistleblower(AgentCore& core);  // agent_whistle.cc

}  // namespace step::wallet::agent
