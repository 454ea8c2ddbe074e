#include "tests/functional/adversary_bed.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <fstream>

#include "consensus/encoding.h"
#include "consensus/params.h"
#include "consensus/supply.h"
#include "consensus/transaction.h"
#include "node/storage/block_store.h"
#include "node/storage/database.h"

namespace step::test {

using nlohmann::json;

namespace {

uint64_t amount(const json& j, const char* key) {
    return std::stoull(j.at(key).get<std::string>());
}

// C(n, k) as a double (n is at most a few thousand leaves here).
double choose(uint32_t n, uint32_t k) {
    if (k > n) return 0;
    double c = 1;
    for (uint32_t i = 0; i < k; ++i) c = c * (n - i) / (i + 1);
    return c;
}

}  // namespace

std::map<std::string, std::string> one_round_spec() {
    return {{"steps", "8"},
            {"budget", "2000000000"},
            {"unit_bond", "5000000000"},
            {"audit.verifiers", "1"},
            {"audit.leaves", "2"}};
}

int64_t TaskTerms::unit_reward() const {
    return static_cast<int64_t>(unit_pay - verifiers * audit_fee + subsidy);
}

TaskTerms task_terms(const StepdProcess& node, const std::string& task_id) {
    const json t = node.result("gettask", {{"task_id", task_id}});
    const auto& p = consensus::devnet_params();
    TaskTerms terms;
    terms.unit_pay = amount(t, "unit_pay");
    terms.audit_fee = amount(t, "audit_fee");
    terms.unit_bond = amount(t, "unit_bond");
    terms.subsidy = consensus::flops_pay(t["unit_flops"].get<uint64_t>(), p);
    const json& s = t["spec"];
    terms.verifiers = s["audit_verifiers"].get<uint32_t>();
    terms.leaves_sampled = s["audit_leaves"].get<uint32_t>();
    terms.leaves = s["steps_per_unit"].get<uint32_t>() / s["leaf_interval"].get<uint32_t>();
    terms.leaves_per_checkpoint =
        s["checkpoint_interval"].get<uint32_t>() / s["leaf_interval"].get<uint32_t>();
    terms.fee = p.min_fee;
    return terms;
}

Holdings holdings(const StepdProcess& node, const std::string& address) {
    const json a = node.result("getaccount", {{"address", address}});
    Holdings h;
    h.wealth = static_cast<int64_t>(amount(a, "balance") + amount(a, "solver_bond") +
                                    amount(a, "verifier_bond"));
    for (const json& e : a["unbonding"]) h.wealth += static_cast<int64_t>(amount(e, "amount"));
    h.nonce = a["nonce"].get<uint64_t>();
    return h;
}

PayoffBook::PayoffBook(const MarketDevnet& net) : net_(net) {
    for (const auto& [name, address] : net.addr) start_[name] = holdings(net.node(), address);
}

int64_t PayoffBook::payoff(const std::string& name) const {
    return holdings(net_.node(), net_.addr.at(name)).wealth - start_.at(name).wealth;
}

uint64_t PayoffBook::txs(const std::string& name) const {
    return holdings(net_.node(), net_.addr.at(name)).nonce - start_.at(name).nonce;
}

size_t count_kind(const json& ledger, const std::string& kind) {
    size_t n = 0;
    for (const json& e : ledger["entries"])
        if (e["kind"] == kind) ++n;
    return n;
}

json ledger_of(const MarketDevnet& net, const std::string& name) {
    return net.node().result("getledger", {{"address", net.addr.at(name)}});
}

json send_as(const MarketDevnet& net, const std::string& name,
             const std::function<void(pb::Transaction&)>& fill) {
    const json acc = net.node().result("getaccount", {{"address", net.addr.at(name)}});
    const auto& p = consensus::devnet_params();
    pb::Transaction tx;
    tx.set_chain_id(p.chain_id);
    tx.set_nonce(acc["next_nonce"].get<uint64_t>());
    tx.set_fee(p.min_fee);
    fill(tx);
    consensus::sign_transaction(tx, MarketDevnet::key_seed(name));
    return net.node().call("sendtransaction", {{"tx", to_hex(consensus::encode_tx(tx))}});
}

void check_supply_after_stop(MarketDevnet& net) { check_supply_after_stop(net.node()); }

void check_supply_after_stop(StepdProcess& node) {
    stop_cleanly(node);
    auto db = node::Database::open(node.datadir() + "/chain");
    REQUIRE(db.ok());
    std::map<Bytes, Bytes, consensus::BytesLess> state;
    const Bytes prefix = node::keys::state({});
    (*db)->scan(prefix, [&](ByteSpan key, ByteSpan value) {
        state.emplace(Bytes(key.begin() + static_cast<std::ptrdiff_t>(prefix.size()), key.end()),
                      Bytes(value.begin(), value.end()));
        return true;
    });
    const Status supply = consensus::check_supply(state);
    INFO(supply.to_string());
    CHECK(supply.ok());
}

double catch_probability(const TaskTerms& t, uint32_t hidden_leaf) {
    const uint32_t per = t.leaves_per_checkpoint;
    const uint32_t next_checkpoint = std::min(t.leaves, (hidden_leaf + per - 1) / per * per);
    const uint32_t covering = next_checkpoint - hidden_leaf + 1;  // sampled leaves that reveal it
    const double missed_by_one =
        choose(t.leaves - covering, t.leaves_sampled) / choose(t.leaves, t.leaves_sampled);
    return 1.0 - std::pow(missed_by_one, t.verifiers);
}

void record_row(const PayoffRow& row) {
    const json j = {{"case", row.case_name},
                    {"party", row.party},
                    {"deviation", row.deviation},
                    {"honest", row.honest},
                    {"deviating", row.deviating},
                    {"difference", row.deviating - row.honest},
                    {"caught", row.caught},
                    {"expected", row.expected},
                    {"note", row.note}};
    WARN("payoff: " << j.dump());
    if (const char* path = std::getenv("STEP_ADVERSARY_TABLE"))
        std::ofstream(path, std::ios::app) << j.dump() << "\n";
}

}  // namespace step::test
