// The market agents' decisions (wallet/agent_logic.h) on hand-made unit records: no node.
#include <set>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/rpc_methods.h"
#include "consensus/market.h"
#include "consensus/market_state.h"
#include "kernels/errors.h"
#include "tests/support/status_check.h"
#include "verifier/errors.h"
#include "wallet/agent_logic.h"
#include "wallet/errors.h"

using namespace step::wallet::agent;
using nlohmann::json;

namespace {

const std::string kMe = "step1me";
const std::string kOther = "step1other";

step::Hash256 h(uint8_t b) {
    step::Hash256 x{};
    x.fill(b);
    return x;
}

// A unit committed at height 20 with devnet-like windows.
UnitView committed_unit(const std::string& solver = kMe) {
    UnitView u;
    u.status = UnitStatus::kCommitted;
    u.solver = solver;
    u.commit_height = 20;
    u.windows = step::consensus::UnitWindows{21, 23, 25, 27, 32};
    return u;
}

UnitView with_status(UnitStatus status) {
    UnitView u;
    u.status = status;
    return u;
}

}  // namespace

TEST_CASE("parse_unit reads getunit's commitments, windows and audits") {
    const json j = {
        {"task_id", std::string(64, 'a')},
        {"round", 1},
        {"unit", 0},
        {"status", step::rpc::kUnitCommitted},
        {"solver", kOther},
        {"claim_height", 10},
        {"commit_height", 12},
        {"leaf0", std::string(64, '1')},
        {"final_leaf", std::string(64, '2')},
        {"checkpoint_leaves", json::array({std::string(64, '3'), std::string(64, '2')})},
        {"windows",
         {{"assign", 13},
          {"commit_end", 15},
          {"reveal_end", 17},
          {"open_end", 19},
          {"final_at", 24}}},
        {"audits", json::array({json{{"verifier", kMe},
                                     {"leaves", json::array({1, 3})},
                                     {"committed", true},
                                     {"revealed", false},
                                     {"verdict", step::rpc::kVerdictNone}}})}};
    auto u = parse_unit(j);
    INFO(u.status().message());
    REQUIRE(u.ok());
    CHECK(u->round == 1);
    CHECK(u->status == UnitStatus::kCommitted);
    CHECK(u->solver == kOther);
    CHECK(u->commit_height == 12);
    REQUIRE(u->windows);
    CHECK(u->windows->reveal_end == 17);
    CHECK(u->leaf0 == h(0x11));
    CHECK(u->checkpoint_leaves.size() == 2);
    REQUIRE(u->audit_of(kMe) != nullptr);
    CHECK(u->audit_of(kMe)->leaves == std::vector<uint32_t>{1, 3});
    CHECK(u->audit_of(kMe)->committed);
    CHECK(u->audit_of(kOther) == nullptr);

    // An untouched unit: empty hashes, no windows.
    auto open = parse_unit({{"round", 0},
                            {"unit", 1},
                            {"status", step::rpc::kUnitOpen},
                            {"solver", ""},
                            {"claim_height", 0},
                            {"commit_height", 0},
                            {"leaf0", ""},
                            {"final_leaf", ""},
                            {"checkpoint_leaves", json::array()},
                            {"audits", json::array()}});
    REQUIRE(open.ok());
    CHECK_FALSE(open->windows);
    CHECK(open->final_leaf == step::Hash256{});

    json bad = j;
    bad["leaf0"] = "zz";
    CHECK(parse_unit(bad).status() == step::wallet::codes::kRpcBadResponse);
    bad = j;
    bad.erase("status");
    CHECK(parse_unit(bad).status() == step::wallet::codes::kRpcBadResponse);
}

