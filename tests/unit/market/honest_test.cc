#include "tests/unit/market/scenario.h"

namespace step::consensus::market_test {

TEST_CASE("Honest task of 2 rounds x 2 units runs to completion and pays exactly", "[market]") {
    World w;
    const pb::Task t0 = w.sim.task(w.task);
    REQUIRE(t0.rounds() == 2);
    REQUIRE(t0.escrow() == w.spec.budget);
    const uint64_t unit_pay = w.spec.budget / 4;
    CHECK(t0.unit_pay() == unit_pay);
    const uint64_t audit_fee = unit_pay * P().audit_fee_bps / 10'000 / w.spec.audit_verifiers;
    CHECK(t0.audit_fee() == audit_fee);

    std::map<Address, AccountState> before;
    for (const auto& a : w.solvers) before[a] = w.sim.account(a);
    for (const auto& a : w.verifiers) before[a] = w.sim.account(a);
    const AccountState owner_before = w.sim.account(w.owner);

    RoundPlan plan;
    plan.solvers = w.solvers;
    auto r0 = w.run_round(0, w.start_of(0, {}), plan);
    CHECK(w.sim.task(w.task).finalised_rounds() == 1);
    auto r1 = w.run_round(1, w.start_of(1, r0), plan);

    const pb::Task t = w.sim.task(w.task);
    CHECK(t.finalised_rounds() == 2);
    CHECK(t.done());
    CHECK(t.escrow() == 0);

    // The chain's final leaves are the local run's, bit for bit, and the final model is their mean.
    std::vector<kernels::TrainState> finals;
    for (uint32_t r = 0; r < 2; ++r)
        for (uint32_t k = 0; k < 2; ++k) {
            const pb::Unit u = w.sim.unit(w.task, r, k);
            const auto& work = (r == 0 ? r0 : r1)[k];
            CHECK(u.status() == pb::UNIT_FINAL);
            CHECK(u.final_leaf() == detail::str(work.leaves.back()));
            CHECK(u.leaves_size() == 5);
            CHECK(u.reported_loss() == std::bit_cast<uint32_t>(work.last_loss));
            CHECK(u.bond() == 0);
        }
    const kernels::TrainState model = w.start_of(2, r1);
    CHECK(model.step == 16);

    // Everyone paid exactly what the rules say.
    const uint64_t flops = t.unit_flops();
    const uint64_t subsidy = flops * P().pool_rate_per_tflop / 1'000'000'000'000ull;
    CHECK(subsidy > 0);
    for (const auto& s : w.solvers) {
        const AccountState a = w.sim.account(s);
        // 2 claims, 2 commits and 2 opens, MIN_FEE each; 2 units paid; bond back.
        const uint64_t paid = 2 * (unit_pay - 2 * audit_fee) + 2 * subsidy;
        CHECK(a.balance == before[s].balance + paid - 6 * P().min_fee);
        CHECK(a.solver_bond == before[s].solver_bond);
        CHECK(ledger_sum(w.sim.ledger(s), reasons::kUnitPay) == 2 * (unit_pay - 2 * audit_fee));
        CHECK(ledger_sum(w.sim.ledger(s), reasons::kUnitSubsidy) == 2 * subsidy);
    }
    std::map<Address, uint64_t> audits;
    for (uint32_t r = 0; r < 2; ++r)
        for (uint32_t k = 0; k < 2; ++k) {
            const pb::Unit u = w.sim.unit(w.task, r, k);
            REQUIRE(u.audits_size() == 2);  // V = 2 of 3 eligible verifiers
            for (const auto& a : u.audits()) {
                CHECK(a.verdict() == verdicts::kAgreed);
                CHECK(a.leaves_size() == 2);
                ++audits[detail::to_address(a.verifier())];
            }
        }
    for (const auto& v : w.verifiers) {
        const AccountState a = w.sim.account(v);
        CHECK(a.balance == before[v].balance + audits[v] * audit_fee - 2 * audits[v] * P().min_fee);
        CHECK(a.verifier_bond == before[v].verifier_bond);
        CHECK(ledger_sum(w.sim.ledger(v), reasons::kAuditFee) == audits[v] * audit_fee);
    }
    // The budget divides exactly and every audit agreed: nothing is left to refund.
    CHECK(w.sim.account(w.owner).balance == owner_before.balance);
    CHECK(ledger_sum(w.sim.task_ledger(w.task), reasons::kTaskRemainder) == 0);
}

}  // namespace step::consensus::market_test
