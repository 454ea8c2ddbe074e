// The agents' shared machinery: the poll loop (Agent), node reads, sending, state files and
// blob look-ups, logging (AgentCore). The roles' passes live in agent_solver.cc and
// agent_verifier.cc; their decisions in agent_logic.cc.
#include "wallet/agent.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <thread>

#include "common/hash.h"
#include "common/merkle.h"
#include "common/rpc_methods.h"
#include "consensus/errors.h"
#include "consensus/params.h"
#include "consensus/proto/chain.pb.h"
#include "consensus/task_spec.h"
#include "kernels/simd.h"
#include "wallet/agent_core.h"
#include "wallet/agent_deviation.h"
#include "wallet/agent_events.h"
#include "wallet/agent_train.h"
#include "wallet/blob_transfer.h"
#include "wallet/errors.h"
#include "wallet/secure_file.h"
#include "wallet/tx_builder.h"

namespace step::wallet::agent {

using nlohmann::json;

namespace {

constexpr std::pair<Role, const char*> kRoleNames[] = {
    {Role::kSolver, "solver"},
    {Role::kVerifier, "verifier"},
    {Role::kOwner, "owner"},
    {Role::kWhistleblower, "whistleblower"},
};

// A state the node is fetching from peers is polled this often, for at most this long per
// call: a checkpoint crosses loopback or a LAN in well under a second, and the agent's other
// units must not wait long (the next pass asks again; the fetch goes on meanwhile).
constexpr auto kStateFetchPoll = std::chrono::milliseconds(100);
constexpr auto kStateFetchWait = std::chrono::seconds(5);

}  // namespace

std::string_view role_name(Role role) {
    for (const auto& [r, name] : kRoleNames)
        if (r == role) return name;
    return "unknown";
}

std::optional<Role> parse_role(std::string_view name) {
    for (const auto& [r, n] : kRoleNames)
        if (n == name) return r;
    return std::nullopt;
}

namespace {

std::unique_ptr<AgentRole> make_role(AgentCore& core) {
    switch (core.config().role) {
        case Role::kSolver: return make_solver(core);
        case Role::kVerifier: return make_verifier(core);
        case Role::kOwner: return make_owner(core);
        case Role::kWhistleblower: return make_whistleblower(core);
    }
    return make_solver(core);  // unreachable: parse_role makes only these
}

}  // namespace

Agent::Agent(const Context& ctx, AgentConfig cfg, RpcClient rpc, std::string address, Seed seed,
             std::ostream& out)
    : core_(std::make_unique<AgentCore>(ctx, std::move(cfg), std::move(rpc), std::move(address),
                                        seed, out)),
      role_(make_role(*core_)) {}

Agent::~Agent() = default;

Status Agent::run(const std::atomic<bool>& stop) {
    const AgentConfig& cfg = core_->config();
    STEP_TRY(ensure_private_dir(cfg.state_dir));
    if (cfg.data_file) {
        // The format is the task's; load lazily per format in dataset_for. Check it exists now.
        if (!std::filesystem::exists(*cfg.data_file))
            return Status::error(codes::kFileNotFound, "--data " + *cfg.data_file + " does not exist");
    }
    const std::string role(role_name(cfg.role));
    auto backend = core_->start_backend();
    if (!backend.ok()) return backend.status();
    core_->log(agent_events::kStarted, nullptr, std::nullopt,
               {{"role", role}, {"address", core_->address()}, {"backend", core_->backend().name()},
                {"device", *backend}},
               role + " agent for " + core_->address() + " (" + *backend + ")");
    while (!stop.load()) {
        bool idle = false;
        Status s = role_->poll(&idle);
        if (!s.ok()) core_->log_error("poll", nullptr, std::nullopt, s);
        core_->challenge_missing_data();
        if (cfg.deviation && cfg.deviation->after_pass) cfg.deviation->after_pass(*core_);
        if (s.ok() && idle && cfg.exit_when_idle && !core_->awaiting_data()) {
            core_->log(agent_events::kIdle, nullptr, std::nullopt, json::object(), "no open task left: exiting");
            return Status();
        }
        for (auto waited = std::chrono::milliseconds(0); waited < cfg.poll && !stop.load();
             waited += std::chrono::milliseconds(50))
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    role_->stop();
    core_->log(agent_events::kStopped, nullptr, std::nullopt, json::object(), "stopped");
    return Status();
}

AgentCore::AgentCore(const Context& ctx, AgentConfig cfg, RpcClient rpc, std::string address,
                     Seed seed, std::ostream& out)
    : ctx_(ctx),
      cfg_(std::move(cfg)),
      rpc_(std::move(rpc)),
      address_(std::move(address)),
      seed_(seed),
      out_(out) {
    // Every SIMD level computes the same bits (docs/kernels.md), so the fastest one is used.
    exec_.simd = kernels::detect_simd();
}

Result<std::string> AgentCore::start_backend() {
    auto choice = kernels::choose_backend(cfg_.backend, exec_);
    if (!choice.ok()) return choice.status();
    backend_ = std::move(choice->backend);
    return choice->note;
}

Result<uint64_t> AgentCore::height() {
    auto info = rpc_.call(rpc::kGetChainInfo, json::object(), RpcAuth::kNone);
    if (!info.ok()) return info.status();
    auto h = json_u64(*info, "height");
    if (h.ok())
        pace_.observe(
            *h, std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
                    .count());
    if (h.ok() && *h != poll_height_) {
        poll_height_ = *h;
        errors_at_height_.clear();
    }
    return h;
}

Result<std::vector<std::string>> AgentCore::open_task_ids() const {
    std::vector<std::string> ids;
    std::optional<std::string> after;
    for (;;) {
        json params = {{"status", rpc::kListTasksOpen}, {"limit", rpc::kMaxListTasks}};
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
    return task_from_gettask(params, id_hex, *r);
}

Result<TaskInfo> task_from_gettask(const consensus::Params& params, const std::string& id_hex,
                                   const json& gettask) {
    TaskInfo t;
    auto id = hash_from_hex(id_hex);
    auto spec_hex = json_string(gettask, "spec_hex");
    if (!id || !spec_hex.ok())
        return Status::error(codes::kRpcBadResponse, "gettask reply lacks 'spec_hex' (a node older than the agents?)");
    auto spec_bytes = from_hex(*spec_hex);
    if (!spec_bytes) return Status::error(codes::kRpcBadResponse, "gettask 'spec_hex' is not hex");
    auto proto = consensus::decode_task_spec(*spec_bytes);
    if (!proto.ok()) return proto.status();
    auto budget = json_u64(gettask, "budget");
    auto bond = json_u64(gettask, "unit_bond");
    auto rounds = json_u64(gettask, "rounds");
    auto finalised = json_u64(gettask, "finalised_rounds");
    for (const Status& s : {budget.status(), bond.status(), rounds.status(), finalised.status()})
        if (!s.ok()) return s;
    auto spec = consensus::spec_from_proto(*proto, *budget, *bond);
    if (!spec.ok()) return spec.status();
    auto shape = verifier::trace_shape(*spec);
    if (!shape.ok()) return shape.status();
    t.id = *id;
    t.id_hex = id_hex;
    t.spec = *spec;
    t.spec_hash = sha256(*spec_bytes);
    if (proto->dataset_root().size() != 32)
        return Status::error(codes::kRpcBadResponse, "task spec's dataset root is not 32 bytes");
    std::copy(proto->dataset_root().begin(), proto->dataset_root().end(), t.dataset_root.begin());
    t.data_format = proto->data_format();
    t.rounds = {static_cast<uint32_t>(*rounds), proto->units_per_round(),
                static_cast<uint32_t>(*finalised), static_cast<uint32_t>(params.pipeline_depth)};
    t.shape = *shape;
    t.closed = gettask.value("done", false) || gettask.value("cancelled", false);
    return t;
}

Result<UnitView> AgentCore::unit(const TaskInfo& t, uint32_t round, uint32_t k) const {
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

Result<std::vector<WorkableTask>> AgentCore::workable_tasks(const std::vector<std::string>& ids) {
    std::vector<WorkableTask> out;
    awaiting_data_ = false;
    for (const std::string& id : ids) {
        auto t = fetch_task(rpc_, *ctx_.params, id);
        if (!t.ok()) {
            log_error("gettask", nullptr, std::nullopt, t.status());
            continue;
        }
        if (t->closed || dataset_for(*t) == nullptr) continue;
        WorkableTask w{std::move(*t), {}};
        auto [first, end] = live_rounds(w.task.rounds);
        if (first > 0) --first;  // the previous round's final states start the first live round
        for (uint32_t r = first; r < end; ++r)
            for (uint32_t k = 0; k < w.task.rounds.units_per_round; ++k) {
                auto u = unit(w.task, r, k);
                if (!u.ok()) return u.status();
                w.units[{r, k}] = std::move(*u);
            }
        out.push_back(std::move(w));
    }
    return out;
}

Result<std::vector<WorkableTask>> AgentCore::begin_pass() {
    auto h = height();
    if (!h.ok()) return h.status();
    auto ids = open_task_ids();
    if (!ids.ok()) return ids.status();
    return workable_tasks(*ids);
}

Result<std::string> AgentCore::send(pb::Transaction& tx) const {
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

std::string unit_tag(const TaskInfo& t, uint32_t round, uint32_t k, uint64_t height) {
    return t.id_hex + "-" + std::to_string(round) + "-" + std::to_string(k) + "@" +
           std::to_string(height);
}

std::string AgentCore::unit_path(const TaskInfo& t, uint32_t round, uint32_t k,
                                 const std::string& ext) const {
    return cfg_.state_dir + "/" + t.id_hex + "-" + std::to_string(round) + "-" + std::to_string(k) + ext;
}

std::string AgentCore::state_path(const Hash256& committed_leaf) const {
    return state_file_path(cfg_.state_dir, committed_leaf);
}

Result<Bytes> AgentCore::fetch_state(const TaskInfo& t, uint32_t round, uint32_t k, uint32_t leaf,
                                     const Hash256& committed_leaf) {
    // Our own trained states first: a solver keeps its checkpoints and final states.
    const std::string local = state_path(committed_leaf);
    if (auto f = read_small_file(local, rpc::kMaxBlobBytes); f.ok()) {
        Bytes b(f->begin(), f->end());
        if (kernels::leaf_digest(t.id, round, k, leaf, blob_root(b)) == committed_leaf) return b;
    }
    auto data = find_state_blob(rpc_, t.id, round, k, leaf, committed_leaf);
    if (data.ok() || data.status().is(codes::kStateUnavailable))
        note_missing(t, round, k, leaf, committed_leaf, !data.ok());
    if (!data.ok()) return data.status();
    // Cache it: a verifier may need the same checkpoint again after a restart.
    (void)atomic_write_file(local, std::string(data->begin(), data->end()), 0600, WriteMode::kReplace);
    return data;
}

Result<Bytes> find_state_blob(const RpcClient& rpc, const Hash256& task, uint32_t round, uint32_t k,
                              uint32_t leaf, const Hash256& committed_leaf) {
    const json params = {{"task_id", to_hex(task)}, {"round", round}, {"unit", k}, {"leaf", leaf}};
    const std::string what = "leaf " + std::to_string(leaf) + " of unit " + std::to_string(round) +
                             "/" + std::to_string(k);
    const auto deadline = std::chrono::steady_clock::now() + kStateFetchWait;
    for (;;) {
        auto r = rpc.call(rpc::kFindBlob, params, RpcAuth::kNone);
        if (!r.ok()) {
            // Neither the node nor its peers hold it (yet), or the leaf is not committed.
            if (r.status().category() == ErrorCategory::kNotFound)
                return Status::error(codes::kStateUnavailable,
                                     "no blob of " + what + ": " + r.status().message());
            return r.status();
        }
        if (r->value("complete", false)) {
            auto root = hash_from_hex(r->value("blob_root", std::string()));
            if (!root)
                return Status::error(codes::kRpcBadResponse, "findblob reply lacks 'blob_root'");
            // The node's word is not trusted: the root must give the committed leaf, and every
            // chunk is checked against the root as it downloads.
            if (kernels::leaf_digest(task, round, k, leaf, *root) != committed_leaf)
                return Status::error(codes::kRpcBadResponse,
                                     "findblob named a blob that is not " + what);
            return download_blob(rpc, *root);
        }
        // Part held, nobody serves the rest: the missing chunks must be challenged on chain.
        if (r->value("state", std::string()) == rpc::kBlobPartial)
            return Status::error(codes::kStateUnavailable,
                                 "the node holds " + std::to_string(r->value("have", 0)) + " of " +
                                     std::to_string(r->value("chunks", 0)) + " chunks of " + what +
                                     " and nobody serves the rest");
        // The node is fetching it from peers: poll a while, then let the next pass ask again.
        if (std::chrono::steady_clock::now() >= deadline)
            return Status::error(codes::kStateFetching,
                                 "the node is still fetching " + what + " from peers (" +
                                     std::to_string(r->value("have", 0)) + " of " +
                                     std::to_string(r->value("chunks", 0)) + " chunks)");
        std::this_thread::sleep_for(kStateFetchPoll);
    }
}

Result<std::vector<kernels::TrainState>> AgentCore::previous_finals(const TaskInfo& t,
                                                                    uint32_t round,
                                                                    const UnitMap& units) {
    std::vector<kernels::TrainState> finals;
    for (uint32_t k = 0; round > 0 && k < t.rounds.units_per_round; ++k) {
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
    return finals;
}

Result<kernels::TrainState> AgentCore::start_state(const TaskInfo& t, uint32_t round,
                                                   const UnitMap& units) {
    if (round == 0) return kernels::init_state(t.spec);
    auto finals = previous_finals(t, round, units);
    if (!finals.ok()) return finals.status();
    return verifier::round_start_state(t.spec, round, *finals, exec_);
}

void AgentCore::log(const std::string& event, const TaskInfo* t, std::optional<UnitKey> unit,
                    json fields, const std::string& text) {
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

void AgentCore::log_error(const std::string& what, const TaskInfo* t, std::optional<UnitKey> unit,
                          const Status& s) {
    // The same failure at the same height is logged once: polls come many times per block.
    std::string key = what + ":" + s.code() + ":" + (t ? t->id_hex : "") + ":" +
                      (unit ? std::to_string(unit->first) + "/" + std::to_string(unit->second) : "");
    if (!errors_at_height_.insert(std::move(key)).second) return;
    log(agent_events::kError, t, unit, {{"action", what}, {"code", s.code()}, {"message", s.message()}},
        what + " failed: " + s.code() + ": " + s.message());
}

}  // namespace step::wallet::agent
