// The state key layouts: their bytes are consensus (state roots commit to them), so each kind's
// bytes are pinned here as hex written out by hand, and every parser reads back what its builder
// wrote and refuses every other key.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "consensus/state_keys.h"

using namespace step;
using namespace step::consensus;

namespace {

Hash256 hash_of(uint8_t b) {
    Hash256 h;
    h.fill(b);
    return h;
}
Address address_of(uint8_t b) {
    Address a;
    a.fill(b);
    return a;
}
std::string rep(const char* byte_hex, size_t n) {
    std::string s;
    for (size_t i = 0; i < n; ++i) s += byte_hex;
    return s;
}

const Hash256 kTask = hash_of(0x11);
const Address kAddr = address_of(0x22);
const Bytes kUnit = unit_key(kTask, 0x01020304, 0x0a0b0c0d);

// One built key of every kind.
struct Sample {
    StateKeyKind kind;
    Bytes key;
    std::string hex;
};
std::vector<Sample> samples() {
    const std::string task = rep("11", 32), addr = rep("22", 20);
    const std::string unit = "55" + task + "01020304" + "0a0b0c0d";
    return {
        {StateKeyKind::kAccount, account_key(kAddr), "61" + addr},
        {StateKeyKind::kTotals, totals_key(), "74"},
        {StateKeyKind::kRelease, release_key(0x0102030405060708), "720102030405060708"},
        {StateKeyKind::kTask, task_key(kTask), "54" + task},
        {StateKeyKind::kUnit, kUnit, unit},
        {StateKeyKind::kDeadline, deadline_key(300), "44000000000000012c"},
        {StateKeyKind::kVerifierIndex, verifier_index_key(), "56"},
        {StateKeyKind::kAccountLedger, account_ledger_key(kAddr), "4c" + addr},
        {StateKeyKind::kTaskLedger, task_ledger_key(kTask), "4d" + task},
        {StateKeyKind::kProofCommit, proof_commit_key(hash_of(0x33)), "50" + rep("33", 32)},
        {StateKeyKind::kChallenge, challenge_key(kUnit, 7, 9),
         "43" + unit + "00000007" + "0000000000000009"},
        {StateKeyKind::kRecordChallenge, record_challenge_key(kTask, 5),
         "52" + task + "0000000000000005"},
        {StateKeyKind::kAward, award_key(kUnit), "57" + unit},
        {StateKeyKind::kPublicChunk, public_chunk_key(kTask, 3), "4b" + task + "0000000000000003"},
        {StateKeyKind::kBlockFlops, block_flops_key(), "46"},
        {StateKeyKind::kTreeNode, state_tree_node_key(256, hash_of(0x44)),
         "6e0100" + rep("44", 32)},
    };
}

}  // namespace

TEST_CASE("Every state key kind has the bytes the protocol fixes", "[state-keys]") {
    for (const auto& s : samples()) {
        INFO("kind " << static_cast<char>(s.kind));
        CHECK(to_hex(s.key) == s.hex);
        CHECK(s.key.size() == state_key_size(s.kind));
        CHECK(state_key_kind(s.key) == s.kind);
        CHECK(state_key_prefix(s.kind) == Bytes{s.key[0]});
        CHECK(is_state_key(s.key) == (s.kind != StateKeyKind::kTreeNode));
    }
}

TEST_CASE("A key one byte short or long, or under an unknown prefix, has no kind", "[state-keys]") {
    for (const auto& s : samples()) {
        INFO("kind " << static_cast<char>(s.kind));
        Bytes longer = s.key;
        longer.push_back(0);
        CHECK_FALSE(state_key_kind(longer));
        CHECK_FALSE(is_state_key(longer));
        if (s.key.size() > 1) {
            const Bytes shorter(s.key.begin(), s.key.end() - 1);
            CHECK_FALSE(state_key_kind(shorter));
        }
    }
    CHECK_FALSE(state_key_kind(Bytes{}));
    CHECK_FALSE(state_key_kind(Bytes{'z'}));
    CHECK_FALSE(is_state_key(Bytes{'s'}));
}

