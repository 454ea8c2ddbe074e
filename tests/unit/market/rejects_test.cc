// Every malformed or out-of-turn market transaction is rejected with its specific code.
#include "tests/unit/market/scenario.h"
#include "tests/support/status_check.h"

namespace step::consensus::market_test {

TEST_CASE("Rejected: SubmitTask over funds, CancelTask by others or twice", "[market]") {
    World w;
    Sim& sim = w.sim;
    const Bytes spec = encode_task_spec(small_spec_proto());
    auto submit = [&](uint64_t budget) {
        return sim.tx(w.owner, [&](auto& t) {
            t.mutable_submit_task()->set_spec(spec.data(), spec.size());
            t.mutable_submit_task()->set_budget(budget);
            t.mutable_submit_task()->set_unit_bond(small_spec().unit_bond);
        });
    };
    CHECK(sim.reject_code(submit(1'000 * kCoin)) == codes::kInsufficientFunds);
    CHECK(sim.reject_code(submit(3)) == codes::kSpecBudget);
    auto cancel = [&](const Address& who, const Hash256& id) {
        return sim.tx(who, [&](auto& t) { t.mutable_cancel_task()->set_task_id(id.data(), 32); });
    };
    CHECK(sim.reject_code(cancel(w.solvers[0], w.task)) == codes::kNotTaskOwner);
    CHECK(sim.reject_code(cancel(w.owner, Hash256{})) == codes::kUnknownTask);
    // Cancel with one unit claimed: the other three are refunded; the claimed one runs on.
    sim.block({sim.claim_tx(w.solvers[0], w.task, 0, 0)});
    const uint64_t before = sim.account(w.owner).balance;
    sim.block({cancel(w.owner, w.task)});
    const uint64_t pay = sim.task(w.task).unit_pay();
    CHECK(sim.account(w.owner).balance == before + 3 * pay - P().min_fee);
    CHECK(ledger_sum(sim.ledger(w.owner), reasons::kCancelRefund) == 3 * pay);
    CHECK(sim.unit(w.task, 0, 1).status() == pb::UNIT_CANCELLED);
    CHECK(sim.unit(w.task, 0, 0).status() == pb::UNIT_CLAIMED);
    CHECK(sim.reject_code(cancel(w.owner, w.task)) == codes::kTaskClosed);
    CHECK(sim.reject_code(sim.claim_tx(w.solvers[1], w.task, 0, 1)) == codes::kTaskClosed);
    // The claimed unit times out: it is cancelled, not reopened, and the task closes.
    sim.mine_to(w.miner, static_cast<int>(P().claim_timeout));
    CHECK(sim.unit(w.task, 0, 0).status() == pb::UNIT_CANCELLED);
    CHECK(sim.task(w.task).done());
    CHECK(sim.task(w.task).escrow() == 0);
}

TEST_CASE("Rejected: out-of-turn and wrong-party claims", "[market]") {
    kernels::TaskSpec s = small_spec();
    s.steps = 24;  // 3 rounds, so PIPELINE_DEPTH = 2 bites
    World w(s);
    Sim& sim = w.sim;
    const Address A = w.solvers[0], B = w.solvers[1];
    CHECK(sim.reject_code(sim.claim_tx(A, Hash256{}, 0, 0)) == codes::kUnknownTask);
    CHECK(sim.reject_code(sim.claim_tx(A, w.task, 3, 0)) == codes::kBadUnitRef);
    CHECK(sim.reject_code(sim.claim_tx(A, w.task, 0, 2)) == codes::kBadUnitRef);
    CHECK(sim.reject_code(sim.claim_tx(A, w.task, 1, 0)) == codes::kRoundNotReady);
    CHECK(sim.reject_code(sim.claim_tx(w.owner, w.task, 0, 0)) == codes::kInsufficientBond);
    sim.block({sim.claim_tx(A, w.task, 0, 0)});
    CHECK(sim.reject_code(sim.claim_tx(B, w.task, 0, 0)) == codes::kUnitNotOpen);
    RoundPlan plan;
    plan.solvers = w.solvers;
    sim.block({sim.claim_tx(B, w.task, 0, 1)});
    const auto start = w.start_of(0, {});
    std::vector<UnitWork> r0{sim.train(w.spec, w.task, 0, 0, start), sim.train(w.spec, w.task, 0, 1, start)};
    sim.block({sim.commit_tx(A, w.task, 0, 0, w.spec, r0[0].leaves), sim.commit_tx(B, w.task, 0, 1, w.spec, r0[1].leaves)});
    sim.block({sim.claim_tx(A, w.task, 1, 0), sim.claim_tx(B, w.task, 1, 1)});
    const auto start1 = w.start_of(1, r0);
    std::vector<UnitWork> r1{sim.train(w.spec, w.task, 1, 0, start1), sim.train(w.spec, w.task, 1, 1, start1)};
    sim.block({sim.commit_tx(A, w.task, 1, 0, w.spec, r1[0].leaves), sim.commit_tx(B, w.task, 1, 1, w.spec, r1[1].leaves)});
    // Round 2 is ready (round 1 committed) but PIPELINE_DEPTH rounds past the last final one.
    CHECK(sim.task(w.task).finalised_rounds() == 0);
    CHECK(sim.reject_code(sim.claim_tx(A, w.task, 2, 0)) == codes::kPipelineFull);
}

TEST_CASE("Rejected: bad commits, audits, reveals and openings", "[market]") {
    World w;
    Sim& sim = w.sim;
    const Address A = w.solvers[0], B = w.solvers[1];
    sim.block({sim.claim_tx(A, w.task, 0, 0), sim.claim_tx(B, w.task, 0, 1)});
    const auto start = w.start_of(0, {});
    std::vector<UnitWork> work{sim.train(w.spec, w.task, 0, 0, start), sim.train(w.spec, w.task, 0, 1, start)};
    CHECK(sim.reject_code(sim.commit_tx(B, w.task, 0, 0, w.spec, work[0].leaves)) == codes::kNotUnitSolver);
    auto short_commit = sim.commit_tx(A, w.task, 0, 0, w.spec, work[0].leaves);
    short_commit.mutable_commit_unit()->mutable_checkpoint_leaves()->RemoveLast();
    sign_transaction(short_commit, seed_of(2));
    CHECK(sim.reject_code(short_commit) == codes::kBadCommit);
    auto bad_root = sim.commit_tx(A, w.task, 0, 0, w.spec, work[0].leaves);
    bad_root.mutable_commit_unit()->set_trace_root("xx");
    sign_transaction(bad_root, seed_of(2));
    CHECK(sim.reject_code(bad_root) == codes::kBadCommit);
    sim.block({sim.commit_tx(A, w.task, 0, 0, w.spec, work[0].leaves), sim.commit_tx(B, w.task, 0, 1, w.spec, work[1].leaves)});
    const uint64_t c = sim.height();
    CHECK(sim.reject_code(sim.commit_tx(A, w.task, 0, 0, w.spec, work[0].leaves)) == codes::kWrongPhase);
    CHECK(sim.reject_code(sim.commit_tx(A, w.task, 0, 1, w.spec, work[0].leaves)) == codes::kWrongPhase);
    const auto digests_for = [&](const Address& v) {
        const pb::Unit u = sim.unit(w.task, 0, 0);
        for (const auto& a : u.audits())
            if (detail::to_address(a.verifier()) == v) return Sim::audit_digests(a, w.spec, work[0].leaves);
        return std::vector<Hash256>{};
    };
    // Before assignment there is nothing to audit.
    CHECK(sim.reject_code(sim.audit_commit_tx(w.verifiers[0], w.task, 0, 0, {})) == codes::kWrongPhase);
    sim.block({});  // assignment at c + ASSIGN_DELAY
    const pb::Unit u = sim.unit(w.task, 0, 0);
    REQUIRE(u.audits_size() == 2);
    const Address v = detail::to_address(u.audits(0).verifier());
    Address outsider{};
    for (const auto& x : w.verifiers)
        if (x != detail::to_address(u.audits(0).verifier()) && x != detail::to_address(u.audits(1).verifier())) outsider = x;
    CHECK(sim.reject_code(sim.audit_commit_tx(outsider, w.task, 0, 0, {})) == codes::kNotAssigned);
    CHECK(sim.reject_code(sim.audit_reveal_tx(v, w.task, 0, 0, digests_for(v))) == codes::kWrongPhase);
    sim.block({sim.audit_commit_tx(v, w.task, 0, 0, digests_for(v))});
    CHECK(sim.reject_code(sim.audit_commit_tx(v, w.task, 0, 0, digests_for(v))) == codes::kDuplicateAudit);
    while (sim.height() < unit_windows(c, P()).commit_end) sim.block({});
    CHECK(sim.reject_code(sim.audit_commit_tx(v, w.task, 0, 0, digests_for(v))) == codes::kWrongPhase);
    auto lie = digests_for(v);
    lie.back()[0] ^= 1;
    CHECK(sim.reject_code(sim.audit_reveal_tx(v, w.task, 0, 0, lie)) == codes::kBadReveal);
    lie.pop_back();
    CHECK(sim.reject_code(sim.audit_reveal_tx(v, w.task, 0, 0, lie)) == codes::kBadReveal);
    CHECK(sim.reject_code(sim.open_tx(A, w.task, 0, 0, work[0].leaves)) == codes::kWrongPhase);  // too early
    sim.block({sim.audit_reveal_tx(v, w.task, 0, 0, digests_for(v))});
    CHECK(sim.reject_code(sim.audit_reveal_tx(v, w.task, 0, 0, digests_for(v))) == codes::kDuplicateAudit);
    while (sim.height() < unit_windows(c, P()).reveal_end) sim.block({});
    CHECK(sim.reject_code(sim.open_tx(B, w.task, 0, 0, work[0].leaves)) == codes::kNotUnitSolver);
    CHECK(sim.reject_code(sim.open_tx(A, w.task, 0, 0, work[1].leaves)) == codes::kBadTrace);
    auto fewer = work[0].leaves;
    fewer.pop_back();
    CHECK(sim.reject_code(sim.open_tx(A, w.task, 0, 0, fewer)) == codes::kBadTrace);
    CHECK(sim.reject_code(sim.open_tx(A, w.task, 0, 0, work[0].leaves)).ok());
}

TEST_CASE("Rejected: fraud proofs without commitment, malformed, oversize or over the block budget",
          "[market]") {
    World w;
    Sim& sim = w.sim;
    auto f = forged_round0(w, {});
    const UnitWindows win = unit_windows(f.commit, P());
    const auto wrong = find_fraud_in(w, 0, 1, f.bad.leaves);  // the committed, not yet opened, leaves
    const Address prover = w.verifiers[0];
    // Before OpenTrace the unit is not open to proofs.
    sim.block({proof_commit_tx(sim, prover, wrong.proof)});
    CHECK(sim.reject_code(proof_commit_tx(sim, prover, wrong.proof)) == codes::kDuplicateProofCommit);
    CHECK(sim.reject_code(fraud_tx(sim, prover, w.task, 0, 1, wrong.proof)) == codes::kWrongPhase);
    w.drive(win.open_end, {f.active});
    // No commitment by this prover.
    CHECK(sim.reject_code(fraud_tx(sim, w.verifiers[1], w.task, 0, 1, wrong.proof)) == codes::kNoProofCommit);
    // Payload leaf differs from the proof's.
    auto mismatch = fraud_tx(sim, prover, w.task, 0, 1, wrong.proof);
    mismatch.mutable_fraud_proof()->set_leaf_index(3);
    sign_transaction(mismatch, seed_of(4 + static_cast<uint8_t>(std::find(w.verifiers.begin(), w.verifiers.end(), prover) - w.verifiers.begin())));
    CHECK(sim.reject_code(mismatch) == codes::kBadProof);
    // Junk bytes and a tampered Merkle path: the verifier's codes.
    auto junk = fraud_tx(sim, prover, w.task, 0, 1, wrong.proof);
    junk.mutable_fraud_proof()->set_proof("junk");
    sign_transaction(junk, seed_of(4));
    CHECK(sim.reject_code(junk) == step::verifier::codes::kBadEncoding);
    verifier::FraudProof tampered = wrong.proof;
    tampered.claimed.path.front()[0] ^= 1;
    sim.block({proof_commit_tx(sim, prover, tampered)});
    CHECK(sim.reject_code(fraud_tx(sim, prover, w.task, 0, 1, tampered)) == step::verifier::codes::kBadLeafProof);
    // Oversize: stateless.
    pb::Transaction big = fraud_tx(sim, prover, w.task, 0, 1, wrong.proof);
    big.mutable_fraud_proof()->set_proof(std::string(P().max_proof_bytes + 1, 'x'));
    sign_transaction(big, seed_of(4));
    Params roomy = P();
    roomy.max_tx_bytes = 2 * P().max_proof_bytes;
    CHECK(check_transaction(big, roomy) == codes::kProofTooLarge);
    // MAX_BLOCK_PROOF_FLOPS.
    Params tight = P();
    tight.max_block_proof_flops = 1;
    sim.clear_queue();
    CHECK(check_transaction_against(sim.kv(), fraud_tx(sim, prover, w.task, 0, 1, wrong.proof), tight,
                                    sim.height() + 1) == codes::kBlockProofFlops);
    sim.clear_queue();
    CHECK(sim.reject_code(fraud_tx(sim, prover, w.task, 0, 1, wrong.proof)).ok());
}

}  // namespace step::consensus::market_test
