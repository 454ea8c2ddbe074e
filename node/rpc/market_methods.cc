#include "node/rpc/market_methods.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <nlohmann/json.hpp>

#include "common/rpc_methods.h"
#include "consensus/canonical.h"
#include "consensus/keys.h"
#include "consensus/market.h"
#include "consensus/market_state.h"
#include "consensus/state_keys.h"
#include "consensus/task_spec.h"
#include "node/rpc/params.h"
#include "consensus/errors.h"
#include "node/errors.h"

namespace step::node {

using nlohmann::json;
namespace cs = step::consensus;
using namespace rpc_params;

namespace {

Hash256 require_task_id(const json& p) {
    if (!p.is_object()) throw bad_params("missing string param 'task_id'");
    return require_hash(p, "task_id");
}

uint32_t require_u32(const json& p, const char* name) {
    if (!p.contains(name) || !p[name].is_number_unsigned() || p[name].get<uint64_t>() > UINT32_MAX)
        throw bad_params(std::string("missing unsigned 32-bit param '") + name + "'");
    return static_cast<uint32_t>(p[name].get<uint64_t>());
}

// A stored record, or nullopt when absent. A record that does not decode is a corrupt state.
template <class M>
std::optional<M> read_record(const cs::KvRead& kv, const Bytes& key) {
    auto v = kv.get(key);
    if (!v) return std::nullopt;
    auto m = cs::detail::decode_message<M>(*v, "market record");
    if (!m.ok()) throw RpcError(rpc::kErrInternal, m.status());
    return *m;
}

pb::Task require_task(const cs::KvRead& kv, const Hash256& id) {
    auto t = read_record<pb::Task>(kv, cs::task_key(id));
    if (!t) throw RpcError(rpc::kErrNotFound, "unknown task", consensus::codes::kUnknownTask);
    return *t;
}

const char* status_name(pb::UnitStatus s) {
    switch (s) {
        case pb::UNIT_OPEN: return rpc::kUnitOpen;
        case pb::UNIT_CLAIMED: return rpc::kUnitClaimed;
        case pb::UNIT_COMMITTED: return rpc::kUnitCommitted;
        case pb::UNIT_OPENED: return rpc::kUnitOpened;
        case pb::UNIT_FINAL: return rpc::kUnitFinal;
        case pb::UNIT_CANCELLED: return rpc::kUnitCancelled;
        default: return rpc::kUnknownName;
    }
}

const char* verdict_name(uint32_t v) {
    switch (v) {
        case cs::verdicts::kNone: return rpc::kVerdictNone;
        case cs::verdicts::kAgreed: return rpc::kVerdictAgreed;
        case cs::verdicts::kDisagreed: return rpc::kVerdictDisagreed;
        case cs::verdicts::kMissed: return rpc::kVerdictMissed;
        default: return rpc::kUnknownName;
    }
}

bool has_loss(pb::UnitStatus s) {
    return s == pb::UNIT_COMMITTED || s == pb::UNIT_OPENED || s == pb::UNIT_FINAL;
}

// The loss a commit reports: binary32 bits on chain; shown as a number and as the exact bits.
void put_loss(json& out, uint32_t bits) {
    const float f = std::bit_cast<float>(bits);
    out["reported_loss"] = std::isfinite(f) ? json(static_cast<double>(f)) : json(nullptr);
    char buf[9];
    std::snprintf(buf, sizeof buf, "%08x", bits);
    out["reported_loss_bits"] = buf;
}

json hex_list(const google::protobuf::RepeatedPtrField<std::string>& items) {
    json a = json::array();
    for (const auto& s : items) a.push_back(hex_of(s));
    return a;
}

json spec_json(const pb::TaskSpec& s) {
    json dims = json::array();
    for (auto d : s.model_dims()) dims.push_back(d);
    return {{"kernel_version", s.kernel_version()}, {"model_arch", s.model_arch()},
            {"model_dims", dims}, {"activation", s.activation()}, {"loss", s.loss()},
            {"optimizer", s.optimizer()}, {"batch", s.batch()}, {"steps", s.steps()},
            {"dataset_root", hex_of(s.dataset_root())}, {"data_format", s.data_format()},
            {"data_count", s.data_count()}, {"seed", s.seed()},
            {"units_per_round", s.units_per_round()}, {"steps_per_unit", s.steps_per_unit()},
            {"leaf_interval", s.leaf_interval()}, {"checkpoint_interval", s.checkpoint_interval()},
            {"audit_verifiers", s.audit_verifiers()}, {"audit_leaves", s.audit_leaves()}};
}

json task_json(const Hash256& id, const pb::Task& t) {
    return {{"task_id", to_hex(id)}, {"owner", address_of(t.owner())},
            {"budget", amount(t.budget())}, {"unit_bond", amount(t.unit_bond())},
            {"escrow", amount(t.escrow())}, {"unit_pay", amount(t.unit_pay())},
            {"audit_fee", amount(t.audit_fee())}, {"rounds", t.rounds()},
            {"units_per_round", t.spec().units_per_round()},
            {"finalised_rounds", t.finalised_rounds()}, {"cancelled", t.cancelled()},
            {"done", t.done()}, {"submit_height", t.submit_height()},
            {"unit_flops", t.unit_flops()}, {"spec", spec_json(t.spec())},
            // The canonical spec bytes: the hyper-parameters' exact binary32 bits, so an agent
            // trains exactly what the chain holds (consensus::decode_task_spec).
            {"spec_hex", to_hex(consensus::encode_task_spec(t.spec()))}};
}

const char* data_kind_name(uint32_t k) {
    switch (k) {
        case pb::DATA_CHECKPOINT: return rpc::kDataCheckpoint;
        case pb::DATA_FINAL_STATE: return rpc::kDataFinalState;
        case pb::DATA_DATASET: return rpc::kDataDataset;
        default: return rpc::kUnknownName;
    }
}

// Pending data challenges under `keys` (a unit's or a task's list), with their deadlines.
json challenges_json(const cs::KvRead& kv, const cs::Params& params,
                     const google::protobuf::RepeatedPtrField<std::string>& keys) {
    json out = json::array();
    for (const auto& key : keys) {
        auto c = read_record<pb::DataChallengeState>(kv, Bytes(key.begin(), key.end()));
        if (!c) continue;  // answered or expired since
        json j = {{"kind", data_kind_name(c->kind())}, {"challenger", address_of(c->challenger())},
                  {"height", c->height()}, {"deadline", c->height() + params.da_window},
                  {"bond", amount(c->bond())}};
        if (c->kind() == pb::DATA_DATASET) {
            j["record"] = c->record();
        } else {
            j["leaf"] = c->leaf();
            j["chunk"] = c->chunk();
        }
        out.push_back(j);
    }
    return out;
}

json ledger_entry_json(const pb::LedgerEntry& e) {
    return {{"height", e.height()}, {"account", address_of(e.account())},
            {"task_id", hex_of(e.task_id())}, {"round", e.round()}, {"unit", e.unit()},
            {"kind", e.kind()}, {"amount", amount(e.amount())}, {"code", e.code()},
            {"reason", e.reason()}};
}

json ledger_json(const std::optional<pb::Ledger>& l) {
    json a = json::array();
    if (l)
        for (const auto& e : l->entries()) a.push_back(ledger_entry_json(e));
    return a;
}

// Task-wide entries are recorded at round 0, unit 0: they are no unit's settlement.
bool is_task_level(const std::string& code) {
    return code == cs::reasons::kTaskEscrow || code == cs::reasons::kCancelRefund ||
           code == cs::reasons::kTaskRemainder;
}

json audit_json(const pb::Audit& a) {
    json leaves = json::array();
    for (auto l : a.leaves()) leaves.push_back(l);
    json out = {{"verifier", address_of(a.verifier())}, {"leaves", leaves},
                {"committed", !a.commitment().empty()}, {"commitment", hex_of(a.commitment())},
                {"revealed", a.revealed()}, {"verdict", verdict_name(a.verdict())},
                {"settled", a.settled()}};
    if (a.revealed()) {
        out["salt"] = hex_of(a.salt());
        out["digests"] = hex_list(a.digests());
    }
    return out;
}

json unit_json(const cs::KvRead& kv, const cs::Params& params, const Hash256& id,
               uint32_t round, uint32_t index, const pb::Unit& u) {
    json stakes = json::array();
    for (const auto& s : u.stake_snapshot())
        stakes.push_back({{"address", address_of(s.address())}, {"stake", amount(s.stake())}});
    json audits = json::array();
    for (const auto& a : u.audits()) audits.push_back(audit_json(a));
    json out = {{"task_id", to_hex(id)}, {"round", round}, {"unit", index},
                {"status", status_name(u.status())}, {"solver", address_of(u.solver())},
                {"bond", amount(u.bond())}, {"claim_height", u.claim_height()},
                {"commit_height", u.commit_height()}, {"trace_root", hex_of(u.trace_root())},
                {"leaf0", hex_of(u.leaf0())}, {"final_leaf", hex_of(u.final_leaf())},
                {"checkpoint_leaves", hex_list(u.checkpoint_leaves())},
                {"leaves", hex_list(u.leaves())}, {"stake_snapshot", stakes},
                {"assigned", u.assigned()}, {"audits", audits}, {"resets", u.resets()},
                {"excused", u.excused()}};
    out["window_delay"] = u.window_delay();
    out["claim_delay"] = u.claim_delay();
    if (has_loss(u.status())) {
        put_loss(out, u.reported_loss());
        const cs::UnitWindows w = cs::unit_windows(u.commit_height(), params, u.window_delay());
        out["windows"] = {{"assign", w.assign}, {"commit_end", w.commit_end},
                          {"reveal_end", w.reveal_end}, {"open_end", w.open_end},
                          {"final_at", w.final_at}};
    }
    out["data_challenges"] = challenges_json(kv, params, u.challenges());
    const Bytes ukey = cs::unit_key(id, round, index);
    if (auto w = read_record<pb::WhistleAward>(kv, cs::award_key(ukey)))
        out["whistle_award"] = {{"prover", address_of(w->prover())},
                                {"commit_height", w->commit_height()},
                                {"proof_hash", hex_of(w->proof_hash())},
                                {"amount", amount(w->amount())}, {"pay_height", w->pay_height()},
                                {"leaf", w->leaf()}};
    // Settlements of this unit (pay, audit fees, slashes, fraud proofs, resets), with reasons.
    json settlements = json::array();
    if (auto l = read_record<pb::Ledger>(kv, cs::task_ledger_key(id)))
        for (const auto& e : l->entries())
            if (e.round() == round && e.unit() == index && !is_task_level(e.code()))
                settlements.push_back(ledger_entry_json(e));
    out["settlements"] = settlements;
    return out;
}

// What the market methods read: the chain parameters and a consistent state view.
struct MarketContext {
    const cs::Params* params;
    MarketStateReader read;

