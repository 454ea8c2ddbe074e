#include "tests/unit/market/scenario.h"

namespace step::consensus::market_test {
namespace {

}  // namespace

TEST_CASE("Corrupt segment: assigned verifier disagrees, proves fraud, dependants reset and rerun",
          "[market]") {
    World w;
    Sim& sim = w.sim;
    const Address A = w.solvers[0], B = w.solvers[1];
    RoundPlan plan;
    plan.solvers = w.solvers;
    const auto start0 = w.start_of(0, {});
    sim.block({sim.claim_tx(A, w.task, 0, 0), sim.claim_tx(B, w.task, 0, 1)});
    const UnitWork h0 = sim.train(w.spec, w.task, 0, 0, start0);
    const UnitWork h1 = sim.train(w.spec, w.task, 0, 1, start0);
    const UnitWork bad = sim.train(w.spec, w.task, 0, 1, start0, kFault);
    REQUIRE(bad.leaves[1] == h1.leaves[1]);
    REQUIRE(bad.leaves[2] != h1.leaves[2]);
    plan.forged[1] = bad.leaves;
    sim.block({sim.commit_tx(A, w.task, 0, 0, w.spec, h0.leaves), sim.commit_tx(B, w.task, 0, 1, w.spec, bad.leaves)});
    const uint64_t c0 = sim.height();
    const auto a0 = w.active(0, c0, {h0, h1}, plan);

    // Round 1 pipelines on the forged mean: its units are the dependants.
    const auto start1_bad = w.start_of(1, {h0, bad});
    std::vector<UnitWork> r1_bad;
    uint64_t c1 = 0;
    w.drive(c0 + 2, {a0}, [&](uint64_t h, auto& txs) {
        if (h == c0 + 1) {
            txs.push_back(sim.claim_tx(A, w.task, 1, 0));
            txs.push_back(sim.claim_tx(B, w.task, 1, 1));
        } else {
            for (uint32_t k = 0; k < 2; ++k) {
                r1_bad.push_back(sim.train(w.spec, w.task, 1, k, start1_bad));
                txs.push_back(sim.commit_tx(w.solvers[k], w.task, 1, k, w.spec, r1_bad[k].leaves));
            }
            c1 = h;
        }
    });
    REQUIRE(sim.unit(w.task, 1, 1).status() == pb::UNIT_COMMITTED);
    RoundPlan plan1;
    plan1.solvers = w.solvers;
    const auto a1 = w.active(1, c1, r1_bad, plan1);
    const UnitWindows win = unit_windows(c0, P());
    w.drive(win.open_end, {a0, a1});

    // Every assigned verifier of the corrupt unit disagreed with the opened trace.
    const pb::Unit opened = sim.unit(w.task, 0, 1);
    REQUIRE(opened.status() == pb::UNIT_OPENED);
    REQUIRE(opened.audits_size() == 2);
    for (const auto& a : opened.audits()) CHECK(a.verdict() == verdicts::kDisagreed);
    const Address prover = detail::to_address(opened.audits(0).verifier());
    const verifier::WrongLeaf wrong = find_fraud(w, 0, 1);
    CHECK(wrong.leaf == 2);

    const AccountState b_before = sim.account(B), p_before = sim.account(prover);
    const AccountState a_before = sim.account(A);
    const uint64_t burned_before = sim.totals().burned;
    const uint64_t p_audit_before = ledger_sum(sim.ledger(prover), reasons::kAuditFee);
    w.drive(win.open_end + 1, {a0, a1}, [&](uint64_t, auto& txs) { txs.push_back(proof_commit_tx(sim, prover, wrong.proof)); });
    CHECK(sim.account(prover).balance == p_before.balance - P().proof_bond - P().min_fee);
    w.drive(win.open_end + 2, {a0, a1}, [&](uint64_t, auto& txs) {
        txs.push_back(fraud_tx(sim, prover, w.task, 0, 1, wrong.proof));
    });

    // The corrupt unit and both dependants are open again; the honest sibling went final.
    CHECK(sim.unit(w.task, 0, 1).status() == pb::UNIT_OPEN);
    CHECK(sim.unit(w.task, 0, 1).resets() == 1);
    CHECK(sim.unit(w.task, 0, 0).status() == pb::UNIT_OPENED);  // the honest sibling is untouched
    CHECK(sim.unit(w.task, 1, 0).status() == pb::UNIT_OPEN);
    CHECK(sim.unit(w.task, 1, 1).status() == pb::UNIT_OPEN);
    // Settlement in PROTOCOL.md's order.
    const uint64_t bond = w.spec.unit_bond;
    // Both dependants committed, opened in the proof's block (their agreeing audits paid from
    // escrow then); the bond pays their FLOPs and any audit not yet paid.
    const uint64_t dep_fees = ledger_sum(sim.task_ledger(w.task), reasons::kDependantAuditFee);
    const uint64_t opened_fees = ledger_sum(sim.task_ledger(w.task), reasons::kAuditFee);
    // (unit (0,0)'s 2 agreeing audits + the dependants' 4; the disagreeing 2 earn nothing)
    CHECK(dep_fees == 0);
    CHECK(opened_fees == 6 * sim.task(w.task).audit_fee());
    const uint64_t dep = 2 * flops_pay(w, sim) + dep_fees;
    const uint64_t rest = bond - dep;
    const uint64_t whistle = rest * P().whistle_share_bps / 10'000;
    CHECK(sim.account(B).solver_bond == b_before.solver_bond + bond);  // dependant (1,1) bond back
    CHECK(ledger_sum(sim.ledger(B), reasons::kFraudProven) == bond);
    CHECK(ledger_sum(sim.ledger(A), reasons::kDependantFlops) == flops_pay(w, sim));
    CHECK(ledger_sum(sim.ledger(B), reasons::kDependantFlops) == flops_pay(w, sim));
    CHECK(sim.totals().burned - burned_before == rest - whistle);
    bool found = false;
    for (const auto& e : sim.ledger(B))
        if (e.code() == reasons::kFraudProven) found = e.reason() == "slashed: fraud at leaf 2";
    CHECK(found);
    // Proof bond back, reward held for the contest window (plus any dependant audit fees).
    const uint64_t p_fees = ledger_sum(sim.ledger(prover), reasons::kDependantAuditFee) +
                            ledger_sum(sim.ledger(prover), reasons::kAuditFee) - p_audit_before;
    CHECK(sim.account(prover).balance == p_before.balance - 2 * P().min_fee + p_fees);
    w.drive(sim.height() + P().proof_contest_window, {});
    CHECK(sim.account(prover).balance == p_before.balance - 2 * P().min_fee + p_fees + whistle);
    CHECK(ledger_sum(sim.ledger(prover), reasons::kWhistleReward) == whistle);
    CHECK(ledger_sum(sim.ledger(prover), reasons::kAuditUnproven) == 0);
    (void)a_before;

    // Re-run honestly: the task completes with the honest model.
    sim.block({sim.claim_tx(B, w.task, 0, 1)});
    sim.block({sim.commit_tx(B, w.task, 0, 1, w.spec, h1.leaves)});
    RoundPlan honest;
    honest.solvers = w.solvers;
    w.audit_open_finalise(0, sim.height(), {h0, h1}, honest);
    const auto r1 = w.run_round(1, w.start_of(1, {h0, h1}), honest);
    CHECK(sim.task(w.task).done());
    CHECK(sim.unit(w.task, 1, 0).final_leaf() == detail::str(r1[0].leaves.back()));
    CHECK(sim.unit(w.task, 1, 1).final_leaf() == detail::str(r1[1].leaves.back()));
    CHECK(r1[0].leaves.back() != r1_bad[0].leaves.back());
}

}  // namespace step::consensus::market_test