TEST_CASE("finals_to_recompute names the previous round's final units slashed for withholding") {
    namespace reasons = step::consensus::reasons;
    std::map<std::pair<uint32_t, uint32_t>, UnitView> units;
    for (uint32_t k = 0; k < 3; ++k) units[{0, k}] = with_status(UnitStatus::kFinal);
    units[{1, 0}] = with_status(UnitStatus::kOpen);
    // Nothing withheld: every final state is served by its solver.
    CHECK(finals_to_recompute(1, 3, units).empty());
    units[{0, 1}].settlement_codes = {reasons::kChallengeAnswered, reasons::kFinalStateWithheld};
    CHECK(finals_to_recompute(1, 3, units) == std::vector<uint32_t>{1});
    units[{0, 2}].settlement_codes = {reasons::kFinalStateWithheld};
    CHECK(finals_to_recompute(1, 3, units) == std::vector<uint32_t>{1, 2});
    // Round 0 starts from the initial state; a later round looks at its own predecessor only.
    CHECK(finals_to_recompute(0, 3, units).empty());
    CHECK(finals_to_recompute(2, 3, units).empty());
    // A unit reset for withheld data is trained again by a claimant: nothing to recompute.
    units[{0, 1}].status = UnitStatus::kOpen;
    units[{0, 1}].settlement_codes = {reasons::kDataWithheld};
    CHECK(finals_to_recompute(1, 3, units) == std::vector<uint32_t>{2});
    // A final unit answered in time owes nothing.
    units[{0, 2}].settlement_codes = {reasons::kChallengeAnswered};
    CHECK(finals_to_recompute(1, 3, units).empty());
    // A unit not read is not named.
    units.erase({0, 2});
    CHECK(finals_to_recompute(1, 3, units).empty());
}

TEST_CASE("first_claimable follows the round order and the pipeline depth") {
    RoundsView t{3, 2, 0, 2};
    std::map<std::pair<uint32_t, uint32_t>, UnitView> units;
    for (uint32_t r = 0; r < 3; ++r)
        for (uint32_t k = 0; k < 2; ++k) units[{r, k}] = with_status(UnitStatus::kOpen);
    CHECK(first_claimable(t, units) == std::make_pair(0u, 0u));
    units[{0, 0}] = with_status(UnitStatus::kClaimed);
    CHECK(first_claimable(t, units) == std::make_pair(0u, 1u));
    // Round 1 waits until every unit of round 0 is committed.
    units[{0, 1}] = with_status(UnitStatus::kClaimed);
    CHECK_FALSE(first_claimable(t, units));
    units[{0, 0}] = with_status(UnitStatus::kCommitted);
    CHECK_FALSE(first_claimable(t, units));
    units[{0, 1}] = with_status(UnitStatus::kOpened);
    CHECK(first_claimable(t, units) == std::make_pair(1u, 0u));
    // Round 2 is past the pipeline (finalised 0 + depth 2) even once round 1 is committed.
    units[{1, 0}] = with_status(UnitStatus::kCommitted);
    units[{1, 1}] = with_status(UnitStatus::kCommitted);
    CHECK_FALSE(first_claimable(t, units));
    t.finalised_rounds = 1;
    CHECK(first_claimable(t, units) == std::make_pair(2u, 0u));
    // A unit not read counts as not committed.
    units.erase({1, 1});
    CHECK_FALSE(first_claimable(t, units));
    // Done task: nothing.
    t.finalised_rounds = 3;
    CHECK_FALSE(first_claimable(t, units));
    CHECK(live_rounds(t) == std::make_pair(3u, 3u));
    CHECK(live_rounds(RoundsView{5, 1, 1, 2}) == std::make_pair(1u, 3u));
}

TEST_CASE("open_due is the solver's own committed unit from reveal_end until open_end") {
    UnitView u = committed_unit();
    CHECK_FALSE(open_due(u, kMe, 24));
    CHECK(open_due(u, kMe, 25));
    CHECK(open_due(u, kMe, 26));
    CHECK_FALSE(open_due(u, kMe, 27));  // would land after open_end
    CHECK_FALSE(open_due(u, kOther, 25));
    u.status = UnitStatus::kOpened;
    CHECK_FALSE(open_due(u, kMe, 25));
    UnitView c = with_status(UnitStatus::kClaimed);
    c.solver = kMe;
    CHECK(commit_due(c, kMe));
    CHECK_FALSE(commit_due(c, kOther));
    CHECK_FALSE(commit_due(committed_unit(), kMe));
}

