#include "tests/unit/market/scenario.h"
#include "verifier/proofs.h"

namespace step::consensus::market_test {
namespace {

pb::Transaction challenge_tx(Sim& sim, const Address& who, const Hash256& task, uint32_t leaf) {
    return sim.tx(who, [&](auto& t) {
        *t.mutable_data_challenge()->mutable_unit() = ref(task, 0, 0);
        t.mutable_data_challenge()->set_leaf(leaf);
        t.mutable_data_challenge()->set_chunk_index(0);
    });
}

pb::Transaction response_tx(Sim& sim, const Address& who, const Hash256& task, uint32_t leaf,
                            const Bytes& checkpoint) {
    auto proof = verifier::make_chunk_proof(checkpoint, 0);
    REQUIRE(proof.ok());
    const Hash256 root = blob_root(checkpoint);
    return sim.tx(who, [&](auto& t) {
        auto* r = t.mutable_data_response();
        *r->mutable_unit() = ref(task, 0, 0);
        r->set_leaf(leaf);
        r->set_chunk_index(0);
        r->set_blob_root(root.data(), 32);
        r->set_blob_size(proof->blob_size);
        r->set_chunks_root(proof->chunks_root.data(), 32);
        r->set_chunk(proof->chunk.data(), proof->chunk.size());
        for (const auto& h : proof->path) r->add_proof(h.data(), 32);
    });
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
    CHECK(ledger_sum(sim.ledger(w.solvers[0]), reasons::kChallengeAnswered) == P().da_bond);
    CHECK(sim.unit(w.task, 0, 0).challenges_size() == 0);
    CHECK(sim.reject_code(response_tx(sim, w.solvers[0], w.task, 2, work[0].checkpoints[1].bytes)) ==
          codes::kUnknownChallenge);
    sim.clear_queue();
    w.drive(unit_windows(c, P()).final_at, {w.active(0, c, work, plan)});
    CHECK(sim.unit(w.task, 0, 0).status() == pb::UNIT_FINAL);
}

}  // namespace step::consensus::market_test