    // The answer `f(state, height)` gives over one consistent view of the state.
    template <class F>
    json answer(F&& f) const {
        json out;
        read([&](const cs::KvRead& kv, uint64_t height) { out = f(kv, height); });
        return out;
    }
};

json get_task(const MarketContext& c, const json& p) {
    const Hash256 id = require_task_id(p);
    return c.answer([&](const cs::KvRead& kv, uint64_t height) -> json {
        const pb::Task t = require_task(kv, id);
        json out = task_json(id, t);
        out["data_challenges"] = challenges_json(kv, *c.params, t.data_challenges());
        out["height"] = height;
        return out;
    });
}

json get_unit(const MarketContext& c, const json& p) {
    const Hash256 id = require_task_id(p);
    const uint32_t round = require_u32(p, "round");
    const uint32_t index = require_u32(p, "unit");
    return c.answer([&](const cs::KvRead& kv, uint64_t height) -> json {
        const pb::Task t = require_task(kv, id);
        if (round >= t.rounds() || index >= t.spec().units_per_round())
            throw RpcError(rpc::kErrNotFound, "no such unit in the task", consensus::codes::kBadUnitRef);
        // An absent unit record is an untouched open unit.
        const pb::Unit u =
            read_record<pb::Unit>(kv, cs::unit_key(id, round, index)).value_or(pb::Unit());
        json out = unit_json(kv, *c.params, id, round, index, u);
        out["height"] = height;
        return out;
    });
}

// One answer for a task page: `limit` units from flat index `start`, read in one state view.
json list_units(const MarketContext& c, const json& p) {
    const Hash256 id = require_task_id(p);
    uint64_t start = 0;
    if (p.contains("start")) {
        if (!p["start"].is_number_unsigned()) throw bad_params("param 'start' must be a unit index");
        start = p["start"].get<uint64_t>();
    }
    const uint64_t limit = optional_limit(p, "limit", rpc::kDefaultListUnits, rpc::kMaxListUnits);
    return c.answer([&](const cs::KvRead& kv, uint64_t height) -> json {
        const pb::Task t = require_task(kv, id);
        const uint64_t per_round = t.spec().units_per_round();
        const uint64_t total = uint64_t{t.rounds()} * per_round;
        const uint64_t end = start < total ? start + std::min(limit, total - start) : start;
        json units = json::array();
        for (uint64_t i = start; i < end; ++i) {
            const auto round = static_cast<uint32_t>(i / per_round);
            const auto index = static_cast<uint32_t>(i % per_round);
            const pb::Unit u =
                read_record<pb::Unit>(kv, cs::unit_key(id, round, index)).value_or(pb::Unit());
            units.push_back(unit_json(kv, *c.params, id, round, index, u));
        }
        return {{"task_id", to_hex(id)}, {"height", height}, {"total", total},
                {"start", start},        {"more", end < total}, {"units", std::move(units)}};
    });
}

// listtasks' params: which tasks (open or all), how many, and after which task id.
struct ListTasksQuery {
    std::string status = rpc::kListTasksOpen;
    uint64_t limit = 100;
    std::optional<Hash256> after;
};

ListTasksQuery list_tasks_query(const json& p) {
    if (!p.is_null() && !p.is_object()) throw bad_params("params must be an object");
    static const json kNoParams = json::object();
    const json& q = p.is_object() ? p : kNoParams;  // never a copy of what a client sent
    ListTasksQuery out;
    if (q.contains("status")) {
        if (!q["status"].is_string()) throw bad_params("param 'status' must be a string");
        out.status = q["status"].get<std::string>();
    }
    if (out.status != rpc::kListTasksOpen && out.status != rpc::kListTasksAll)
        throw bad_params(std::string("param 'status' must be \"") + rpc::kListTasksOpen +
                         "\" or \"" + rpc::kListTasksAll + "\"");
    out.limit = optional_limit(q, "limit", out.limit, rpc::kMaxListTasks);
    if (q.contains("start_after")) {
        if (!q["start_after"].is_string())
            throw bad_params("param 'start_after' must be a task id");
        out.after = hash_from_hex(q["start_after"].get<std::string>());
        if (!out.after) throw bad_params("param 'start_after' must be 64 hex digits");
    }
    return out;
}

// A listtasks entry: the task without its spec (gettask has the whole spec), with the model's
// shape and the step count.
json task_summary_json(const Hash256& id, const pb::Task& t) {
    json e = task_json(id, t);
    e.erase("spec_hex");
    e.erase("spec");
    const auto& s = t.spec();
    std::string model = s.model_arch() + "{";
    for (int i = 0; i < s.model_dims_size(); ++i)
        model += (i ? "," : "") + std::to_string(s.model_dims(i));
    e["model"] = model + "}";
    e["steps"] = s.steps();
    return e;
}

json list_tasks(const MarketContext& c, const json& p) {
    const ListTasksQuery q = list_tasks_query(p);
    return c.answer([&](const cs::KvRead& kv, uint64_t height) -> json {
        json tasks = json::array();
        bool more = false;
        const Bytes prefix = cs::state_key_prefix(cs::StateKeyKind::kTask);
        const bool scanned = kv.scan(prefix, [&](ByteSpan key, ByteSpan value) {
            const auto parsed = cs::parse_task_key(key);
            if (!parsed) return true;
            const Hash256& id = *parsed;
            if (q.after && !(*q.after < id)) return true;
            auto t =
                cs::detail::decode_message<pb::Task>(Bytes(value.begin(), value.end()), "task");
            if (!t.ok()) throw RpcError(rpc::kErrInternal, t.status());
            if (q.status == rpc::kListTasksOpen && (t->done() || t->cancelled())) return true;
            if (tasks.size() == q.limit) {
                more = true;
                return false;
            }
            tasks.push_back(task_summary_json(id, *t));
            return true;
        });
        if (!scanned)
            throw RpcError(rpc::kErrInternal, "this state store cannot list tasks", codes::kNoScan);
        return {{"height", height}, {"status", q.status}, {"tasks", tasks}, {"more", more}};
    });
}

json get_task_progress(const MarketContext& c, const json& p) {
    const Hash256 id = require_task_id(p);
    return c.answer([&](const cs::KvRead& kv, uint64_t height) -> json {
        const pb::Task t = require_task(kv, id);
        const uint32_t k = t.spec().units_per_round();
        std::map<std::string, uint64_t> by_status;
        uint64_t final_units = 0;
        json units = json::array();
        // rounds x K is bounded by MAX_TASK_UNITS, so one pass over the units stays small.
        for (uint32_t r = 0; r < t.rounds(); ++r)
            for (uint32_t i = 0; i < k; ++i) {
                const pb::Unit u =
                    read_record<pb::Unit>(kv, cs::unit_key(id, r, i)).value_or(pb::Unit());
                ++by_status[status_name(u.status())];
                if (u.status() == pb::UNIT_FINAL) ++final_units;
                if (!has_loss(u.status())) continue;
                json e = {{"round", r},
                          {"unit", i},
                          {"status", status_name(u.status())},
                          {"solver", address_of(u.solver())},
                          {"commit_height", u.commit_height()},
                          {"window_delay", u.window_delay()}};
                put_loss(e, u.reported_loss());
                units.push_back(e);
            }
        json counts = json::object();
        for (const auto& [name, n] : by_status) counts[name] = n;
        const bool finished = t.done() || t.cancelled();
        return {{"task_id", to_hex(id)},
               {"height", height},
               {"rounds", t.rounds()},
               {"units_per_round", k},
               {"units_total", static_cast<uint64_t>(t.rounds()) * k},
               {"units_final", final_units},
               {"units_by_status", counts},
               {"finalised_rounds", t.finalised_rounds()},
               // Units of round r start from the mean of round r-1's finals: the first round
               // not yet final is the one being worked on.
               {"current_round", finished ? json(nullptr) : json(t.finalised_rounds())},
               {"done", t.done()},
               {"cancelled", t.cancelled()},
               {"escrow", amount(t.escrow())},
               {"committed_units", units}};
    });
}

json get_task_ledger(const MarketContext& c, const json& p) {
    const Hash256 id = require_task_id(p);
    return c.answer([&](const cs::KvRead& kv, uint64_t height) -> json {
        require_task(kv, id);
        return {{"task_id", to_hex(id)},
               {"height", height},
               {"entries", ledger_json(read_record<pb::Ledger>(kv, cs::task_ledger_key(id)))}};
    });
}

json get_proof_commitment(const MarketContext& c, const json& p) {
    if (!p.is_object() || !p.contains("commitment") || !p["commitment"].is_string())
        throw bad_params("missing string param 'commitment'");
    auto commitment = hash_from_hex(p["commitment"].get<std::string>());
    if (!commitment) throw bad_params("param 'commitment' must be 64 hex digits");
    return c.answer([&](const cs::KvRead& kv, uint64_t height) -> json {
        // Consensus deletes a commitment once its proof is revealed: absence means either.
        auto pc = read_record<pb::ProofCommitment>(
            kv, cs::proof_commit_key(ByteSpan(commitment->data(), commitment->size())));
        if (!pc)
            throw RpcError(rpc::kErrNotFound,
                           "no pending proof commitment (never posted, or revealed)",
                           codes::kUnknownProofCommitment);
        return {{"commitment", to_hex(*commitment)},
               {"height", height},
               {"prover", address_of(pc->prover())},
               {"commit_height", pc->height()},
               {"bond", amount(pc->bond())}};
    });
}

json get_ledger(const MarketContext& c, const json& p) {
    if (!p.is_object() || !p.contains("address") || !p["address"].is_string())
        throw bad_params("missing string param 'address'");
    auto addr = cs::decode_address(p["address"].get<std::string>());
    if (!addr.ok())
        throw RpcError(rpc::kErrInvalidParams, addr.status());
    return c.answer([&](const cs::KvRead& kv, uint64_t height) -> json {
        return {
            {"address", cs::encode_address(*addr)},
            {"height", height},
            {"entries", ledger_json(read_record<pb::Ledger>(kv, cs::account_ledger_key(*addr)))}};
    });
}

// name (common/rpc_methods.h), needs the cookie credential, handler
constexpr RpcMethod<MarketContext> kMarketMethods[] = {
    {rpc::kGetTask, false, get_task},
    {rpc::kGetUnit, false, get_unit},
    {rpc::kListUnits, false, list_units},
    {rpc::kListTasks, false, list_tasks},
    {rpc::kGetTaskProgress, false, get_task_progress},
    {rpc::kGetTaskLedger, false, get_task_ledger},
    {rpc::kGetProofCommitment, false, get_proof_commitment},
    {rpc::kGetLedger, false, get_ledger},
};

}  // namespace

void register_market_methods(RpcDispatcher& d, const cs::Params& params, MarketStateReader read) {
    add_methods<MarketContext>(d, kMarketMethods, MarketContext{&params, std::move(read)});
}

void register_market_methods(RpcDispatcher& d, Node& node) {
    ChainManager& chain = node.chain();
    register_market_methods(d, node.params(), [&chain](const MarketStateFn& fn) {
        chain.with_tip_state(
            [&](const cs::KvRead& kv, const cs::ChainTip& tip) { fn(kv, tip.height); });
    });
}

}  // namespace step::node