TEST_CASE("audit_due commits from assign until commit_end and reveals from commit_end until reveal_end") {
    UnitView u = committed_unit(kOther);
    CHECK(audit_due(u, kMe, 22) == AuditStep::kNothing);  // not assigned to me
    u.audits.push_back(AuditView{kMe, {1, 3}, false, false, Verdict::kNone});
    CHECK(audit_due(u, kMe, 20) == AuditStep::kNothing);  // before assignment
    CHECK(audit_due(u, kMe, 21) == AuditStep::kCommit);
    CHECK(audit_due(u, kMe, 22) == AuditStep::kCommit);
    CHECK(audit_due(u, kMe, 23) == AuditStep::kNothing);  // commit window over, nothing to reveal
    u.audits[0].committed = true;
    CHECK(audit_due(u, kMe, 22) == AuditStep::kNothing);  // waits for the reveal window
    CHECK(audit_due(u, kMe, 23) == AuditStep::kReveal);
    CHECK(audit_due(u, kMe, 24) == AuditStep::kReveal);
    CHECK(audit_due(u, kMe, 25) == AuditStep::kNothing);
    u.audits[0].revealed = true;
    CHECK(audit_due(u, kMe, 23) == AuditStep::kNothing);
    u.audits[0].revealed = false;
    u.status = UnitStatus::kOpened;
    CHECK(audit_due(u, kMe, 23) == AuditStep::kNothing);
}

TEST_CASE("checkpoint_leaf and audit_digests pick the committed and replayed leaves") {
    UnitView u = committed_unit();
    u.leaf0 = h(0);
    u.checkpoint_leaves = {h(2), h(4)};  // C/L = 2, U/L = 4
    CHECK(checkpoint_leaf(u, 0, 2) == h(0));
    CHECK(checkpoint_leaf(u, 2, 2) == h(2));
    CHECK(checkpoint_leaf(u, 4, 2) == h(4));
    CHECK_FALSE(checkpoint_leaf(u, 6, 2));
    CHECK_FALSE(checkpoint_leaf(u, 3, 2));

    std::map<uint32_t, step::Hash256> replayed = {{1, h(1)}, {2, h(2)}, {3, h(3)}, {4, h(4)}};
    const std::vector<uint32_t> sampled = {4, 1};
    auto d = audit_digests(sampled, 2, replayed);
    REQUIRE(d.ok());
    std::vector<step::Hash256> expected;
    for (uint32_t leaf : step::consensus::audit_digest_leaves(sampled, 2)) expected.push_back(h(static_cast<uint8_t>(leaf)));
    CHECK(*d == expected);
    CHECK(d->size() == 3);  // leaves 3, 4 for sample 4 and leaf 1 for sample 1
    replayed.erase(3);
    CHECK(audit_digests(sampled, 2, replayed).status() == step::wallet::codes::kMissingDigest);
}

TEST_CASE("checkpoint_disproves_trace: a committed checkpoint that is no state of its leaf") {
    using step::Status;
    CHECK(checkpoint_disproves_trace(Status::error(step::verifier::codes::kStartStep, "step 2")));
    CHECK(checkpoint_disproves_trace(Status::error(step::kernels::codes::kBadState, "bytes")));
    CHECK(checkpoint_disproves_trace(Status::error(step::kernels::codes::kStateMismatch, "model")));
    // Served bytes that are not the committed ones: challenge the data, do not disagree.
    CHECK_FALSE(checkpoint_disproves_trace(
        Status::error(step::verifier::codes::kCheckpointMismatch, "not leaf 2")));
    CHECK_FALSE(checkpoint_disproves_trace(
        Status::error(step::verifier::codes::kBadLeafIndex, "sampled leaf 9")));
}

TEST_CASE("responses_due lists the solver's unit blobs challenged and still answerable") {
    const json j = {{"round", 0},
                    {"unit", 0},
                    {"status", step::rpc::kUnitFinal},
                    {"solver", kMe},
                    {"claim_height", 1},
                    {"commit_height", 2},
                    {"leaf0", ""},
                    {"final_leaf", ""},
                    {"data_challenges", json::array({json{{"kind", step::rpc::kDataFinalState},
                                                          {"challenger", kOther},
                                                          {"height", 30},
                                                          {"deadline", 32},
                                                          {"bond", "1"},
                                                          {"leaf", 4},
                                                          {"chunk", 1}},
                                                     json{{"kind", step::rpc::kDataCheckpoint},
                                                          {"challenger", kOther},
                                                          {"height", 29},
                                                          {"deadline", 31},
                                                          {"bond", "1"},
                                                          {"leaf", 2},
                                                          {"chunk", 0}}})}};
    auto u = parse_unit(j);
    REQUIRE(u.ok());
    REQUIRE(u->challenges.size() == 2);
    CHECK(u->challenges[0].kind == DataKind::kFinalState);
    CHECK(u->challenges[0].leaf == 4);
    CHECK(u->challenges[0].chunk == 1);
    CHECK(u->challenges[0].deadline == 32);
    CHECK(responses_due(*u, kMe, 30).size() == 2);
    // The checkpoint's response would land after its deadline at 31: only the final state is due.
    auto due = responses_due(*u, kMe, 31);
    REQUIRE(due.size() == 1);
    CHECK(due[0].kind == DataKind::kFinalState);
    CHECK(responses_due(*u, kMe, 32).empty());
    CHECK(responses_due(*u, kOther, 30).empty());  // not our unit: not ours to answer
    // A dataset challenge is the task owner's, never the solver's.
    UnitView d = *u;
    d.challenges = {ChallengeView{DataKind::kDataset, 0, 0, 30, 32}};
    CHECK(responses_due(d, kMe, 30).empty());
}