TEST_CASE("Each parser reads back what its builder wrote", "[state-keys]") {
    CHECK(parse_account_key(account_key(kAddr)) == kAddr);
    CHECK(parse_release_key(release_key(77)) == 77u);
    CHECK(parse_task_key(task_key(kTask)) == kTask);
    CHECK(parse_unit_key(kUnit) == UnitKey{kTask, 0x01020304, 0x0a0b0c0d});
    CHECK(parse_deadline_key(deadline_key(UINT64_MAX)) == UINT64_MAX);
    CHECK(parse_account_ledger_key(account_ledger_key(kAddr)) == kAddr);
    CHECK(parse_task_ledger_key(task_ledger_key(kTask)) == kTask);
    CHECK(parse_proof_commit_key(proof_commit_key(hash_of(9))) == hash_of(9));
    CHECK(parse_challenge_key(challenge_key(kUnit, 7, 1ull << 40)) ==
          ChallengeKey{UnitKey{kTask, 0x01020304, 0x0a0b0c0d}, 7, 1ull << 40});
    CHECK(parse_record_challenge_key(record_challenge_key(kTask, 12)) ==
          RecordChallengeKey{kTask, 12});
    CHECK(parse_award_key(award_key(kUnit)) == UnitKey{kTask, 0x01020304, 0x0a0b0c0d});
    CHECK(parse_state_tree_node_key(state_tree_node_key(3, hash_of(0x80))) ==
          TreeNodeKey{3, hash_of(0x80)});
}

TEST_CASE("Each parser refuses a key of another kind", "[state-keys]") {
    for (const auto& s : samples()) {
        INFO("kind " << static_cast<char>(s.kind));
        using K = StateKeyKind;
        CHECK(parse_account_key(s.key).has_value() == (s.kind == K::kAccount));
        CHECK(parse_release_key(s.key).has_value() == (s.kind == K::kRelease));
        CHECK(parse_task_key(s.key).has_value() == (s.kind == K::kTask));
        CHECK(parse_unit_key(s.key).has_value() == (s.kind == K::kUnit));
        CHECK(parse_deadline_key(s.key).has_value() == (s.kind == K::kDeadline));
        CHECK(parse_account_ledger_key(s.key).has_value() == (s.kind == K::kAccountLedger));
        CHECK(parse_task_ledger_key(s.key).has_value() == (s.kind == K::kTaskLedger));
        CHECK(parse_proof_commit_key(s.key).has_value() == (s.kind == K::kProofCommit));
        CHECK(parse_challenge_key(s.key).has_value() == (s.kind == K::kChallenge));
        CHECK(parse_record_challenge_key(s.key).has_value() == (s.kind == K::kRecordChallenge));
        CHECK(parse_award_key(s.key).has_value() == (s.kind == K::kAward));
        CHECK(parse_state_tree_node_key(s.key).has_value() == (s.kind == K::kTreeNode));
    }
}

TEST_CASE("Keys that embed a unit key need a unit key there", "[state-keys]") {
    // A 41-byte key under another prefix has a unit key's length but not its kind.
    const Bytes not_unit = record_challenge_key(kTask, 5);
    REQUIRE(not_unit.size() == kUnit.size());
    CHECK_FALSE(parse_award_key(award_key(not_unit)));
    CHECK_FALSE(parse_challenge_key(challenge_key(not_unit, 1, 2)));
}

TEST_CASE("A tree node deeper than a full path is not a tree node key", "[state-keys]") {
    CHECK(parse_state_tree_node_key(state_tree_node_key(256, Hash256{})));
    CHECK_FALSE(parse_state_tree_node_key(state_tree_node_key(257, Hash256{})));
}
