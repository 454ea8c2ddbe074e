// Partial withholding (docs/market.md "Deviations never pay"): a solver that publishes some
// chunks of a state and answers challenges on the rest one by one must neither earn from it nor
// make an honest auditor or next-round claimant miss its deadline.
#include "kernels/spec.h"
#include "tests/support/status_check.h"
#include "tests/unit/market/scenario.h"
#include "verifier/proofs.h"

namespace step::consensus::market_test {
namespace {

uint64_t state_chunks(const World& w) {
    auto bytes = kernels::state_bytes(w.spec);
    REQUIRE(bytes.ok());
    return blob_chunk_count(*bytes);
}

const Bytes& checkpoint_bytes(const UnitWork& work, uint32_t leaf) {
    for (const auto& cp : work.checkpoints)
        if (cp.leaf == leaf) return cp.bytes;
    FAIL("no checkpoint at leaf " << leaf);
    throw;
}

}  // namespace

TEST_CASE(
    "An answered chunk is public: challenging it again, or a chunk past the state, is refused",
    "[market]") {
    World w;
    Sim& sim = w.sim;
    RoundPlan plan;
    plan.solvers = w.solvers;
    uint64_t c = 0;
    const auto work = w.claim_and_commit(0, w.start_of(0, {}), plan, &c);
    const uint64_t chunks = state_chunks(w);
    REQUIRE(chunks >= 2);  // the test state spans several chunks
    const Address challenger = w.verifiers[2];
    const Bytes& cp = checkpoint_bytes(work[0], 2);
    CHECK(sim.reject_code(data_challenge_tx(sim, challenger, w.task, 0, 0, 2, chunks)) ==
          codes::kBadChunkIndex);
    sim.clear_queue();
    sim.block({data_challenge_tx(sim, challenger, w.task, 0, 0, 2, 1)});
    sim.block({data_response_tx(sim, w.solvers[1], w.task, 0, 0, 2, cp, 1)});
    CHECK(
        sim.kv()
            .get(public_chunk_key(detail::to_hash(sim.unit(w.task, 0, 0).checkpoint_leaves(0)), 1))
            .has_value());
    CHECK(sim.reject_code(data_challenge_tx(sim, challenger, w.task, 0, 0, 2, 1)) == codes::kChunkPublic);
    sim.clear_queue();
    // Another chunk of the same state is still owed.
    sim.block({data_challenge_tx(sim, challenger, w.task, 0, 0, 2, 0)});
    CHECK(sim.unit(w.task, 0, 0).challenges_size() == 1);
    sim.check_invariant();
}

TEST_CASE(
    "A drawn verifier's challenge answered late gives it a whole commit window after the answer",
    "[market]") {
    World w;
    Sim& sim = w.sim;
    RoundPlan plan;
    plan.solvers = w.solvers;
    uint64_t c = 0;
    const auto work = w.claim_and_commit(0, w.start_of(0, {}), plan, &c);
    const UnitWindows base = unit_windows(c, P());
    w.drive(base.commit_end - 1, {});  // assigned; nobody audits yet
    const pb::Unit drawn = sim.unit(w.task, 0, 0);
    REQUIRE(drawn.audits_size() > 0);
    const Address v = detail::to_address(drawn.audits(0).verifier());
    const Address bystander = [&] {
        for (const auto& x : w.verifiers)
            if (x != v) return x;
        return v;
    }();
    // Challenged in the last block of the commit window, answered DA_WINDOW later.
    sim.block(
        {data_challenge_tx(sim, v, w.task, 0, 0, 2, 0), data_challenge_tx(sim, bystander, w.task, 0, 0, 2, 1)});
    REQUIRE(sim.height() == base.commit_end);
    sim.mine_to(w.miner, static_cast<int>(P().da_window) - 1);
    const Bytes& cp = checkpoint_bytes(work[0], 2);
    sim.block({data_response_tx(sim, w.solvers[0], w.task, 0, 0, 2, cp, 0),
               data_response_tx(sim, w.solvers[0], w.task, 0, 0, 2, cp, 1)});
    const uint64_t answered = sim.height();
    const pb::Unit u = sim.unit(w.task, 0, 0);
    // Moved when the challenge landed (before any reveal could), as far as the latest answer needs.
    CHECK(u.window_delay() == answered + P().audit_commit_window - base.commit_end);
    CHECK(u.window_delay() <= P().da_window + P().audit_commit_window);
    // Unit 1's windows did not move; unit 0's verifiers all audit in the moved windows.
    CHECK(sim.unit(w.task, 0, 1).window_delay() == 0);
    const uint64_t final_at = unit_windows(c, P(), u.window_delay()).final_at;
    w.drive(final_at, {w.active(0, c, work, plan)});
    CHECK(sim.unit(w.task, 0, 0).status() == pb::UNIT_FINAL);
    CHECK(ledger_sum(sim.ledger(v), reasons::kAuditMissed) == 0);
    CHECK(ledger_sum(sim.ledger(v), reasons::kAuditFee) > 0);
    CHECK(ledger_sum(sim.ledger(v), reasons::kChallengeAnswered) == P().da_bond);
    CHECK(ledger_sum(sim.ledger(bystander), reasons::kChallengeAnswered) == P().da_bond);
    CHECK(ledger_sum(sim.ledger(w.solvers[0]), reasons::kChallengeAnswered) == 0);
    sim.check_invariant();
}

TEST_CASE("A challenge that landed before the draw moves the windows of the verifier drawn",
          "[market]") {
    World w;
    Sim& sim = w.sim;
    RoundPlan plan;
    plan.solvers = w.solvers;
    uint64_t c = 0;
    w.claim_and_commit(0, w.start_of(0, {}), plan, &c);
    // Every verifier challenges a chunk of its own in the block that draws them.
    std::vector<pb::Transaction> txs;
    for (uint64_t i = 0; i < w.verifiers.size() && i < state_chunks(w); ++i)
        txs.push_back(data_challenge_tx(sim, w.verifiers[i], w.task, 0, 0, 2, i));
    sim.block(txs);
    const uint64_t challenged = sim.height();
    REQUIRE(challenged == unit_windows(c, P()).assign);
    const pb::Unit u = sim.unit(w.task, 0, 0);
    REQUIRE(u.assigned());
    const uint64_t base = unit_windows(c, P()).commit_end;
    CHECK(u.window_delay() == challenged + P().da_window + P().audit_commit_window - base);
}

TEST_CASE("A challenge from a party not drawn, or raised after the commit window, moves nothing",
          "[market]") {
    World w;
    Sim& sim = w.sim;
    RoundPlan plan;
    plan.solvers = w.solvers;
    uint64_t c = 0;
    const auto work = w.claim_and_commit(0, w.start_of(0, {}), plan, &c);
    const UnitWindows base = unit_windows(c, P());
    w.drive(base.commit_end, {w.active(0, c, work, plan)});
    const pb::Unit drawn = sim.unit(w.task, 0, 0);
    REQUIRE(drawn.audits_size() > 0);
    const Address v = detail::to_address(drawn.audits(0).verifier());
    sim.block({data_challenge_tx(sim, v, w.task, 0, 0, 2, 0)});  // one block too late
    sim.block({data_response_tx(sim, w.solvers[0], w.task, 0, 0, 2, checkpoint_bytes(work[0], 2), 0)});
    CHECK(sim.unit(w.task, 0, 0).window_delay() == 0);
}

TEST_CASE("A next-round claimant's challenge answered late gives it a whole CLAIM_TIMEOUT",
          "[market]") {
    World w;
    Sim& sim = w.sim;
    RoundPlan plan;
    plan.solvers = w.solvers;
    const auto work0 = w.run_round(0, w.start_of(0, {}), plan);
    const Address claimant = w.solvers[0];
    sim.block({sim.claim_tx(claimant, w.task, 1, 0)});
    const uint64_t claimed = sim.height();
    const uint64_t timeout = claimed + P().claim_timeout;
    sim.mine_to(w.miner, static_cast<int>(P().claim_timeout) - 2);
    sim.block({data_challenge_tx(sim, claimant, w.task, 0, 1, 4, 0, pb::DATA_FINAL_STATE)});
    REQUIRE(sim.height() == timeout - 1);
    sim.block({data_response_tx(sim, w.solvers[1], w.task, 0, 1, 4,
                      kernels::state_to_bytes(work0[1].final_state), 0)});
    REQUIRE(sim.height() == timeout);
    pb::Unit u = sim.unit(w.task, 1, 0);
    CHECK(u.status() == pb::UNIT_CLAIMED);  // not timed out at the old deadline
    CHECK(u.claim_delay() == P().claim_timeout);
    // Never committed: it times out a whole CLAIM_TIMEOUT after the answer.
    sim.mine_to(w.miner, static_cast<int>(P().claim_timeout) - 1);
    CHECK(sim.unit(w.task, 1, 0).status() == pb::UNIT_CLAIMED);
    sim.mine_to(w.miner, 1);
    CHECK(sim.unit(w.task, 1, 0).status() == pb::UNIT_OPEN);
    CHECK(ledger_sum(sim.ledger(claimant), reasons::kClaimTimeout) == w.spec.unit_bond);
    sim.check_invariant();
}

}  // namespace step::consensus::market_test
