// The task owner's agent: keeps the owner's open tasks alive and hands over the result. It
// answers every dataset challenge on them (a withheld dataset cancels the task and burns the
// rest of the escrow), logs each round as it finalises, and when a task is done writes its model
// (G_R, as `task model` fetches it) into the state dir. Each task it looks after is marked in
// the state dir (`<task>.owned`) until its model is written, so an owner killed while the task
// closed writes the model when it starts again.
#include <filesystem>
#include <memory>
#include <set>

#include "common/merkle.h"
#include "common/rpc_methods.h"
#include "consensus/proto/chain.pb.h"
#include "kernels/data.h"
#include "wallet/agent_core.h"
#include "wallet/agent_deviation.h"
#include "wallet/agent_events.h"
#include "wallet/errors.h"
#include "wallet/secure_file.h"

namespace step::wallet::agent {
namespace {

using nlohmann::json;

class OwnerRole final : public AgentRole {
public:
    explicit OwnerRole(AgentCore& core) : core_(core) {}
    Status poll(bool* idle) override;

private:
    // One of my open tasks, as gettask shows it (`task` is its `owner`'s, checked).
    void tend(const TaskInfo& t, const json& task);
    Status answer(const TaskInfo& t, uint64_t record);
    // The task left the open list: done (write the model) or cancelled. Its mark is removed
    // once that is done; a failure leaves it for the next start.
    void finish(const std::string& id);
    const std::vector<Hash256>& record_hashes(const kernels::Dataset& ds);
    std::string mark_path(const std::string& id) const {
        return core_.config().state_dir + "/" + id + ".owned";
    }
    // The tasks marked by an earlier run (its last pass may not have seen them close).
    std::set<std::string> marked_tasks() const;

