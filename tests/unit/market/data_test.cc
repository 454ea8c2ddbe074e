#include <algorithm>

#include "tests/unit/market/scenario.h"
#include "verifier/proofs.h"
#include "tests/support/status_check.h"

namespace step::consensus::market_test {
namespace {

// Unit (round, 0)'s challenge and answer, in the argument order most cases here use.
pb::Transaction challenge_tx(Sim& sim, const Address& who, const Hash256& task, uint32_t leaf,
                             pb::DataKind kind = pb::DATA_CHECKPOINT, uint32_t round = 0,
                             uint32_t unit = 0, uint64_t chunk = 0) {
    return data_challenge_tx(sim, who, task, round, unit, leaf, chunk, kind);
}

pb::Transaction response_tx(Sim& sim, const Address& who, const Hash256& task, uint32_t leaf,
                            const Bytes& checkpoint, uint32_t round = 0, uint64_t chunk = 0) {
    return data_response_tx(sim, who, task, round, 0, leaf, checkpoint, chunk);
}

// U = 8, L = 2, C = 6: checkpoints at leaf 3 only, the final state (leaf 4) is no checkpoint.
size_t excuses_of_unit(World& w, uint32_t round, uint32_t unit) {
    size_t n = 0;
    for (const auto& v : w.verifiers)
        for (const auto& e : w.sim.ledger(v))
            if (e.code() == reasons::kAuditExcused && e.round() == round && e.unit() == unit) ++n;
    return n;
}

// How many entries of `l` carry `code`.
size_t count_code(const std::vector<pb::LedgerEntry>& l, const std::string& code) {
    return static_cast<size_t>(
        std::count_if(l.begin(), l.end(), [&](const auto& e) { return e.code() == code; }));
}

// Finality of unit (0, k) committed at c, after whatever delay an answer gave it.
uint64_t final_at_of(World& w, uint32_t round, uint32_t k, uint64_t c) {
    return unit_windows(c, P(), w.sim.unit(w.task, round, k).window_delay()).final_at;
}

// Every party's account, to compare before and after a settlement.
std::map<Address, AccountState> accounts_of(World& w) {
    std::map<Address, AccountState> a;
    for (const Address& x : w.solvers) a[x] = w.sim.account(x);
    for (const Address& x : w.verifiers) a[x] = w.sim.account(x);
    a[w.owner] = w.sim.account(w.owner);
    return a;
}

}  // namespace

TEST_CASE("Withheld checkpoint: unanswered DataChallenge slashes the solver, excuses verifiers",
          "[market]") {
    World w;
    Sim& sim = w.sim;
    RoundPlan plan;
    plan.solvers = w.solvers;
    for (const auto& v : w.verifiers) plan.verifiers[v] = Verifier::kAbsent;  // cannot audit
    uint64_t c = 0;
    const auto work = w.claim_and_commit(0, w.start_of(0, {}), plan, &c);
    const Address challenger = w.verifiers[0];
    std::map<Address, AccountState> before;
    for (const auto& v : w.verifiers) before[v] = sim.account(v);
    const uint64_t burned = sim.totals().burned;
    CHECK(sim.reject_code(challenge_tx(sim, challenger, w.task, 1)) == codes::kUnknownBlob);
    sim.clear_queue();
    sim.block({challenge_tx(sim, challenger, w.task, 2)});
    CHECK(sim.reject_code(challenge_tx(sim, challenger, w.task, 2)) == codes::kDuplicateChallenge);
    sim.clear_queue();
    w.drive(unit_windows(c, P()).final_at, {w.active(0, c, work, plan)});
    // Unit 0: withheld, slashed, reset; its verifiers excused, not slashed for missed windows.
    CHECK(sim.unit(w.task, 0, 0).status() == pb::UNIT_OPEN);
    CHECK(ledger_sum(sim.ledger(w.solvers[0]), reasons::kDataWithheld) == w.spec.unit_bond);
    CHECK(ledger_sum(sim.ledger(challenger), reasons::kChallengeRefund) == P().da_bond);
    CHECK(sim.totals().burned - burned >= w.spec.unit_bond);
    size_t excused = 0;
    for (const auto& v : w.verifiers)
        for (const auto& e : sim.ledger(v))
            if (e.code() == reasons::kAuditExcused && e.unit() == 0) ++excused;
    CHECK(excused == 2);
    // Unit 1's absent verifiers were not excused: they are slashed for the missed windows.
    uint64_t missed = 0;
    for (const auto& v : w.verifiers) missed += ledger_sum(sim.ledger(v), reasons::kAuditMissed);
    CHECK(missed == 2 * P().verifier_miss_slash);
}

TEST_CASE("Answered DataChallenge: the chunk proves into the committed checkpoint", "[market]") {
    World w;
    Sim& sim = w.sim;
    RoundPlan plan;
    plan.solvers = w.solvers;
    uint64_t c = 0;
    const auto work = w.claim_and_commit(0, w.start_of(0, {}), plan, &c);
    const Address challenger = w.verifiers[0];
    sim.block({challenge_tx(sim, challenger, w.task, 2)});
    REQUIRE(work[0].checkpoints[1].leaf == 2);
    // The wrong checkpoint (leaf 4's bytes) is refused; the right one is accepted and paid.
    CHECK(sim.reject_code(response_tx(sim, w.solvers[0], w.task, 2, work[0].checkpoints[2].bytes)) ==
          codes::kBadChunkProof);
    sim.clear_queue();
    sim.block({response_tx(sim, w.solvers[0], w.task, 2, work[0].checkpoints[1].bytes)});
    // The bond returns to the challenger; answering earns the solver nothing.
    CHECK(ledger_sum(sim.ledger(w.solvers[0]), reasons::kChallengeAnswered) == 0);
    CHECK(ledger_sum(sim.ledger(challenger), reasons::kChallengeAnswered) == P().da_bond);
    CHECK(sim.unit(w.task, 0, 0).challenges_size() == 0);
    CHECK(sim.reject_code(response_tx(sim, w.solvers[0], w.task, 2, work[0].checkpoints[1].bytes)) ==
          codes::kUnknownChallenge);
    sim.clear_queue();
    w.drive(final_at_of(w, 0, 0, c), {w.active(0, c, work, plan)});
    CHECK(sim.unit(w.task, 0, 0).status() == pb::UNIT_FINAL);
}

TEST_CASE("Withheld final state of an unfinal unit: solver slashed, verifiers excused",
          "[market]") {
    // C | U (spec-intervals), so the final state is also the last checkpoint: both kinds name
    // the same blob and share one challenge.
    World w;
    Sim& sim = w.sim;
    RoundPlan plan;
    plan.solvers = w.solvers;
    for (const auto& v : w.verifiers) plan.verifiers[v] = Verifier::kAbsent;
    uint64_t c = 0;
    const auto work = w.claim_and_commit(0, w.start_of(0, {}), plan, &c);
    const Address challenger = w.verifiers[0];
    // Leaf 2 is a checkpoint, not the final state (leaf U/L = 4).
    CHECK(sim.reject_code(challenge_tx(sim, challenger, w.task, 2, pb::DATA_FINAL_STATE)) ==
          codes::kUnknownBlob);
    sim.clear_queue();
    const uint64_t burned = sim.totals().burned;
    sim.block({challenge_tx(sim, challenger, w.task, 4, pb::DATA_FINAL_STATE)});
    CHECK(sim.reject_code(challenge_tx(sim, challenger, w.task, 4, pb::DATA_FINAL_STATE)) ==
          codes::kDuplicateChallenge);
    sim.clear_queue();
    CHECK(sim.reject_code(challenge_tx(sim, challenger, w.task, 4)) == codes::kDuplicateChallenge);
    sim.clear_queue();
    w.drive(unit_windows(c, P()).final_at, {w.active(0, c, work, plan)});
    CHECK(sim.unit(w.task, 0, 0).status() == pb::UNIT_OPEN);
    CHECK(sim.unit(w.task, 0, 1).status() == pb::UNIT_FINAL);
    CHECK(ledger_sum(sim.ledger(w.solvers[0]), reasons::kDataWithheld) == w.spec.unit_bond);
    CHECK(ledger_sum(sim.ledger(challenger), reasons::kChallengeRefund) == P().da_bond);
    CHECK(excuses_of_unit(w, 0, 0) == 2);
    // Unit 1's absent verifiers were slashed for both missed windows; unit 0's were not.
    uint64_t missed = 0;
    for (const auto& v : w.verifiers) missed += ledger_sum(sim.ledger(v), reasons::kAuditMissed);
    CHECK(missed == 2 * P().verifier_miss_slash);
    CHECK(sim.totals().burned - burned == w.spec.unit_bond + 2 * P().verifier_miss_slash);
}

TEST_CASE("Answered final state: the chunk proves into the committed final leaf", "[market]") {
    World w;
    Sim& sim = w.sim;
    RoundPlan plan;
    plan.solvers = w.solvers;
    uint64_t c = 0;
    const auto work = w.claim_and_commit(0, w.start_of(0, {}), plan, &c);
    const Address challenger = w.verifiers[0], server = w.verifiers[2];
    sim.block({challenge_tx(sim, challenger, w.task, 4, pb::DATA_FINAL_STATE)});
    const auto leaf2 = std::find_if(work[0].checkpoints.begin(), work[0].checkpoints.end(),
                                    [](const auto& cp) { return cp.leaf == 2; });
    REQUIRE(leaf2 != work[0].checkpoints.end());
    // The checkpoint at leaf 2 is not the final state; the final state's bytes are.
    CHECK(sim.reject_code(response_tx(sim, server, w.task, 4, leaf2->bytes)) == codes::kBadChunkProof);
    sim.clear_queue();
    const uint64_t balance = sim.account(server).balance;
    sim.block({response_tx(sim, server, w.task, 4, kernels::state_to_bytes(work[0].final_state))});
    CHECK(ledger_sum(sim.ledger(server), reasons::kChallengeAnswered) == 0);
    CHECK(sim.account(server).balance == balance - P().min_fee);
    CHECK(ledger_sum(sim.ledger(challenger), reasons::kChallengeAnswered) == P().da_bond);
    CHECK(sim.unit(w.task, 0, 0).challenges_size() == 0);
    w.drive(final_at_of(w, 0, 0, c), {w.active(0, c, work, plan)});
    CHECK(sim.unit(w.task, 0, 0).status() == pb::UNIT_FINAL);
    CHECK(ledger_sum(sim.ledger(w.solvers[0]), reasons::kDataWithheld) == 0);
}

TEST_CASE("Withheld final state of a final unit: solver bond slashed, next round excused",
          "[market]") {
    World w;
    Sim& sim = w.sim;
    RoundPlan plan0;
    plan0.solvers = w.solvers;
    const auto work0 = w.run_round(0, w.start_of(0, {}), plan0);
    REQUIRE(sim.unit(w.task, 0, 0).status() == pb::UNIT_FINAL);
    const Address challenger = w.verifiers[0];
    // Checkpoints of a final unit are no longer owed.
    CHECK(sim.reject_code(challenge_tx(sim, challenger, w.task, 2)) == codes::kWrongPhase);
    sim.clear_queue();
    // Round 1 in flight, its verifiers absent: they would be slashed for missed windows.
    RoundPlan plan1;
    plan1.solvers = w.solvers;
    for (const auto& v : w.verifiers) plan1.verifiers[v] = Verifier::kAbsent;
    uint64_t c1 = 0;
    const auto work1 = w.claim_and_commit(1, w.start_of(1, work0), plan1, &c1);
    const uint64_t bond = sim.account(w.solvers[0]).solver_bond;
    const uint64_t burned = sim.totals().burned;
    sim.block({challenge_tx(sim, challenger, w.task, 4, pb::DATA_FINAL_STATE, 0, 0)});
    const uint64_t expiry = sim.height() + P().da_window;
    w.drive(expiry, {w.active(1, c1, work1, plan1)});
    CHECK(sim.account(w.solvers[0]).solver_bond == bond - w.spec.unit_bond);
    CHECK(ledger_sum(sim.ledger(w.solvers[0]), reasons::kFinalStateWithheld) == w.spec.unit_bond);
    CHECK(ledger_sum(sim.ledger(challenger), reasons::kChallengeRefund) == P().da_bond);
    CHECK(sim.totals().burned - burned == w.spec.unit_bond);
    CHECK(sim.unit(w.task, 0, 0).status() == pb::UNIT_FINAL);  // stays final
    CHECK(sim.unit(w.task, 0, 0).challenges_size() == 0);
    CHECK(sim.unit(w.task, 1, 0).excused());
    CHECK(sim.unit(w.task, 1, 1).excused());
    w.drive(unit_windows(c1, P()).final_at, {w.active(1, c1, work1, plan1)});
    // Round 1's absent verifiers were excused, not slashed; the round finalised.
    uint64_t missed = 0;
    for (const auto& v : w.verifiers) missed += ledger_sum(sim.ledger(v), reasons::kAuditMissed);
    CHECK(missed == 0);
    CHECK(excuses_of_unit(w, 1, 0) == 2);
    CHECK(excuses_of_unit(w, 1, 1) == 2);
    CHECK(sim.unit(w.task, 1, 0).status() == pb::UNIT_FINAL);
    CHECK(sim.unit(w.task, 1, 1).status() == pb::UNIT_FINAL);
    // Nothing depends on the final states any more: neither round's is owed.
    CHECK(sim.reject_code(challenge_tx(sim, challenger, w.task, 4, pb::DATA_FINAL_STATE, 0, 1)) ==
          codes::kWrongPhase);
    sim.clear_queue();
    CHECK(sim.reject_code(challenge_tx(sim, challenger, w.task, 4, pb::DATA_FINAL_STATE, 1, 0)) ==
          codes::kWrongPhase);
    sim.clear_queue();
}

TEST_CASE("Withheld data of a unit in flight releases the next round's claims, bonds returned",
          "[market]") {
    // Round 1 was claimed once round 0 committed; its solvers need unit (0,0)'s final state to
    // compute their start state, and it is withheld.
    World w;
    Sim& sim = w.sim;
    RoundPlan plan;
    plan.solvers = w.solvers;
    for (const auto& v : w.verifiers) plan.verifiers[v] = Verifier::kAbsent;
    uint64_t c = 0;
    const auto work = w.claim_and_commit(0, w.start_of(0, {}), plan, &c);
    sim.block({sim.claim_tx(w.solvers[0], w.task, 1, 0), sim.claim_tx(w.solvers[1], w.task, 1, 1)});
    REQUIRE(sim.unit(w.task, 1, 1).status() == pb::UNIT_CLAIMED);
    const auto before = accounts_of(w);
    const uint64_t burned = sim.totals().burned, escrow = sim.task(w.task).escrow();
    const Address challenger = w.verifiers[0];
    sim.block({challenge_tx(sim, challenger, w.task, 4, pb::DATA_FINAL_STATE)});
    const uint64_t expiry = sim.height() + P().da_window;
    REQUIRE(expiry < unit_windows(c, P()).reveal_end);  // no audit window closes meanwhile
    w.drive(expiry, {w.active(0, c, work, plan)});
    // Both round-1 claims released: open again, each claimant's unit bond back in its bond.
    for (uint32_t k = 0; k < 2; ++k) {
        const pb::Unit u = sim.unit(w.task, 1, k);
        CHECK(u.status() == pb::UNIT_OPEN);
        CHECK(u.resets() == 1);
        CHECK(u.bond() == 0);
    }
    const uint64_t bond = w.spec.unit_bond;
    CHECK(sim.account(w.solvers[1]).solver_bond == before.at(w.solvers[1]).solver_bond + bond);
    CHECK(sim.account(w.solvers[0]).solver_bond == before.at(w.solvers[0]).solver_bond + bond);
    CHECK(ledger_sum(sim.ledger(w.solvers[1]), reasons::kBondRelease) == bond);
    CHECK(count_code(sim.task_ledger(w.task), reasons::kDataDependantReset) == 2);
    // Nothing else moved: only the withholder's round-0 bond burned, the challenger's bond
    // back, no balance but the challenger's changed, the escrow untouched.
    CHECK(ledger_sum(sim.ledger(w.solvers[0]), reasons::kDataWithheld) == bond);
    CHECK(sim.totals().burned - burned == bond);
    CHECK(sim.task(w.task).escrow() == escrow);
    for (const auto& [who, a] : before) {
        INFO(to_hex(who));
        const uint64_t fee = who == challenger ? P().min_fee : 0;
        CHECK(sim.account(who).balance + fee == a.balance);
        if (who != w.solvers[0] && who != w.solvers[1])
            CHECK(sim.account(who).solver_bond == a.solver_bond);
        CHECK(sim.account(who).verifier_bond == a.verifier_bond);
    }
    CHECK(sim.unit(w.task, 0, 1).status() == pb::UNIT_COMMITTED);
    // Round 1 waits for the redo of unit (0,0), which commits the same final state.
    CHECK(sim.reject_code(sim.claim_tx(w.solvers[1], w.task, 1, 1)) == codes::kRoundNotReady);
    sim.clear_queue();
}

TEST_CASE("Withheld data of a unit in flight: the next round's commitments stay, excused",
          "[market]") {
    World w;
    Sim& sim = w.sim;
    RoundPlan plan;
    plan.solvers = w.solvers;
    for (const auto& v : w.verifiers) plan.verifiers[v] = Verifier::kAbsent;
    uint64_t c = 0;
    const auto work = w.claim_and_commit(0, w.start_of(0, {}), plan, &c);
    // Unit (1,0)'s solver had the data and committed; unit (1,1)'s only claimed.
    sim.block({sim.claim_tx(w.solvers[0], w.task, 1, 0), sim.claim_tx(w.solvers[1], w.task, 1, 1)});
    const UnitWork w10 = sim.train(w.spec, w.task, 1, 0, w.start_of(1, work));
    sim.block({sim.commit_tx(w.solvers[0], w.task, 1, 0, w.spec, w10.leaves)});
    const uint64_t b1 = sim.account(w.solvers[1]).solver_bond;
    sim.block({challenge_tx(sim, w.verifiers[0], w.task, 2)});  // a checkpoint, not the final state
    w.drive(sim.height() + P().da_window, {w.active(0, c, work, plan)});
    CHECK(sim.unit(w.task, 0, 0).status() == pb::UNIT_OPEN);
    const pb::Unit committed = sim.unit(w.task, 1, 0);
    CHECK(committed.status() == pb::UNIT_COMMITTED);
    CHECK(committed.excused());
    CHECK(committed.bond() == w.spec.unit_bond);
    CHECK(sim.unit(w.task, 1, 1).status() == pb::UNIT_OPEN);
    CHECK(sim.account(w.solvers[1]).solver_bond == b1 + w.spec.unit_bond);
    CHECK(ledger_sum(sim.ledger(w.solvers[1]), reasons::kBondRelease) == w.spec.unit_bond);
    CHECK(count_code(sim.task_ledger(w.task), reasons::kDataDependantReset) == 1);
}

TEST_CASE("Withheld final state of a final unit releases the next round's claims", "[market]") {
    World w;
    Sim& sim = w.sim;
    RoundPlan plan;
    plan.solvers = w.solvers;
    const auto work0 = w.run_round(0, w.start_of(0, {}), plan);
    sim.block({sim.claim_tx(w.solvers[0], w.task, 1, 0), sim.claim_tx(w.solvers[1], w.task, 1, 1)});
    const UnitWork w10 = sim.train(w.spec, w.task, 1, 0, w.start_of(1, work0));
    sim.block({sim.commit_tx(w.solvers[0], w.task, 1, 0, w.spec, w10.leaves)});
    const auto before = accounts_of(w);
    const uint64_t burned = sim.totals().burned;
    sim.block({challenge_tx(sim, w.verifiers[0], w.task, 4, pb::DATA_FINAL_STATE, 0, 0)});
    sim.mine_to(w.miner, static_cast<int>(P().da_window));
    const uint64_t bond = w.spec.unit_bond;
    CHECK(ledger_sum(sim.ledger(w.solvers[0]), reasons::kFinalStateWithheld) == bond);
    CHECK(sim.totals().burned - burned == bond);
    CHECK(sim.unit(w.task, 0, 0).status() == pb::UNIT_FINAL);
    CHECK(sim.unit(w.task, 1, 0).status() == pb::UNIT_COMMITTED);
    CHECK(sim.unit(w.task, 1, 0).excused());
    CHECK(sim.unit(w.task, 1, 1).status() == pb::UNIT_OPEN);
    CHECK(sim.account(w.solvers[1]).solver_bond == before.at(w.solvers[1]).solver_bond + bond);
    CHECK(sim.account(w.solvers[1]).balance == before.at(w.solvers[1]).balance);
    CHECK(count_code(sim.task_ledger(w.task), reasons::kDataDependantReset) == 1);
}

TEST_CASE("A trace never opened releases the next round's claimants that challenged its data",
          "[market]") {
    // Unit (0,0)'s solver never opens its trace. Unit (1,0)'s claimant could not fetch (0,0)'s
    // final state and challenged it; the reset refunds that challenge, so its claim is released.
    // Unit (1,1)'s claimant did not challenge: it has the data and keeps its claim.
    World w;
    Sim& sim = w.sim;
    const Address other = sim.party(7);
    sim.fund_and_bond(other, 1, pb::BOND_ROLE_SOLVER, 10 * kCoin);
    RoundPlan plan;
    plan.solvers = w.solvers;
    plan.unopened = {0};
    for (const auto& v : w.verifiers) plan.verifiers[v] = Verifier::kSilentReveal;
    uint64_t c = 0;
    const auto work = w.claim_and_commit(0, w.start_of(0, {}), plan, &c);
    const Address challenger = w.solvers[1];
    const uint64_t open_end = unit_windows(c, P()).open_end;
    REQUIRE(open_end - 1 + P().da_window > open_end);  // the challenge outlives the open window
    w.drive(open_end - 1, {w.active(0, c, work, plan)}, [&](uint64_t h, auto& txs) {
        if (h == open_end - 2) {
            txs.push_back(sim.claim_tx(challenger, w.task, 1, 0));
            txs.push_back(sim.claim_tx(other, w.task, 1, 1));
        }
        if (h == open_end - 1)
            txs.push_back(challenge_tx(sim, challenger, w.task, 4, pb::DATA_FINAL_STATE));
    });
    REQUIRE(sim.unit(w.task, 1, 0).status() == pb::UNIT_CLAIMED);
    REQUIRE(sim.unit(w.task, 1, 1).status() == pb::UNIT_CLAIMED);
    REQUIRE(sim.unit(w.task, 0, 0).challenges_size() == 1);
    const auto before = accounts_of(w);
    const AccountState other_before = sim.account(other);
    w.drive(open_end, {w.active(0, c, work, plan)});
    const uint64_t bond = w.spec.unit_bond;
    CHECK(sim.unit(w.task, 0, 0).status() == pb::UNIT_OPEN);
    CHECK(ledger_sum(sim.ledger(w.solvers[0]), reasons::kTraceNotOpened) == bond);
    // The challenger's claim is released with its bond, its challenge bond refunded.
    const pb::Unit released = sim.unit(w.task, 1, 0);
    CHECK(released.status() == pb::UNIT_OPEN);
    CHECK(released.resets() == 1);
    CHECK(sim.account(challenger).solver_bond == before.at(challenger).solver_bond + bond);
    CHECK(ledger_sum(sim.ledger(challenger), reasons::kBondRelease) == bond);
    CHECK(ledger_sum(sim.ledger(challenger), reasons::kChallengeRefund) > 0);
    CHECK(count_code(sim.task_ledger(w.task), reasons::kDataDependantReset) == 1);
    // The other claimant keeps its claim and its bond stays in it.
    const pb::Unit kept = sim.unit(w.task, 1, 1);
    CHECK(kept.status() == pb::UNIT_CLAIMED);
    CHECK(detail::to_address(kept.solver()) == other);
    CHECK(kept.bond() == bond);
    CHECK(sim.account(other).solver_bond == other_before.solver_bond);
    CHECK(sim.account(other).balance == other_before.balance);
    sim.check_invariant();
}

TEST_CASE("Answered final state of a final unit: no slash, next round not excused", "[market]") {
    World w;
    Sim& sim = w.sim;
    RoundPlan plan;
    plan.solvers = w.solvers;
    const auto work0 = w.run_round(0, w.start_of(0, {}), plan);
    uint64_t c1 = 0;
    w.claim_and_commit(1, w.start_of(1, work0), plan, &c1);
    const Address challenger = w.verifiers[0];
    sim.block({challenge_tx(sim, challenger, w.task, 4, pb::DATA_FINAL_STATE, 0, 1)});
    sim.block({[&] {
        auto proof = verifier::make_chunk_proof(kernels::state_to_bytes(work0[1].final_state), 0);
        REQUIRE(proof.ok());
        const Hash256 root = blob_root(kernels::state_to_bytes(work0[1].final_state));
        return sim.tx(w.solvers[1], [&](auto& t) {
            auto* r = t.mutable_data_response();
            *r->mutable_unit() = ref(w.task, 0, 1);
            r->set_leaf(4);
            r->set_blob_root(root.data(), 32);
            r->set_blob_size(proof->blob_size);
            r->set_chunks_root(proof->chunks_root.data(), 32);
            r->set_chunk(proof->chunk.data(), proof->chunk.size());
            for (const auto& h : proof->path) r->add_proof(h.data(), 32);
        });
    }()});
    sim.mine_to(w.miner, static_cast<int>(P().da_window));
    CHECK(ledger_sum(sim.ledger(challenger), reasons::kChallengeAnswered) == P().da_bond);
    CHECK(ledger_sum(sim.ledger(w.solvers[1]), reasons::kFinalStateWithheld) == 0);
    CHECK_FALSE(sim.unit(w.task, 1, 0).excused());
}

TEST_CASE("Rejected: a checkpoint challenge that could not expire before finality", "[market]") {
    World w;
    Sim& sim = w.sim;
    RoundPlan plan;
    plan.solvers = w.solvers;
    uint64_t c = 0;
    const auto work = w.claim_and_commit(0, w.start_of(0, {}), plan, &c);
    const uint64_t final_at = unit_windows(c, P()).final_at;
    // The last height whose challenge still expires at final_at is accepted ...
    w.drive(final_at - P().da_window - 1, {w.active(0, c, work, plan)});
    CHECK(sim.reject_code(challenge_tx(sim, w.verifiers[0], w.task, 2)).ok());
    sim.clear_queue();
    // ... one later is not; the final state, owed past finality, still is.
    w.drive(final_at - P().da_window, {w.active(0, c, work, plan)});
    CHECK(sim.reject_code(challenge_tx(sim, w.verifiers[0], w.task, 2)) == codes::kWrongPhase);
    sim.clear_queue();
    CHECK(sim.reject_code(challenge_tx(sim, w.verifiers[0], w.task, 4, pb::DATA_FINAL_STATE)).ok());
    sim.clear_queue();
}

TEST_CASE("Withheld data of a cancelled task's last units in flight closes the task", "[market]") {
    World w;
    Sim& sim = w.sim;
    RoundPlan plan;
    plan.solvers = w.solvers;
    uint64_t c = 0;
    w.claim_and_commit(0, w.start_of(0, {}), plan, &c);
    const uint64_t pay = sim.task(w.task).unit_pay();
    sim.block({sim.tx(w.owner, [&](auto& t) { t.mutable_cancel_task()->set_task_id(w.task.data(), 32); }),
               challenge_tx(sim, w.verifiers[0], w.task, 2, pb::DATA_CHECKPOINT, 0, 0),
               challenge_tx(sim, w.verifiers[1], w.task, 4, pb::DATA_FINAL_STATE, 0, 1)});
    sim.mine_to(w.miner, static_cast<int>(P().da_window));
    CHECK(sim.unit(w.task, 0, 0).status() == pb::UNIT_CANCELLED);
    CHECK(sim.unit(w.task, 0, 1).status() == pb::UNIT_CANCELLED);
    // Both solvers slashed, so the in-flight units' pay is left over and goes back to the owner.
    const pb::Task t = sim.task(w.task);
    CHECK(t.done());
    CHECK(t.escrow() == 0);
    CHECK(ledger_sum(sim.ledger(w.owner), reasons::kTaskRemainder) == w.spec.budget - 2 * pay);
}

}  // namespace step::consensus::market_test
