// The agents' shared machinery: the poll loop, node reads, sending, state files and blob
// look-ups, logging. The solver's and verifier's passes live in agent_solver.cc and
// agent_verifier.cc; their decisions in agent_logic.cc.
#include "wallet/agent.h"

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <thread>

#include "common/merkle.h"
#include "consensus/proto/chain.pb.h"
#include "consensus/params.h"
#include "consensus/task_spec.h"
#include "kernels/simd.h"
#include "node/rpc_methods.h"
#include "wallet/blob_transfer.h"
#include "wallet/secure_file.h"
#include "wallet/tx_builder.h"
#include "consensus/errors.h"
#include "wallet/errors.h"

namespace step::wallet::agent {

using nlohmann::json;

Agent::Agent(const Context& ctx, AgentConfig cfg, RpcClient rpc, std::string address, Seed seed,
             std::ostream& out)
    : ctx_(ctx), cfg_(std::move(cfg)), rpc_(std::move(rpc)), address_(std::move(address)),
      seed_(seed), out_(out) {
    // Every SIMD level computes the same bits (docs/kernels.md), so the fastest one is used.
    exec_.simd = kernels::detect_simd();
    backend_ = kernels::make_cpu_backend(exec_);
}

Agent::~Agent() = default;

Status Agent::run(const std::atomic<bool>& stop) {
    STEP_TRY(ensure_private_dir(cfg_.state_dir));
    if (cfg_.data_file) {
        // The format is the task's; load lazily per format in dataset_for. Check it exists now.
        if (!std::filesystem::exists(*cfg_.data_file))
            return Status::error(codes::kFileNotFound, "--data " + *cfg_.data_file + " does not exist");
    }
    log("started", nullptr, std::nullopt,
        {{"role", cfg_.role == Role::kSolver ? "solver" : "verifier"}, {"address", address_}},
        std::string(cfg_.role == Role::kSolver ? "solver" : "verifier") + " agent for " + address_);
    while (!stop.load()) {
        bool idle = false;
        Status s = cfg_.role == Role::kSolver ? solver_poll(&idle) : verifier_poll(&idle);
        if (!s.ok()) log_error("poll", nullptr, std::nullopt, s);
        if (s.ok() && idle && cfg_.exit_when_idle) {
            log("idle", nullptr, std::nullopt, json::object(), "no open task left: exiting");
            return Status();
        }
        for (auto waited = std::chrono::milliseconds(0); waited < cfg_.poll && !stop.load();
             waited += std::chrono::milliseconds(50))
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    log("stopped", nullptr, std::nullopt, json::object(), "stopped");
    return Status();
}

Result<uint64_t> Agent::height() {
    auto info = rpc_.call(rpc::kGetChainInfo, json::object(), RpcAuth::kNone);
    if (!info.ok()) return info.status();
    auto h = json_u64(*info, "height");
    if (h.ok() && *h != poll_height_) {
        poll_height_ = *h;
        errors_at_height_.clear();
    }
    return h;
}

Result<std::vector<std::string>> Agent::open_task_ids() const {
    std::vector<std::string> ids;
    std::optional<std::string> after;
    for (;;) {
        json params = {{"status", "open"}, {"limit", 500}};
        if (after) params["start_after"] = *after;
        auto r = rpc_.call(rpc::kListTasks, params, RpcAuth::kNone);
        if (!r.ok()) return r.status();
        if (!r->contains("tasks") || !(*r)["tasks"].is_array())
            return Status::error(codes::kRpcBadResponse, "listtasks reply lacks 'tasks'");
        for (const json& t : (*r)["tasks"]) {
            auto id = json_string(t, "task_id");
            if (!id.ok()) return id.status();
            ids.push_back(*id);
        }
        if (!r->value("more", false) || ids.empty()) break;
        after = ids.back();
    }
    return ids;
}

Result<TaskInfo> fetch_task(const RpcClient& rpc, const consensus::Params& params, const std::string& id_hex) {
    auto r = rpc.call(rpc::kGetTask, {{"task_id", id_hex}}, RpcAuth::kNone);
    if (!r.ok()) return r.status();
    TaskInfo t;
    auto id = hash_from_hex(id_hex);
    auto spec_hex = json_string(*r, "spec_hex");
    if (!id || !spec_hex.ok())
        return Status::error(codes::kRpcBadResponse, "gettask reply lacks 'spec_hex' (a node older than the agents?)");
    auto spec_bytes = from_hex(*spec_hex);
    if (!spec_bytes) return Status::error(codes::kRpcBadResponse, "gettask 'spec_hex' is not hex");
    auto proto = consensus::decode_task_spec(*spec_bytes);
    if (!proto.ok()) return proto.status();
    auto budget = json_u64(*r, "budget");
    auto bond = json_u64(*r, "unit_bond");
    auto rounds = json_u64(*r, "rounds");
    auto finalised = json_u64(*r, "finalised_rounds");
    for (const Status& s : {budget.status(), bond.status(), rounds.status(), finalised.status()})
        if (!s.ok()) return s;
    auto spec = consensus::spec_from_proto(*proto, *budget, *bond);
    if (!spec.ok()) return spec.status();
    auto shape = verifier::trace_shape(*spec);
    if (!shape.ok()) return shape.status();
    t.id = *id;
    t.id_hex = id_hex;
    t.spec = *spec;
    if (proto->dataset_root().size() != 32)
        return Status::error(codes::kRpcBadResponse, "task spec's dataset root is not 32 bytes");
    std::copy(proto->dataset_root().begin(), proto->dataset_root().end(), t.dataset_root.begin());
    t.data_format = proto->data_format();
    t.rounds = {static_cast<uint32_t>(*rounds), proto->units_per_round(),
                static_cast<uint32_t>(*finalised), static_cast<uint32_t>(params.pipeline_depth)};
    t.shape = *shape;
    t.closed = r->value("done", false) || r->value("cancelled", false);
    return t;
}

Result<TaskInfo> Agent::task(const std::string& id_hex) const { return fetch_task(rpc_, *ctx_.params, id_hex); }

Result<UnitView> Agent::unit(const TaskInfo& t, uint32_t round, uint32_t k) const {
    auto r = rpc_.call(rpc::kGetUnit, {{"task_id", t.id_hex}, {"round", round}, {"unit", k}},
                       RpcAuth::kNone);
    if (!r.ok()) return r.status();
    return parse_unit(*r);
}

void set_ref(pb::UnitRef* ref, const TaskInfo& t, uint32_t round, uint32_t k) {
    ref->set_task_id(t.id.data(), t.id.size());
    ref->set_round(round);
    ref->set_unit(k);
}

Result<std::vector<std::pair<TaskInfo, std::map<std::pair<uint32_t, uint32_t>, UnitView>>>>
Agent::workable_tasks(const std::vector<std::string>& ids) {
    std::vector<std::pair<TaskInfo, std::map<std::pair<uint32_t, uint32_t>, UnitView>>> out;
    for (const std::string& id : ids) {
        auto t = task(id);
        if (!t.ok()) {
            log_error("gettask", nullptr, std::nullopt, t.status());
            continue;
        }
        if (t->closed || dataset_for(*t) == nullptr) continue;
        auto units = live_units(*t);
        if (!units.ok()) return units.status();
        out.emplace_back(std::move(*t), std::move(*units));
    }
    return out;
}

Result<std::map<std::pair<uint32_t, uint32_t>, UnitView>> Agent::live_units(const TaskInfo& t) const {
    std::map<std::pair<uint32_t, uint32_t>, UnitView> units;
    auto [first, end] = live_rounds(t.rounds);
    if (first > 0) --first;  // the previous round's final states start the first live round
    for (uint32_t r = first; r < end; ++r)
        for (uint32_t k = 0; k < t.rounds.units_per_round; ++k) {
            auto u = unit(t, r, k);
            if (!u.ok()) return u.status();
            units[{r, k}] = std::move(*u);
        }
    return units;
}

Result<std::string> Agent::send(pb::Transaction& tx) const {
    auto acc = rpc_.call(rpc::kGetAccount, {{"address", address_}}, RpcAuth::kNone);
    if (!acc.ok()) return acc.status();
    auto nonce = json_u64(*acc, "next_nonce");
    if (!nonce.ok()) return nonce.status();
    Amount fee = Amount::from_units(ctx_.params->min_fee);
    if (ctx_.options.fee) {
        auto f = parse_step_amount(*ctx_.options.fee);
        if (!f.ok()) return f.status();
        fee = *f;
    } else if (auto info = rpc_.call(rpc::kGetMempoolInfo, json::object(), RpcAuth::kNone); info.ok()) {
        auto min = json_amount(*info, "min_fee");
        if (min.ok() && *min > fee) fee = *min;
    }
    auto signed_tx = sign_payload(TxContext{ctx_.params, *nonce, fee}, seed_, tx);
    if (!signed_tx.ok()) return signed_tx.status();
    auto res = rpc_.call(rpc::kSendTransaction, {{"tx", to_hex(signed_tx->bytes)}}, RpcAuth::kRequired);
    if (!res.ok()) return res.status();
    return signed_tx->txid;
}

const kernels::Dataset* Agent::dataset_for(const TaskInfo& t) {
    if (!cfg_.data_file) return nullptr;
    if (!data_) {
        auto format = kernels::record_format(t.data_format);
        if (!format.ok()) return nullptr;
        auto ds = kernels::load_records(*cfg_.data_file, *format);
        if (!ds.ok()) {
            const std::string key = "data-load:" + t.data_format;
            if (reported_.insert(key).second) log_error("load --data", &t, std::nullopt, ds.status());
            return nullptr;
        }
        data_root_ = kernels::dataset_root(*ds);
        data_ = std::move(*ds);
    }
    if (*data_root_ != t.dataset_root) {
        if (reported_.insert("data-mismatch:" + t.id_hex).second)
            log("skipped", &t, std::nullopt, {{"reason", std::string(codes::kDatasetMismatch.name)}},
                "skipping task: its dataset root is not that of --data");
        return nullptr;
    }
    return &*data_;
}

std::string Agent::unit_path(const TaskInfo& t, uint32_t round, uint32_t k, const std::string& ext) const {
    return cfg_.state_dir + "/" + t.id_hex + "-" + std::to_string(round) + "-" + std::to_string(k) + ext;
}

Result<Bytes> Agent::fetch_state(const TaskInfo& t, uint32_t round, uint32_t k, uint32_t leaf,
                                 const Hash256& committed_leaf) {
    // Our own trained states first: a solver keeps its checkpoints and final states.
    const std::string local = cfg_.state_dir + "/" + to_hex(committed_leaf) + ".state";
    if (auto f = read_small_file(local, rpc::kMaxBlobBytes); f.ok()) {
        Bytes b(f->begin(), f->end());
        if (kernels::leaf_digest(t.id, round, k, leaf, blob_root(b)) == committed_leaf) return b;
    }
    auto data = find_state_blob(rpc_, t.id, round, k, leaf, committed_leaf);
    if (!data.ok()) return data.status();
    // Cache it: a verifier may need the same checkpoint again after a restart.
    (void)atomic_write_file(local, std::string(data->begin(), data->end()), 0600, WriteMode::kReplace);
    return data;
}

Result<Bytes> find_state_blob(const RpcClient& rpc, const Hash256& task, uint32_t round, uint32_t k,
                              uint32_t leaf, const Hash256& committed_leaf) {
    std::optional<std::string> after;
    for (;;) {
        json params = {{"limit", 500}};
        if (after) params["start_after"] = *after;
        auto r = rpc.call(rpc::kListBlobs, params, RpcAuth::kNone);
        if (!r.ok()) return r.status();
        if (!r->contains("blobs") || !(*r)["blobs"].is_array())
            return Status::error(codes::kRpcBadResponse, "listblobs reply lacks 'blobs'");
        const json& blobs = (*r)["blobs"];
        for (const json& b : blobs) {
            auto root_hex = json_string(b, "blob_root");
            if (!root_hex.ok()) return root_hex.status();
            auto root = hash_from_hex(*root_hex);
            if (!root || kernels::leaf_digest(task, round, k, leaf, *root) != committed_leaf) continue;
            if (!b.value("complete", false)) continue;
            return download_blob(rpc, *root);
        }
        if (blobs.size() < 500) break;
        after = blobs.back().value("blob_root", std::string());
    }
    return Status::error(codes::kStateUnavailable, "no stored blob matches leaf " + std::to_string(leaf) + " of unit " +
                                                  std::to_string(round) + "/" + std::to_string(k));
}

Result<kernels::TrainState> Agent::start_state(
    const TaskInfo& t, uint32_t round, const std::map<std::pair<uint32_t, uint32_t>, UnitView>& units) {
    if (round == 0) return kernels::init_state(t.spec);
    std::vector<kernels::TrainState> finals;
    for (uint32_t k = 0; k < t.rounds.units_per_round; ++k) {
        auto it = units.find({round - 1, k});
        if (it == units.end() || !has_commit(it->second))
            return Status::error(consensus::codes::kRoundNotReady, "unit " + std::to_string(round - 1) + "/" + std::to_string(k) +
                                                        " is not committed");
        auto bytes = fetch_state(t, round - 1, k, t.shape.last_leaf, it->second.final_leaf);
        if (!bytes.ok()) return bytes.status();
        auto s = kernels::state_from_bytes(*bytes);
        if (!s.ok()) return s.status();
        finals.push_back(std::move(*s));
    }
    return verifier::round_start_state(t.spec, round, finals, exec_);
}

void Agent::report_closed_tasks(const std::vector<std::string>& open_ids) {
    for (auto it = worked_on_.begin(); it != worked_on_.end();) {
        if (std::find(open_ids.begin(), open_ids.end(), it->first) != open_ids.end()) {
            ++it;
            continue;
        }
        const TaskInfo& t = it->second;
        for (uint32_t r = 0; r < t.rounds.rounds; ++r)
            for (uint32_t k = 0; k < t.rounds.units_per_round; ++k) {
                auto u = unit(t, r, k);
                if (!u.ok() || u->solver != address_ || u->status != "final") continue;
                const std::string tag = "final:" + t.id_hex + "-" + std::to_string(r) + "-" + std::to_string(k) +
                                        "@" + std::to_string(u->commit_height);
                if (reported_.insert(tag).second)
                    log("final", &t, std::make_pair(r, k), json::object(), "unit final: pay and bond released");
            }
        log("task-closed", &t, std::nullopt, json::object(), "task closed");
        it = worked_on_.erase(it);
    }
}

void Agent::log(const std::string& event, const TaskInfo* t,
                std::optional<std::pair<uint32_t, uint32_t>> unit, json fields, const std::string& text) {
    const std::time_t now = std::time(nullptr);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    if (ctx_.options.output == OutputFormat::kJson) {
        json line = {{"time", stamp}, {"event", event}};
        if (t) line["task_id"] = t->id_hex;
        if (unit) {
            line["round"] = unit->first;
            line["unit"] = unit->second;
        }
        for (auto& [k, v] : fields.items()) line[k] = v;
        out_ << line.dump() << std::endl;
    } else {
        out_ << stamp << " " << event;
        if (t) out_ << " task " << t->id_hex.substr(0, 12);
        if (unit) out_ << " unit " << unit->first << "/" << unit->second;
        out_ << ": " << text << std::endl;
    }
}

void Agent::log_error(const std::string& what, const TaskInfo* t,
                      std::optional<std::pair<uint32_t, uint32_t>> unit, const Status& s) {
    // The same failure at the same height is logged once: polls come many times per block.
    std::string key = what + ":" + s.code() + ":" + (t ? t->id_hex : "") + ":" +
                      (unit ? std::to_string(unit->first) + "/" + std::to_string(unit->second) : "");
    if (!errors_at_height_.insert(std::move(key)).second) return;
    log("error", t, unit, {{"action", what}, {"code", s.code()}, {"message", s.message()}},
        what + " failed: " + s.code() + ": " + s.message());
}

}  // namespace step::wallet::agent
