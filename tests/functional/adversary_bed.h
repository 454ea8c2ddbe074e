// What the adversary suite (adversary_test.cc, docs/market.md "Deviations never pay") measures
// on a MarketDevnet: each party's payoff over a run, what the rules promise an honest party,
// the supply invariant over the stopped node's state, and the payoff table's rows.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "consensus/proto/chain.pb.h"
#include "tests/functional/market_devnet.h"

namespace step::test {

// The bed every single-round case runs: 1 round of 2 units, 8 steps each, L = 2, C = 4 (n = 4
// leaves, a hidden one after each checkpoint), V = 1 verifier sampling Q = 2 leaves, unit pay
// 1 STEP, unit bond 5 STEP (the deterrence rule's minimum is 4).
std::map<std::string, std::string> one_round_spec();

// The amounts the task's rules work with (gettask, chain parameters).
struct TaskTerms {
    uint64_t unit_pay = 0, audit_fee = 0, unit_bond = 0, subsidy = 0;
    uint32_t verifiers = 0, leaves_sampled = 0, leaves = 0, leaves_per_checkpoint = 0;
    uint64_t fee = 0;  // what the agents pay per transaction (the devnet minimum)
    // What a solver is paid for one final unit: unit pay less the V audit fees, plus the subsidy.
    int64_t unit_reward() const;
};
TaskTerms task_terms(const StepdProcess& node, const std::string& task_id);

// Balance, solver and verifier bonds and unbonding entries (a unit bond in flight is not the
// party's until released; every case ends with none in flight), and the transactions sent.
struct Holdings {
    int64_t wealth = 0;
    uint64_t nonce = 0;
};
Holdings holdings(const StepdProcess& node, const std::string& address);

// Each party's holdings at the start of a run (after set_up) and its payoff at the end.
class PayoffBook {
public:
    explicit PayoffBook(const MarketDevnet& net);
    // The change in holdings since construction, fees included.
    int64_t payoff(const std::string& name) const;
    // Transactions the party had included since construction (each cost TaskTerms::fee).
    uint64_t txs(const std::string& name) const;

private:
    const MarketDevnet& net_;
    std::map<std::string, Holdings> start_;
};

// How many entries of a getledger/gettaskledger answer are of `kind` (consensus ledger_kinds).
size_t count_kind(const nlohmann::json& ledger, const std::string& kind);
nlohmann::json ledger_of(const MarketDevnet& net, const std::string& name);

// Signs `fill`'s transaction as party `name` of a seeded bed (MarketDevnet::key_seed) at its next
// nonce and the minimum fee, and sends it: the call's whole answer (a refusal is not a failure).
nlohmann::json send_as(const MarketDevnet& net, const std::string& name,
                       const std::function<void(pb::Transaction&)>& fill);

// Stops the node (SIGTERM, clean exit) and checks the supply invariant over its whole stored
// state: balances, bonds, escrows and the pool add up to minted - burned.
void check_supply_after_stop(StepdProcess& node);
void check_supply_after_stop(MarketDevnet& net);

// The probability that one audit of Q leaves drawn from n covers a given hidden leaf h (its
// replay reveals every leaf from the checkpoint before a sampled leaf up to it): 1 - C(n-m, Q) /
// C(n, Q), m the sampled leaves whose range holds h. V audits draw independently.
double catch_probability(const TaskTerms& t, uint32_t hidden_leaf);

// One row of the payoff table: printed, and appended as a JSON line to $STEP_ADVERSARY_TABLE
// when set (scripts/adversary_table.sh collects them). `caught` is the probability that the
// deviation is caught (1 where the rules catch it surely); `expected` the payoff it expects.
struct PayoffRow {
    std::string case_name, party, deviation;
    int64_t honest = 0, deviating = 0;
    double caught = 1.0;
    int64_t expected = 0;
    std::string note;
};
void record_row(const PayoffRow& row);

}  // namespace step::test