TEST_CASE("proof_due: an opened unit whose trace our revealed audit disagreed with") {
    UnitView u = committed_unit(kOther);
    u.audits.push_back(AuditView{kMe, {1}, true, true, Verdict::kDisagreed});
    CHECK_FALSE(proof_due(u, kMe));  // not opened yet: there is no trace to prove against
    u.status = UnitStatus::kOpened;
    CHECK_FALSE(proof_due(u, kMe));  // opened, but the leaves were not read
    u.leaves = {h(0), h(1)};
    CHECK(proof_due(u, kMe));
    CHECK_FALSE(proof_due(u, kOther));
    u.audits[0].verdict = Verdict::kAgreed;
    CHECK_FALSE(proof_due(u, kMe));
    u.audits[0].verdict = Verdict::kDisagreed;
    u.status = UnitStatus::kFinal;
    CHECK_FALSE(proof_due(u, kMe));  // too late: proofs are taken while opened
    // parse_unit reads the opened leaves.
    auto p = parse_unit({{"round", 0},
                         {"unit", 0},
                         {"status", step::rpc::kUnitOpened},
                         {"solver", kOther},
                         {"claim_height", 1},
                         {"commit_height", 2},
                         {"leaf0", ""},
                         {"final_leaf", ""},
                         {"leaves", json::array({std::string(64, 'a'), std::string(64, 'b')})}});
    REQUIRE(p.ok());
    REQUIRE(p->leaves.size() == 2);
    CHECK(p->leaves[1] == h(0xbb));
}

TEST_CASE("parse_unit reads every status the node names and no others; names read back") {
    auto with = [](const std::string& status) {
        return parse_unit({{"round", 0}, {"unit", 0}, {"status", status}, {"solver", ""},
                           {"claim_height", 0}, {"commit_height", 0}, {"leaf0", ""},
                           {"final_leaf", ""}});
    };
    for (auto s : {UnitStatus::kOpen, UnitStatus::kClaimed, UnitStatus::kCommitted,
                   UnitStatus::kOpened, UnitStatus::kFinal, UnitStatus::kCancelled}) {
        auto u = with(std::string(unit_status_name(s)));
        REQUIRE(u.ok());
        CHECK(u->status == s);
    }
    auto later = with("retired");  // a status a newer node might name
    REQUIRE(later.ok());
    CHECK(later->status == UnitStatus::kUnknown);
    CHECK_FALSE(commit_due(*later, ""));
    CHECK(unit_status_name(UnitStatus::kUnknown) == step::rpc::kUnknownName);
    CHECK(verdict_name(Verdict::kDisagreed) == step::rpc::kVerdictDisagreed);
    CHECK(data_kind_name(DataKind::kFinalState) == step::rpc::kDataFinalState);
}

TEST_CASE("segments_of names the checkpoint segments that hold sampled leaves") {
    CHECK(segments_of({1, 2, 3, 8}, 2) == std::vector<uint32_t>{0, 1, 3});
    CHECK(segments_of({0, 4}, 4) == std::vector<uint32_t>{0});  // leaf 0 is no segment's
    CHECK(segments_of({5}, 0).empty());
}

