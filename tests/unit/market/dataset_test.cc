// Dataset availability: a DataChallenge names a record of the task's dataset; anyone answers with
// the record and its path to the dataset root; unanswered, the task is cancelled.
#include "tests/unit/market/scenario.h"
#include "tests/support/status_check.h"

namespace step::consensus::market_test {
namespace {

pb::Transaction dataset_challenge_tx(Sim& sim, const Address& who, const Hash256& task,
                                     uint64_t record) {
    return sim.tx(who, [&](auto& t) {
        auto* c = t.mutable_data_challenge();
        c->mutable_unit()->set_task_id(task.data(), 32);
        c->set_kind(pb::DATA_DATASET);
        c->set_record(record);
    });
}

std::vector<Hash256> record_hashes() {
    const auto& ds = fixture();
    std::vector<Hash256> out;
    for (uint64_t i = 0; i < ds.count(); ++i)
        out.push_back(kernels::record_hash(
            ByteSpan(ds.record(i), static_cast<size_t>(ds.format.record_bytes))));
    return out;
}

// Record `index` answered with `bytes` (the true record unless given) and the true path.
pb::Transaction dataset_response_tx(Sim& sim, const Address& who, const Hash256& task,
                                    uint64_t index, std::optional<Bytes> bytes = std::nullopt) {
    const auto& ds = fixture();
    if (!bytes)
        bytes = Bytes(ds.record(index), ds.record(index) + ds.format.record_bytes);
    const auto path = merkle_proof(record_hashes(), static_cast<size_t>(index));
    return sim.tx(who, [&](auto& t) {
        auto* r = t.mutable_data_response();
        r->mutable_unit()->set_task_id(task.data(), 32);
        r->set_kind(pb::DATA_DATASET);
        r->set_record(index);
        r->set_record_bytes(bytes->data(), bytes->size());
        for (const auto& h : path) r->add_proof(h.data(), 32);
    });
}

}  // namespace

TEST_CASE("Withheld dataset: task cancelled, in-flight solvers refunded, rest of escrow burned",
          "[market]") {
    World w;
    Sim& sim = w.sim;
    RoundPlan plan;
    plan.solvers = w.solvers;
    uint64_t c = 0;
    w.claim_and_commit(0, w.start_of(0, {}), plan, &c);
    const pb::Task before = sim.task(w.task);
    REQUIRE(before.escrow() == w.spec.budget);  // no audit fee paid yet
    std::map<Address, AccountState> solvers_before;
    for (const auto& s : w.solvers) solvers_before[s] = sim.account(s);
    const Address challenger = w.verifiers[0];
    sim.block({dataset_challenge_tx(sim, challenger, w.task, 5)});
    REQUIRE(sim.task(w.task).data_challenges_size() == 1);
    const uint64_t burned = sim.totals().burned;
    sim.mine_to(w.miner, static_cast<int>(P().da_window));  // nobody answers
    const pb::Task t = sim.task(w.task);
    CHECK(t.cancelled());
    CHECK(t.done());
    CHECK(t.escrow() == 0);
    CHECK(t.data_challenges_size() == 0);
    for (uint32_t r = 0; r < 2; ++r)
        for (uint32_t k = 0; k < 2; ++k) CHECK(sim.unit(w.task, r, k).status() == pb::UNIT_CANCELLED);
    // Each in-flight solver: unit bond back to its solver bond, exactly unit pay to its balance.
    for (const auto& s : w.solvers) {
        CHECK(sim.account(s).solver_bond == solvers_before[s].solver_bond + w.spec.unit_bond);
        CHECK(sim.account(s).balance == solvers_before[s].balance + before.unit_pay());
        CHECK(ledger_sum(sim.ledger(s), reasons::kDatasetWithheldPay) == before.unit_pay());
        CHECK(ledger_sum(sim.ledger(s), reasons::kBondRelease) == w.spec.unit_bond);
    }
    // The owner's remaining escrow (two unclaimed units' pay) is burned.
    const uint64_t rest = before.escrow() - 2 * before.unit_pay();
    CHECK(ledger_sum(sim.ledger(w.owner), reasons::kDatasetWithheld) == rest);
    CHECK(ledger_sum(sim.ledger(w.owner), reasons::kTaskRemainder) == 0);
    CHECK(sim.totals().burned - burned == rest);
    CHECK(ledger_sum(sim.ledger(challenger), reasons::kChallengeRefund) == P().da_bond);
    // Every assigned verifier of the two units was excused, none slashed, also later on.
    sim.mine_to(w.miner, 12);
    size_t excused = 0;
    uint64_t slashed = 0;
    for (const auto& v : w.verifiers)
        for (const auto& e : sim.ledger(v)) {
            if (e.code() == reasons::kAuditExcused) ++excused;
            if (e.kind() == ledger_kinds::kSlash) slashed += e.amount();
        }
    CHECK(excused == 4);
    CHECK(slashed == 0);
    // A closed task's dataset is no longer owed.
    CHECK(sim.reject_code(dataset_challenge_tx(sim, challenger, w.task, 6)) == codes::kTaskClosed);
    sim.clear_queue();
}

TEST_CASE("Answered dataset record: the challenger's bond returns, the responder earns nothing",
          "[market]") {
    World w;
    Sim& sim = w.sim;
    const Address challenger = w.verifiers[0], server = w.verifiers[1];
    sim.block({dataset_challenge_tx(sim, challenger, w.task, 7)});
    CHECK(sim.reject_code(dataset_challenge_tx(sim, challenger, w.task, 7)) == codes::kDuplicateChallenge);
    sim.clear_queue();
    // Wrong size, wrong record, right record at the wrong index.
    CHECK(sim.reject_code(dataset_response_tx(sim, server, w.task, 7, Bytes(10, 0))) ==
          codes::kBadRecordSize);
    sim.clear_queue();
    const auto& ds = fixture();
    const Bytes other(ds.record(8), ds.record(8) + ds.format.record_bytes);
    CHECK(sim.reject_code(dataset_response_tx(sim, server, w.task, 7, other)) == codes::kBadRecordProof);
    sim.clear_queue();
    CHECK(sim.reject_code(dataset_response_tx(sim, server, w.task, 8)) == codes::kUnknownChallenge);
    sim.clear_queue();
    const uint64_t balance = sim.account(server).balance;
    const uint64_t challenger_balance = sim.account(challenger).balance;
    sim.block({dataset_response_tx(sim, server, w.task, 7)}, w.verifiers[2]);
    CHECK(sim.account(server).balance == balance - P().min_fee);
    CHECK(ledger_sum(sim.ledger(server), reasons::kChallengeAnswered) == 0);
    CHECK(sim.account(challenger).balance == challenger_balance + P().da_bond);
    CHECK(ledger_sum(sim.ledger(challenger), reasons::kChallengeAnswered) == P().da_bond);
    CHECK(sim.task(w.task).data_challenges_size() == 0);
    sim.mine_to(w.verifiers[2], static_cast<int>(P().da_window) + 1);
    CHECK_FALSE(sim.task(w.task).cancelled());
    CHECK(sim.task(w.task).escrow() == w.spec.budget);
    // The round still runs to finality.
    RoundPlan plan;
    plan.solvers = w.solvers;
    w.run_round(0, w.start_of(0, {}), plan);
    CHECK(sim.unit(w.task, 0, 0).status() == pb::UNIT_FINAL);
}

TEST_CASE("Rejected: dataset challenges of unknown tasks or out-of-range records", "[market]") {
    World w;
    Sim& sim = w.sim;
    const Address who = w.verifiers[0];
    const uint64_t count = sim.task(w.task).spec().data_count();
    CHECK(sim.reject_code(dataset_challenge_tx(sim, who, w.task, count)) == codes::kBadRecordIndex);
    sim.clear_queue();
    CHECK(sim.reject_code(dataset_challenge_tx(sim, who, w.task, count - 1)).ok());
    sim.clear_queue();
    Hash256 nowhere{};
    nowhere[0] = 1;
    CHECK(sim.reject_code(dataset_challenge_tx(sim, who, nowhere, 0)) == codes::kUnknownTask);
    sim.clear_queue();
    // A unit's blob kind with a record index, a dataset challenge naming a unit: malformed.
    CHECK(sim.reject_code(sim.tx(who, [&](auto& t) {
              auto* c = t.mutable_data_challenge();
              *c->mutable_unit() = ref(w.task, 1, 0);
              c->set_kind(pb::DATA_DATASET);
          })) == codes::kBadDataKind);
    sim.clear_queue();
    CHECK(sim.reject_code(sim.tx(who, [&](auto& t) {
              auto* c = t.mutable_data_challenge();
              *c->mutable_unit() = ref(w.task, 0, 0);
              c->set_leaf(2);
              c->set_record(3);
          })) == codes::kBadDataKind);
    sim.clear_queue();
}

TEST_CASE("Withheld dataset after CancelTask: in-flight solvers still paid from what is left",
          "[market]") {
    World w;
    Sim& sim = w.sim;
    RoundPlan plan;
    plan.solvers = w.solvers;
    uint64_t c = 0;
    w.claim_and_commit(0, w.start_of(0, {}), plan, &c);
    const uint64_t pay = sim.task(w.task).unit_pay();
    sim.block({dataset_challenge_tx(sim, w.verifiers[0], w.task, 0)});
    sim.block({sim.tx(w.owner, [&](auto& t) { t.mutable_cancel_task()->set_task_id(w.task.data(), 32); })});
    // A cancelled task's dataset can no longer be challenged (the pending challenge stands).
    CHECK(sim.reject_code(dataset_challenge_tx(sim, w.verifiers[0], w.task, 1)) == codes::kTaskClosed);
    sim.clear_queue();
    // The two unclaimed units' pay went back to the owner; the two in flight hold the rest.
    CHECK(ledger_sum(sim.ledger(w.owner), reasons::kCancelRefund) == 2 * pay);
    const uint64_t escrow = sim.task(w.task).escrow();
    CHECK(escrow == w.spec.budget - 2 * pay);
    sim.mine_to(w.miner, static_cast<int>(P().da_window) - 1);
    for (const auto& s : w.solvers) CHECK(ledger_sum(sim.ledger(s), reasons::kDatasetWithheldPay) == pay);
    CHECK(ledger_sum(sim.ledger(w.owner), reasons::kDatasetWithheld) == escrow - 2 * pay);
    CHECK(sim.task(w.task).done());
    CHECK(ledger_sum(sim.ledger(w.owner), reasons::kTaskRemainder) == 0);
}

TEST_CASE("Withheld dataset is undone exactly by disconnecting its blocks", "[market]") {
    World w;
    Sim& sim = w.sim;
    RoundPlan plan;
    plan.solvers = w.solvers;
    uint64_t c = 0;
    w.claim_and_commit(0, w.start_of(0, {}), plan, &c);
    const auto snapshot = sim.kv().data();
    const Hash256 root = sim.chain().tip().state_root;
    auto run = [&] {
        sim.block({dataset_challenge_tx(sim, w.verifiers[0], w.task, 3)});
        sim.mine_to(w.miner, static_cast<int>(P().da_window));
    };
    run();
    REQUIRE(sim.task(w.task).cancelled());
    const auto after = sim.kv().data();
    for (uint64_t i = 0; i <= P().da_window; ++i) sim.chain().disconnect();
    CHECK(sim.kv().data() == snapshot);
    CHECK(sim.chain().tip().state_root == root);
    CHECK_FALSE(sim.task(w.task).cancelled());
    CHECK(sim.unit(w.task, 0, 0).status() == pb::UNIT_COMMITTED);
    sim.check_invariant();
    run();  // the same blocks again (deterministic keys, nonces and times)
    CHECK(sim.kv().data() == after);
}

}  // namespace step::consensus::market_test
