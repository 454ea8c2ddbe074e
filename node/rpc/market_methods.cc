#include "node/rpc/market_methods.h"

#include <bit>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <nlohmann/json.hpp>

#include "consensus/canonical.h"
#include "consensus/keys.h"
#include "consensus/market.h"
#include "consensus/market_state.h"
#include "consensus/state_keys.h"
#include "consensus/task_spec.h"
#include "node/rpc/params.h"
#include "node/rpc_methods.h"
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
        case pb::UNIT_OPEN: return "open";
        case pb::UNIT_CLAIMED: return "claimed";
        case pb::UNIT_COMMITTED: return "committed";
        case pb::UNIT_OPENED: return "opened";
        case pb::UNIT_FINAL: return "final";
        case pb::UNIT_CANCELLED: return "cancelled";
        default: return "unknown";
    }
}

const char* verdict_name(uint32_t v) {
    switch (v) {
        case 0: return "none";
        case 1: return "agreed";
        case 2: return "disagreed";
        case 3: return "missed";
        default: return "unknown";
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
        case pb::DATA_CHECKPOINT: return "checkpoint";
        case pb::DATA_FINAL_STATE: return "final-state";
        case pb::DATA_DATASET: return "dataset";
        default: return "unknown";
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
    if (has_loss(u.status())) {
        put_loss(out, u.reported_loss());
        const cs::UnitWindows w = cs::unit_windows(u.commit_height(), params);
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

}  // namespace

void register_market_methods(RpcDispatcher& d, const cs::Params& params, MarketStateReader read) {
    d.add(rpc::kGetTask, false, [read, &params](const json& p) {
        const Hash256 id = require_task_id(p);
        json out;
        read([&](const cs::KvRead& kv, uint64_t height) {
            const pb::Task t = require_task(kv, id);
            out = task_json(id, t);
            out["data_challenges"] = challenges_json(kv, params, t.data_challenges());
            out["height"] = height;
        });
        return out;
    });

    d.add(rpc::kGetUnit, false, [read, &params](const json& p) {
        const Hash256 id = require_task_id(p);
        const uint32_t round = require_u32(p, "round");
        const uint32_t index = require_u32(p, "unit");
        json out;
        read([&](const cs::KvRead& kv, uint64_t height) {
            const pb::Task t = require_task(kv, id);
            if (round >= t.rounds() || index >= t.spec().units_per_round())
                throw RpcError(rpc::kErrNotFound, "no such unit in the task", consensus::codes::kBadUnitRef);
            // An absent unit record is an untouched open unit.
            const pb::Unit u = read_record<pb::Unit>(kv, cs::unit_key(id, round, index)).value_or(pb::Unit());
            out = unit_json(kv, params, id, round, index, u);
            out["height"] = height;
        });
        return out;
    });

    d.add(rpc::kListTasks, false, [read](const json& p) {
        if (!p.is_null() && !p.is_object()) throw bad_params("params must be an object");
        const json q = p.is_object() ? p : json::object();
        const std::string status = q.contains("status") && q["status"].is_string()
                                       ? q["status"].get<std::string>()
                                       : "open";
        if (q.contains("status") && !q["status"].is_string()) throw bad_params("param 'status' must be a string");
        if (status != "open" && status != "all") throw bad_params("param 'status' must be \"open\" or \"all\"");
        uint64_t limit = 100;
        if (q.contains("limit")) {
            if (!q["limit"].is_number_unsigned() || q["limit"].get<uint64_t>() == 0 ||
                q["limit"].get<uint64_t>() > rpc::kMaxListTasks)
                throw bad_params("param 'limit' must be 1.." + std::to_string(rpc::kMaxListTasks));
            limit = q["limit"].get<uint64_t>();
        }
        std::optional<Hash256> after;
        if (q.contains("start_after")) {
            if (!q["start_after"].is_string()) throw bad_params("param 'start_after' must be a task id");
            after = hash_from_hex(q["start_after"].get<std::string>());
            if (!after) throw bad_params("param 'start_after' must be 64 hex digits");
        }
        json out;
        read([&](const cs::KvRead& kv, uint64_t height) {
            json tasks = json::array();
            bool more = false;
            const Bytes prefix = cs::state_key_prefix(cs::StateKeyKind::kTask);
            const bool scanned = kv.scan(prefix, [&](ByteSpan key, ByteSpan value) {
                const auto parsed = cs::parse_task_key(key);
                if (!parsed) return true;
                const Hash256& id = *parsed;
                if (after && !(*after < id)) return true;
                auto t = cs::detail::decode_message<pb::Task>(Bytes(value.begin(), value.end()), "task");
                if (!t.ok()) throw RpcError(rpc::kErrInternal, t.status());
                if (status == "open" && (t->done() || t->cancelled())) return true;
                if (tasks.size() == limit) {
                    more = true;
                    return false;
                }
                json e = task_json(id, *t);
                e.erase("spec_hex");
                e.erase("spec");  // summaries: gettask has the whole spec
                const auto& s = t->spec();
                std::string model = s.model_arch() + "{";
                for (int i = 0; i < s.model_dims_size(); ++i)
                    model += (i ? "," : "") + std::to_string(s.model_dims(i));
                e["model"] = model + "}";
                e["steps"] = s.steps();
                tasks.push_back(std::move(e));
                return true;
            });
            if (!scanned) throw RpcError(rpc::kErrInternal, "this state store cannot list tasks", codes::kNoScan);
            out = {{"height", height}, {"status", status}, {"tasks", tasks}, {"more", more}};
        });
        return out;
    });

    d.add(rpc::kGetTaskProgress, false, [read](const json& p) {
        const Hash256 id = require_task_id(p);
        json out;
        read([&](const cs::KvRead& kv, uint64_t height) {
            const pb::Task t = require_task(kv, id);
            const uint32_t k = t.spec().units_per_round();
            std::map<std::string, uint64_t> by_status;
            uint64_t final_units = 0;
            json units = json::array();
            // rounds x K is bounded by MAX_TASK_UNITS, so one pass over the units stays small.
            for (uint32_t r = 0; r < t.rounds(); ++r)
                for (uint32_t i = 0; i < k; ++i) {
                    const pb::Unit u = read_record<pb::Unit>(kv, cs::unit_key(id, r, i)).value_or(pb::Unit());
                    ++by_status[status_name(u.status())];
                    if (u.status() == pb::UNIT_FINAL) ++final_units;
                    if (!has_loss(u.status())) continue;
                    json e = {{"round", r}, {"unit", i}, {"status", status_name(u.status())},
                              {"solver", address_of(u.solver())}, {"commit_height", u.commit_height()}};
                    put_loss(e, u.reported_loss());
                    units.push_back(e);
                }
            json counts = json::object();
            for (const auto& [name, n] : by_status) counts[name] = n;
            const bool finished = t.done() || t.cancelled();
            out = {{"task_id", to_hex(id)}, {"height", height},
                   {"rounds", t.rounds()}, {"units_per_round", k},
                   {"units_total", static_cast<uint64_t>(t.rounds()) * k},
                   {"units_final", final_units}, {"units_by_status", counts},
                   {"finalised_rounds", t.finalised_rounds()},
                   // Units of round r start from the mean of round r-1's finals: the first
                   // round not yet final is the one being worked on.
                   {"current_round", finished ? json(nullptr) : json(t.finalised_rounds())},
                   {"done", t.done()}, {"cancelled", t.cancelled()},
                   {"escrow", amount(t.escrow())}, {"committed_units", units}};
        });
        return out;
    });

    d.add(rpc::kGetTaskLedger, false, [read](const json& p) {
        const Hash256 id = require_task_id(p);
        json out;
        read([&](const cs::KvRead& kv, uint64_t height) {
            require_task(kv, id);
            out = {{"task_id", to_hex(id)}, {"height", height},
                   {"entries", ledger_json(read_record<pb::Ledger>(kv, cs::task_ledger_key(id)))}};
        });
        return out;
    });

    d.add(rpc::kGetProofCommitment, false, [read](const json& p) {
        if (!p.is_object() || !p.contains("commitment") || !p["commitment"].is_string())
            throw bad_params("missing string param 'commitment'");
        auto c = hash_from_hex(p["commitment"].get<std::string>());
        if (!c) throw bad_params("param 'commitment' must be 64 hex digits");
        json out;
        read([&](const cs::KvRead& kv, uint64_t height) {
            // Consensus deletes a commitment once its proof is revealed: absence means either.
            auto pc = read_record<pb::ProofCommitment>(kv, cs::proof_commit_key(ByteSpan(c->data(), c->size())));
            if (!pc)
                throw RpcError(rpc::kErrNotFound, "no pending proof commitment (never posted, or revealed)",
                               codes::kUnknownProofCommitment);
            out = {{"commitment", to_hex(*c)}, {"height", height}, {"prover", address_of(pc->prover())},
                   {"commit_height", pc->height()}, {"bond", amount(pc->bond())}};
        });
        return out;
    });

    d.add(rpc::kGetLedger, false, [read](const json& p) {
        if (!p.is_object() || !p.contains("address") || !p["address"].is_string())
            throw bad_params("missing string param 'address'");
        auto addr = cs::decode_address(p["address"].get<std::string>());
        if (!addr.ok()) throw RpcError(rpc::kErrInvalidParams, addr.status());
        json out;
        read([&](const cs::KvRead& kv, uint64_t height) {
            out = {{"address", cs::encode_address(*addr)}, {"height", height},
                   {"entries", ledger_json(read_record<pb::Ledger>(kv, cs::account_ledger_key(*addr)))}};
        });
        return out;
    });
}

void register_market_methods(RpcDispatcher& d, Node& node) {
    ChainManager& chain = node.chain();
    register_market_methods(d, node.params(), [&chain](const MarketStateFn& fn) {
        chain.with_tip_state([&](const cs::KvRead& kv, const cs::ChainTip& tip) { fn(kv, tip.height); });
    });
}

}  // namespace step::node