TEST_CASE("next_replay takes a disagreed unit's audited segments first, then its others, then random ones") {
    WatchedUnit plain{4, false, {}, {}};
    WatchedUnit disputed{3, true, {2}, {}};
    std::vector<WatchedUnit> units = {plain, disputed};
    auto pick = next_replay(units, 0);
    REQUIRE(pick);
    CHECK(pick->unit == 1);
    CHECK(pick->segment == 2);
    units[1].replayed.insert(2);
    pick = next_replay(units, 0);
    REQUIRE(pick);
    CHECK(pick->unit == 1);
    CHECK(pick->segment == 0);
    units[1].replayed = {0, 1, 2};
    // Every draw lands on one of the plain unit's 4 segments, and each draw value maps to one.
    std::set<uint32_t> seen;
    for (uint64_t draw = 0; draw < 8; ++draw) {
        pick = next_replay(units, draw);
        REQUIRE(pick);
        CHECK(pick->unit == 0);
        seen.insert(pick->segment);
    }
    CHECK(seen == std::set<uint32_t>{0, 1, 2, 3});
    units[0].replayed = {0, 2, 3};
    pick = next_replay(units, 12345);
    REQUIRE(pick);
    CHECK(pick->segment == 1);
    units[0].replayed.insert(1);
    CHECK_FALSE(next_replay(units, 7));
    CHECK_FALSE(next_replay({}, 7));
}

TEST_CASE("ReplayBudget pays replay time with a share of wall time, saved up to a cap") {
    ReplayBudget b(0.25, 10.0);
    CHECK_FALSE(b.allows());  // nothing earned yet
    b.elapse(2.0);
    CHECK(b.allows());
    CHECK(b.credit() == Approx(0.5));
    b.spend(1.5);  // a replay may overdraw; the debt is paid before the next
    CHECK_FALSE(b.allows());
    b.elapse(4.0);
    CHECK_FALSE(b.allows());  // credit back to 0 exactly
    b.elapse(1.0);
    CHECK(b.allows());
    b.elapse(1000.0);
    CHECK(b.credit() == Approx(10.0));
    b.elapse(-5.0);  // a clock that steps back earns nothing
    CHECK(b.credit() == Approx(10.0));
}

TEST_CASE("whistle_due: commit while the reveal still fits; after the disagreeing verifier's turn") {
    UnitView u = committed_unit(kOther);  // windows {21, 23, 25, 27, 32}
    CHECK(whistle_due(u, 26, 2) == WhistleStep::kTooLate);  // not opened
    u.status = UnitStatus::kOpened;
    CHECK(whistle_due(u, 26, 2) == WhistleStep::kCommit);
    CHECK(whistle_due(u, 30, 2) == WhistleStep::kCommit);  // commit at 31, reveal at 32 = final_at
    CHECK(whistle_due(u, 31, 2) == WhistleStep::kTooLate);
    u.audits.push_back(AuditView{kMe, {3}, true, true, Verdict::kAgreed});
    CHECK(whistle_due(u, 26, 2) == WhistleStep::kCommit);
    u.audits.push_back(AuditView{kOther, {1}, true, true, Verdict::kDisagreed});
    CHECK(whistle_due(u, 26, 2) == WhistleStep::kWait);
    CHECK(whistle_due(u, 28, 2) == WhistleStep::kWait);
    CHECK(whistle_due(u, 29, 2) == WhistleStep::kCommit);  // open_end 27 + 2
    u.windows.reset();
    CHECK(whistle_due(u, 29, 2) == WhistleStep::kTooLate);
}

TEST_CASE("challenge_due: after the grace, while consensus takes it, never over a pending one") {
    UnitView u = committed_unit(kOther);  // final_at 32
    // Failed first at 22: not before 23 with one block of grace.
    CHECK_FALSE(challenge_due(u, DataKind::kCheckpoint, 2, 0, 22, 22, 2, 1));
    CHECK(challenge_due(u, DataKind::kCheckpoint, 2, 0, 22, 23, 2, 1));
    CHECK(challenge_due(u, DataKind::kCheckpoint, 2, 0, 22, 29, 2, 1));  // lands 30, expires 32
    CHECK_FALSE(challenge_due(u, DataKind::kCheckpoint, 2, 0, 22, 30, 2, 1));
    u.challenges.push_back(ChallengeView{DataKind::kCheckpoint, 2, 0, 23, 25});
    CHECK_FALSE(challenge_due(u, DataKind::kCheckpoint, 2, 0, 22, 24, 2, 1));
    CHECK(challenge_due(u, DataKind::kCheckpoint, 2, 1, 22, 24, 2, 1));  // another chunk
    u.challenges.clear();
    u.status = UnitStatus::kFinal;
    CHECK_FALSE(challenge_due(u, DataKind::kCheckpoint, 2, 0, 22, 24, 2, 1));
    CHECK(challenge_due(u, DataKind::kFinalState, 4, 0, 40, 41, 2, 1));  // owed to the next round
    u.status = UnitStatus::kOpen;
    CHECK_FALSE(challenge_due(u, DataKind::kFinalState, 4, 0, 40, 41, 2, 1));
    CHECK_FALSE(challenge_due(u, DataKind::kDataset, 0, 0, 40, 41, 2, 1));
}