    AgentCore& core_;
    bool started_ = false;                  // the first pass has looked at the marks
    std::set<std::string> not_mine_;        // open tasks of other owners (never change hands)
    std::map<std::string, TaskInfo> mine_;  // my open tasks as last seen
    std::set<std::string> answered_;        // "<task>:<record>@<challenge height>"
    std::optional<Hash256> hashed_root_;    // the dataset record_hashes_ belong to
    std::vector<Hash256> record_hashes_;
};

Status OwnerRole::poll(bool* idle) {
    auto h = core_.height();
    if (!h.ok()) return h.status();
    auto ids = core_.open_task_ids();
    if (!ids.ok()) return ids.status();
    const std::set<std::string> open(ids->begin(), ids->end());
    if (!started_) {
        started_ = true;
        for (const std::string& id : marked_tasks()) {
            if (open.count(id)) continue;
            finish(id);
            mine_.erase(id);  // finish() logged its last rounds through tend()
        }
    }
    for (const std::string& id : *ids) {
        if (not_mine_.count(id)) continue;
        auto task = core_.rpc().call(rpc::kGetTask, {{"task_id", id}}, RpcAuth::kNone);
        if (!task.ok()) return task.status();
        if (task->value("owner", std::string()) != core_.address()) {
            not_mine_.insert(id);
            continue;
        }
        auto t = task_from_gettask(core_.params(), id, *task);
        if (!t.ok()) {
            core_.log_error("gettask", nullptr, std::nullopt, t.status());
            continue;
        }
        tend(*t, *task);
    }
    for (auto it = mine_.begin(); it != mine_.end();) {
        if (open.count(it->first)) {
            ++it;
            continue;
        }
        finish(it->first);
        it = mine_.erase(it);
    }
    *idle = mine_.empty();
    return Status();
}

std::set<std::string> OwnerRole::marked_tasks() const {
    std::set<std::string> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(core_.config().state_dir, ec)) {
        const std::filesystem::path& p = e.path();
        if (p.extension() == ".owned" && hash_from_hex(p.stem().string()))
            out.insert(p.stem().string());
    }
    return out;
}

void OwnerRole::tend(const TaskInfo& t, const json& task) {
    auto [seen, first] = mine_.try_emplace(t.id_hex, t);
    if (first) {
        Status s =
            atomic_write_file(mark_path(t.id_hex), t.id_hex + "\n", 0600, WriteMode::kReplace);
        if (!s.ok()) core_.log_error("mark task", &t, std::nullopt, s);
    }
    for (uint32_t r = first ? 0 : seen->second.rounds.finalised_rounds; r < t.rounds.finalised_rounds; ++r)
        core_.log(agent_events::kRoundFinal, &t, std::nullopt, {{"round", r}, {"of_rounds", t.rounds.rounds}},
                  "round " + std::to_string(r + 1) + " of " + std::to_string(t.rounds.rounds) + " final");
    seen->second = t;
    for (const json& c : task.value("data_challenges", json::array())) {
        if (c.value("kind", std::string()) != rpc::kDataDataset) continue;
        auto record = json_u64(c, "record");
        auto height = json_u64(c, "height");
        if (!record.ok() || !height.ok()) continue;
        const std::string key = t.id_hex + ":" + std::to_string(*record) + "@" + std::to_string(*height);
        if (answered_.count(key)) continue;
        Status s = answer(t, *record);
        if (s.ok())
            answered_.insert(key);
        else
            core_.log_error("dataset response", &t, std::nullopt, s);
    }
}

const std::vector<Hash256>& OwnerRole::record_hashes(const kernels::Dataset& ds) {
    const Hash256 root = kernels::dataset_root(ds);
    if (hashed_root_ != root) {
        record_hashes_.clear();
        for (uint64_t i = 0; i < ds.count(); ++i)
            record_hashes_.push_back(kernels::record_hash(
                ByteSpan(ds.record(i), static_cast<size_t>(ds.format.record_bytes))));
        hashed_root_ = root;
    }
    return record_hashes_;
}

// The record's bytes and its path to the dataset root: what consensus checks against the root.
Status OwnerRole::answer(const TaskInfo& t, uint64_t record) {
    if (const Deviation* dev = core_.config().deviation.get();
        dev && dev->withhold_record && dev->withhold_record(t, record))
        return Status();
    auto ds = core_.require_dataset(t);
    if (!ds.ok()) return ds.status();
    if (record >= (*ds)->count())
        return Status::error(codes::kDatasetMismatch, "challenge names record " + std::to_string(record) +
                                                          " of " + std::to_string((*ds)->count()));
    const uint8_t* bytes = (*ds)->record(record);
    pb::Transaction tx;
    auto* r = tx.mutable_data_response();
    r->mutable_unit()->set_task_id(t.id.data(), t.id.size());
    r->set_kind(pb::DATA_DATASET);
    r->set_record(record);
    r->set_record_bytes(bytes, static_cast<size_t>((*ds)->format.record_bytes));
    for (const Hash256& h : merkle_proof(record_hashes(**ds), static_cast<size_t>(record)))
        r->add_proof(h.data(), h.size());
    auto txid = core_.send(tx);
    if (!txid.ok()) return txid.status();
    core_.log(agent_events::kAnswered, &t, std::nullopt,
              {{"txid", *txid}, {"kind", rpc::kDataDataset}, {"record", record}},
              "answered a dataset challenge on record " + std::to_string(record) + ", tx " + *txid);
    return Status();
}

void OwnerRole::finish(const std::string& id) {
    auto t = fetch_task(core_.rpc(), core_.params(), id);
    if (!t.ok()) return core_.log_error("gettask", nullptr, std::nullopt, t.status());
    std::error_code ec;
    if (t->rounds.finalised_rounds < t->rounds.rounds) {
        core_.log(agent_events::kTaskClosed, &*t, std::nullopt, json::object(), "task cancelled");
        std::filesystem::remove(mark_path(id), ec);
        return;
    }
    tend(*t, json::object());  // log the rounds finalised since the last pass
    auto model = fetch_model(core_.rpc(), *t);
    if (!model.ok()) return core_.log_error("model", &*t, std::nullopt, model.status());
    const Bytes bytes = kernels::state_to_bytes(model->state);
    const std::string path = core_.config().state_dir + "/" + t->id_hex + ".model.state";
    Status s = atomic_write_file(path, std::string(bytes.begin(), bytes.end()), 0644, WriteMode::kReplace);
    if (!s.ok()) return core_.log_error("model", &*t, std::nullopt, s);
    std::filesystem::remove(mark_path(id), ec);  // the model is written: nothing left owed
    const std::string root = to_hex(model->state_root);
    core_.log(agent_events::kModel, &*t, std::nullopt,
              {{"path", path}, {"rounds", model->rounds}, {"bytes", bytes.size()}, {"state_root", root}},
              "task done: model after round " + std::to_string(model->rounds) + " written to " + path +
                  ", state root " + root);
}

}  // namespace

Result<TaskModel> fetch_model(const RpcClient& rpc, const TaskInfo& t) {
    const uint32_t rounds = t.rounds.finalised_rounds;
    if (rounds == 0)
        return Status::error(codes::kNoFinalRound, "no round of the task is final yet: there is no model to fetch");
    std::vector<kernels::TrainState> finals;
    for (uint32_t k = 0; k < t.rounds.units_per_round; ++k) {
        auto u = rpc.call(rpc::kGetUnit, {{"task_id", t.id_hex}, {"round", rounds - 1}, {"unit", k}}, RpcAuth::kNone);
        if (!u.ok()) return u.status();
        auto unit = parse_unit(*u);
        if (!unit.ok()) return unit.status();
        auto bytes = find_state_blob(rpc, t.id, rounds - 1, k, t.shape.last_leaf, unit->final_leaf);
        if (!bytes.ok()) return bytes.status();
        auto state = kernels::state_from_bytes(*bytes);
        if (!state.ok()) return state.status();
        finals.push_back(std::move(*state));
    }
    auto mean = kernels::mean_states(finals, kernels::Exec{});
    if (!mean.ok()) return mean.status();
    TaskModel out{std::move(*mean), rounds, t.rounds.rounds, static_cast<uint32_t>(finals.size()), {}};
    out.state_root = kernels::state_root(out.state, kernels::Exec{});
    return out;
}

std::unique_ptr<AgentRole> make_owner(AgentCore& core) { return std::make_unique<OwnerRole>(core); }

}  // namespace step::wallet::agent
