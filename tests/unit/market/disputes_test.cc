#include "tests/unit/market/scenario.h"

namespace step::consensus::market_test {
namespace {

RoundPlan all(const World& w, Verifier b) {
    RoundPlan p;
    for (const auto& v : w.verifiers) p.verifiers[v] = b;
    return p;
}

}  // namespace

TEST_CASE("Unassigned whistleblower proves fraud after OpenTrace; lazy verifiers are slashed",
          "[market]") {
    World w;
    const Address whistle = w.sim.party(10);
    w.sim.mine_to(whistle, 1);
    auto f = forged_round0(w, all(w, Verifier::kLazyCopy));
    const UnitWindows win = unit_windows(f.commit, P());
    w.drive(win.open_end, {f.active});
    const pb::Unit opened = w.sim.unit(w.task, 0, 1);
    REQUIRE(opened.status() == pb::UNIT_OPENED);
    for (const auto& a : opened.audits()) CHECK(a.verdict() == verdicts::kAgreed);  // lazy: agreed, and paid
    const auto wrong = find_fraud(w, 0, 1);
    REQUIRE(wrong.leaf == 2);
    std::map<Address, AccountState> before;
    for (const auto& v : w.verifiers) before[v] = w.sim.account(v);
    const uint64_t whistle_before = w.sim.account(whistle).balance;
    w.drive(win.open_end + 1, {f.active}, [&](uint64_t, auto& txs) { txs.push_back(proof_commit_tx(w.sim, whistle, wrong.proof)); });
    w.drive(win.open_end + 2, {f.active}, [&](uint64_t, auto& txs) { txs.push_back(fraud_tx(w.sim, whistle, w.task, 0, 1, wrong.proof)); });
    CHECK(w.sim.unit(w.task, 0, 1).status() == pb::UNIT_OPEN);
    // A lazy verifier is slashed when its revealed range (c, s] held the proven leaf 2.
    for (const auto& a : opened.audits()) {
        const Address v = detail::to_address(a.verifier());
        const bool covered = std::find(a.leaves().begin(), a.leaves().end(), 2u) != a.leaves().end();
        CHECK(w.sim.account(v).verifier_bond == before[v].verifier_bond - (covered ? P().lazy_slash : 0));
        CHECK(ledger_sum(w.sim.ledger(v), reasons::kLazyVerifier) == (covered ? P().lazy_slash : 0));
    }
    w.drive(w.sim.height() + P().proof_contest_window, {});
    const uint64_t reward = ledger_sum(w.sim.ledger(whistle), reasons::kWhistleReward);
    CHECK(reward == w.spec.unit_bond * P().whistle_share_bps / 10'000);  // no dependants
    CHECK(w.sim.account(whistle).balance == whistle_before + reward - 2 * P().min_fee);
}

TEST_CASE("A forged aggregation (wrong leaf 0 of round 1) is proven", "[market]") {
    World w;
    RoundPlan plan;
    plan.solvers = w.solvers;
    const auto r0 = w.run_round(0, w.start_of(0, {}), plan);
    // Unit 0 of round 1 starts from G_0 trained by unit 0 alone instead of the mean.
    kernels::TrainState forged_start = r0[0].final_state;
    const UnitWork bad = w.sim.train(w.spec, w.task, 1, 0, forged_start);
    const UnitWork good1 = w.sim.train(w.spec, w.task, 1, 1, w.start_of(1, r0));
    plan.forged[0] = bad.leaves;
    w.sim.block({w.sim.claim_tx(w.solvers[0], w.task, 1, 0), w.sim.claim_tx(w.solvers[1], w.task, 1, 1)});
    w.sim.block({w.sim.commit_tx(w.solvers[0], w.task, 1, 0, w.spec, bad.leaves),
                 w.sim.commit_tx(w.solvers[1], w.task, 1, 1, w.spec, good1.leaves)});
    const uint64_t c = w.sim.height();
    const auto a = w.active(1, c, {w.sim.train(w.spec, w.task, 1, 0, w.start_of(1, r0)), good1}, plan);
    w.drive(unit_windows(c, P()).open_end, {a});
    const auto wrong = find_fraud(w, 1, 0, {r0[0].final_state, r0[1].final_state});
    CHECK(wrong.leaf == 0);
    CHECK(wrong.proof.previous_finals.size() == 2);
    const Address prover = w.verifiers[0];
    w.drive(w.sim.height() + 1, {a}, [&](uint64_t, auto& txs) { txs.push_back(proof_commit_tx(w.sim, prover, wrong.proof)); });
    w.drive(w.sim.height() + 1, {a}, [&](uint64_t, auto& txs) { txs.push_back(fraud_tx(w.sim, prover, w.task, 1, 0, wrong.proof)); });
    CHECK(w.sim.unit(w.task, 1, 0).status() == pb::UNIT_OPEN);
    bool found = false;
    for (const auto& e : w.sim.ledger(w.solvers[0]))
        if (e.code() == reasons::kFraudProven) found = e.reason() == "slashed: fraud at leaf 0";
    CHECK(found);
}

TEST_CASE("A false fraud proof loses its bond: half burned, half to the solver", "[market]") {
    World w;
    RoundPlan plan;
    plan.solvers = w.solvers;
    uint64_t c = 0;
    const auto work = w.claim_and_commit(0, w.start_of(0, {}), plan, &c);
    const auto a = w.active(0, c, work, plan);
    w.drive(unit_windows(c, P()).open_end, {a});
    // Leaf 3 is right; "prove" it wrong from the true checkpoint at leaf 2.
    auto pre = kernels::state_from_bytes(work[0].checkpoints[1].bytes);
    REQUIRE(pre.ok());
    REQUIRE(work[0].checkpoints[1].leaf == 2);
    auto proof = verifier::build_segment_proof(w.spec, fixture(), verifier::UnitRef{w.task, 0, 0},
                                               work[0].leaves, 3, *pre);
    REQUIRE(proof.ok());
    const Address prover = w.verifiers[2];
    const AccountState solver_before = w.sim.account(w.solvers[0]);
    const AccountState prover_before = w.sim.account(prover);
    const uint64_t fees_before = ledger_sum(w.sim.ledger(prover), reasons::kAuditFee);
    const uint64_t burned_before = w.sim.totals().burned;
    w.drive(w.sim.height() + 1, {a}, [&](uint64_t, auto& txs) { txs.push_back(proof_commit_tx(w.sim, prover, *proof)); });
    w.drive(w.sim.height() + 1, {a}, [&](uint64_t, auto& txs) { txs.push_back(fraud_tx(w.sim, prover, w.task, 0, 0, *proof)); });
    const uint64_t burn = P().proof_bond * P().proof_burn_bps / 10'000;
    CHECK(burn >= P().proof_bond / 2);
    CHECK(w.sim.totals().burned - burned_before == burn);
    CHECK(w.sim.account(w.solvers[0]).balance == solver_before.balance + (P().proof_bond - burn));
    CHECK(ledger_sum(w.sim.ledger(prover), reasons::kProofFailedBurn) == P().proof_bond);
    const uint64_t earned = ledger_sum(w.sim.ledger(prover), reasons::kAuditFee) - fees_before;
    CHECK(w.sim.account(prover).balance ==
          prover_before.balance - P().proof_bond - 2 * P().min_fee + earned);
    CHECK(w.sim.unit(w.task, 0, 0).status() == pb::UNIT_OPENED);  // untouched; goes final
    w.drive(unit_windows(c, P()).final_at, {a});
    CHECK(w.sim.unit(w.task, 0, 0).status() == pb::UNIT_FINAL);
}

TEST_CASE("A copied proof loses to the earlier commitment", "[market]") {
    World w;
    const Address copier = w.sim.party(11);
    w.sim.mine_to(copier, 1);
    auto f = forged_round0(w, {});
    const UnitWindows win = unit_windows(f.commit, P());
    w.drive(win.open_end, {f.active});
    const auto wrong = find_fraud(w, 0, 1);
    const Address original = w.verifiers[0];
    // The original commits first; the copier commits the same proof a block later and, with
    // the original's reveal delayed, reveals first and is credited -- until the original reveals.
    w.drive(win.open_end + 1, {f.active}, [&](uint64_t, auto& txs) { txs.push_back(proof_commit_tx(w.sim, original, wrong.proof)); });
    w.drive(win.open_end + 2, {f.active}, [&](uint64_t, auto& txs) { txs.push_back(proof_commit_tx(w.sim, copier, wrong.proof)); });
    w.drive(win.open_end + 3, {f.active}, [&](uint64_t, auto& txs) { txs.push_back(fraud_tx(w.sim, copier, w.task, 0, 1, wrong.proof)); });
    auto award = read_record<pb::WhistleAward>(w.sim.kv(), award_key(unit_key(w.task, 0, 1)));
    CHECK(detail::to_address(award.prover()) == copier);
    w.drive(win.open_end + 4, {f.active}, [&](uint64_t, auto& txs) { txs.push_back(fraud_tx(w.sim, original, w.task, 0, 1, wrong.proof)); });
    award = read_record<pb::WhistleAward>(w.sim.kv(), award_key(unit_key(w.task, 0, 1)));
    CHECK(detail::to_address(award.prover()) == original);
    // A third reveal of the same proof by the copier is now refused outright.
    CHECK(w.sim.reject_code(fraud_tx(w.sim, copier, w.task, 0, 1, wrong.proof)) == codes::kNoProofCommit);
    w.drive(w.sim.height() + P().proof_contest_window, {});
    CHECK(ledger_sum(w.sim.ledger(original), reasons::kWhistleReward) == award.amount());
    CHECK(ledger_sum(w.sim.ledger(copier), reasons::kWhistleReward) == 0);
    CHECK(ledger_sum(w.sim.ledger(copier), reasons::kProofBondReturned) == P().proof_bond);
}

TEST_CASE("A later commitment of a proven proof: made before its reveal, the bond returns",
          "[market]") {
    World w;
    const Address copier = w.sim.party(11);
    w.sim.mine_to(copier, 1);
    auto f = forged_round0(w, {});
    const UnitWindows win = unit_windows(f.commit, P());
    w.drive(win.open_end, {f.active});
    const auto wrong = find_fraud(w, 0, 1);
    const Address first = w.verifiers[0], independent = w.verifiers[1];
    const auto push = [&](pb::Transaction tx) {
        return [tx](uint64_t, std::vector<pb::Transaction>& txs) { txs.push_back(tx); };
    };
    // `independent` finds the same proof and commits a block after `first`, before any reveal;
    // the copier commits in the block that reveals it.
    w.drive(win.open_end + 1, {f.active}, push(proof_commit_tx(w.sim, first, wrong.proof)));
    w.drive(win.open_end + 2, {f.active}, push(proof_commit_tx(w.sim, independent, wrong.proof)));
    w.sim.block({fraud_tx(w.sim, first, w.task, 0, 1, wrong.proof),
                 proof_commit_tx(w.sim, copier, wrong.proof)});
    const uint64_t balance = w.sim.account(independent).balance;
    w.sim.block({fraud_tx(w.sim, independent, w.task, 0, 1, wrong.proof)});
    CHECK(w.sim.account(independent).balance == balance + P().proof_bond - P().min_fee);
    CHECK(ledger_sum(w.sim.ledger(independent), reasons::kProofBondReturned) == P().proof_bond);
    auto award = read_record<pb::WhistleAward>(w.sim.kv(), award_key(unit_key(w.task, 0, 1)));
    CHECK(detail::to_address(award.prover()) == first);  // the earliest commitment keeps it
    // The copy is refused; its commitment and bond stay.
    CHECK(w.sim.reject_code(fraud_tx(w.sim, copier, w.task, 0, 1, wrong.proof)) ==
          codes::kWrongPhase);
    w.sim.clear_queue();
    w.drive(w.sim.height() + P().proof_contest_window, {});
    CHECK(ledger_sum(w.sim.ledger(first), reasons::kWhistleReward) == award.amount());
    CHECK(ledger_sum(w.sim.ledger(independent), reasons::kWhistleReward) == 0);
    CHECK(ledger_sum(w.sim.ledger(copier), reasons::kProofBondReturned) == 0);
}

TEST_CASE("A verifier that disagrees without a proof loses its audit bond", "[market]") {
    World w;
    RoundPlan plan = all(w, Verifier::kLiar);
    plan.solvers = w.solvers;
    std::map<Address, AccountState> before;
    for (const auto& v : w.verifiers) before[v] = w.sim.account(v);
    w.run_round(0, w.start_of(0, {}), plan);
    std::map<Address, uint64_t> audits;
    for (uint32_t k = 0; k < 2; ++k)
        for (const pb::Unit u = w.sim.unit(w.task, 0, k); const auto& a : u.audits()) {
            CHECK(a.verdict() == verdicts::kDisagreed);
            ++audits[detail::to_address(a.verifier())];
        }
    for (const auto& v : w.verifiers) {
        CHECK(w.sim.account(v).verifier_bond == before[v].verifier_bond - audits[v] * P().audit_bond);
        CHECK(ledger_sum(w.sim.ledger(v), reasons::kAuditUnproven) == audits[v] * P().audit_bond);
    }
    CHECK(w.sim.unit(w.task, 0, 0).status() == pb::UNIT_FINAL);  // the solver is still paid
}

TEST_CASE("Timeout: a claim never committed burns the bond and reopens the unit", "[market]") {
    World w;
    const Address s = w.solvers[0];
    const uint64_t bond = w.sim.account(s).solver_bond;
    const uint64_t burned = w.sim.totals().burned;
    w.sim.block({w.sim.claim_tx(s, w.task, 0, 0)});
    CHECK(w.sim.account(s).solver_bond == bond - w.spec.unit_bond);
    w.sim.mine_to(w.miner, static_cast<int>(P().claim_timeout) - 1);
    CHECK(w.sim.unit(w.task, 0, 0).status() == pb::UNIT_CLAIMED);
    w.sim.mine_to(w.miner, 1);
    CHECK(w.sim.unit(w.task, 0, 0).status() == pb::UNIT_OPEN);
    CHECK(w.sim.totals().burned - burned == w.spec.unit_bond);
    CHECK(ledger_sum(w.sim.ledger(s), reasons::kClaimTimeout) == w.spec.unit_bond);
    CHECK(w.sim.account(s).solver_bond == bond - w.spec.unit_bond);
}

TEST_CASE("Timeout: a trace never opened burns the bond; a verifier that never reveals is slashed",
          "[market]") {
    World w;
    RoundPlan plan = all(w, Verifier::kSilentReveal);
    plan.solvers = w.solvers;
    plan.unopened = {1};
    std::map<Address, AccountState> before;
    for (const auto& v : w.verifiers) before[v] = w.sim.account(v);
    const uint64_t bond1 = w.sim.account(w.solvers[1]).solver_bond;
    uint64_t c = 0;
    const auto work = w.claim_and_commit(0, w.start_of(0, {}), plan, &c);
    std::map<Address, uint64_t> audits;
    w.drive(unit_windows(c, P()).reveal_end, {w.active(0, c, work, plan)});
    for (uint32_t k = 0; k < 2; ++k)
        for (const pb::Unit u = w.sim.unit(w.task, 0, k); const auto& a : u.audits()) {
            CHECK(a.verdict() == verdicts::kMissed);
            ++audits[detail::to_address(a.verifier())];
        }
    for (const auto& v : w.verifiers)
        CHECK(w.sim.account(v).verifier_bond == before[v].verifier_bond - audits[v] * P().verifier_miss_slash);
    w.drive(unit_windows(c, P()).final_at, {w.active(0, c, work, plan)});
    CHECK(w.sim.unit(w.task, 0, 1).status() == pb::UNIT_OPEN);
    CHECK(ledger_sum(w.sim.ledger(w.solvers[1]), reasons::kTraceNotOpened) == w.spec.unit_bond);
    CHECK(w.sim.account(w.solvers[1]).solver_bond == bond1 - w.spec.unit_bond);
    CHECK(w.sim.unit(w.task, 0, 0).status() == pb::UNIT_FINAL);
}

TEST_CASE("A reorg across blocks holding a fraud proof restores the exact earlier state",
          "[market]") {
    World w;
    auto f = forged_round0(w, {});
    const UnitWindows win = unit_windows(f.commit, P());
    w.drive(win.open_end, {f.active});
    const auto wrong = find_fraud(w, 0, 1);
    const Address prover = w.verifiers[0];
    const auto snapshot = w.sim.kv().data();
    const Hash256 root = w.sim.chain().tip().state_root;
    std::vector<pb::Block> blocks;
    auto keep = [&](const std::vector<pb::Transaction>& txs) {
        auto a = assemble_block(w.sim.kv(), w.sim.chain().tip(), txs, w.miner,
                                w.sim.chain().tip().timestamp + P().block_time_s, P());
        REQUIRE(a.ok());
        REQUIRE(a->skipped.empty());
        testing::mine(a->block, P());
        REQUIRE(w.sim.chain().connect(a->block).ok());
        w.sim.clear_queue();
        w.sim.check_invariant();
        blocks.push_back(a->block);
    };
    keep({proof_commit_tx(w.sim, prover, wrong.proof)});
    keep({fraud_tx(w.sim, prover, w.task, 0, 1, wrong.proof)});
    for (uint64_t i = 0; i < P().proof_contest_window; ++i) keep({});
    REQUIRE(w.sim.unit(w.task, 0, 1).status() == pb::UNIT_OPEN);
    const auto after = w.sim.kv().data();
    const Hash256 after_root = w.sim.chain().tip().state_root;
    for (size_t i = 0; i < blocks.size(); ++i) w.sim.chain().disconnect();
    CHECK(w.sim.kv().data() == snapshot);
    CHECK(w.sim.chain().tip().state_root == root);
    CHECK(w.sim.unit(w.task, 0, 1).status() == pb::UNIT_OPENED);
    w.sim.check_invariant();
    for (const auto& b : blocks) REQUIRE(w.sim.chain().connect(b).ok());
    CHECK(w.sim.kv().data() == after);
    CHECK(w.sim.chain().tip().state_root == after_root);
}

}  // namespace step::consensus::market_test