TEST_CASE("chunks_to_challenge: every chunk while the node holds none, then only those it lacks") {
    using V = std::vector<uint64_t>;
    // Nothing held: the whole state at once, so every answer comes in one DA_WINDOW.
    CHECK(chunks_to_challenge(3, std::nullopt) == V{0, 1, 2});
    CHECK(chunks_to_challenge(0, std::nullopt).empty());
    // Chunk 0 published (or answered): the rest only.
    CHECK(chunks_to_challenge(3, V{1, 2}) == V{1, 2});
    // Held whole: nothing.
    CHECK(chunks_to_challenge(3, V{}).empty());
    // What a node says is bounded by the state's size and said once per chunk, in order.
    CHECK(chunks_to_challenge(3, V{7, 2, 2, 0}) == V{0, 2});
}

TEST_CASE("a unit is claimed only when its training fits twice over in CLAIM_TIMEOUT - 1 blocks") {
    // Devnet: CLAIM_TIMEOUT 6 blocks of 2 s leave 5 blocks, 10 s: at most 5 s of training.
    CHECK(claim_fits(500, 100.0, 2.0, 6));  // 5 s: exactly half
    CHECK_FALSE(claim_fits(501, 100.0, 2.0, 6));
    CHECK(claim_fits(8, 100.0, 0.4, 6));  // blocks every 0.4 s: 2 s, 80 ms of training
    CHECK_FALSE(claim_fits(200, 100.0, 0.4, 6));
    // Mainnet-like: 48 blocks of 60 s leave 47 minutes, so up to 23.5 minutes of training.
    CHECK(claim_fits(1'410 * 1'000, 1'000.0, 60.0, 48));
    CHECK_FALSE(claim_fits(1'411 * 1'000, 1'000.0, 60.0, 48));
    // The rate is not measured yet, or the timeout leaves no block to train in.
    CHECK_FALSE(claim_fits(1, 0.0, 2.0, 6));
    CHECK_FALSE(claim_fits(1, -1.0, 2.0, 6));
    CHECK_FALSE(claim_fits(1, 1e9, 2.0, 1));
    CHECK_FALSE(claim_fits(1, 1e9, 2.0, 0));
}

TEST_CASE("the block pace is what the agent saw, capped at the chain's BLOCK_TIME") {
    BlockPace pace;
    CHECK_FALSE(pace.observed().has_value());
    CHECK(pace.expected(2) == 2.0);
    pace.observe(10, 100.0);  // the tip at start: it came at an unknown time
    pace.observe(11, 100.1);  // so this block may have taken far longer than 0.1 s
    CHECK_FALSE(pace.observed().has_value());  // one block seen arriving is no pace
    pace.observe(11, 100.3);                   // the same tip again: ignored
    pace.observe(12, 100.5);
    pace.observe(15, 101.7);  // three blocks between two polls
    REQUIRE(pace.observed().has_value());
    CHECK(*pace.observed() == Approx(0.4));
    CHECK(pace.expected(2) == Approx(0.4));  // faster than planned: plan with what is seen
    CHECK(pace.expected(0) == 0.0);
    // Slower than BLOCK_TIME (a paused miner): BLOCK_TIME, which leaves less time.
    BlockPace slow;
    slow.observe(0, -5.0);
    slow.observe(1, 0.0);
    slow.observe(2, 30.0);
    CHECK(slow.expected(2) == 2.0);
    // A reorg or an older tip does not count; the window keeps the last kPaceSamples tips.
    slow.observe(1, 31.0);
    CHECK(*slow.observed() == Approx(30.0));
    BlockPace window;
    for (uint64_t h = 0; h < 40; ++h) window.observe(h, h < 20 ? 10.0 * h : 190.0 + (h - 19.0));
    CHECK(*window.observed() == Approx(1.0));
}
