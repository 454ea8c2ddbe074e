#include <catch2/catch.hpp>

#include "common/merkle.h"
#include "consensus/errors.h"
#include "consensus/proto/chain.pb.h"
#include "consensus/state.h"
#include "test_chain.h"
#include "tests/support/status_check.h"

using namespace step;
using namespace step::consensus;
using testing::addr_of;
using testing::seed_of;

namespace {

const Params& P() { return devnet_params(); }
const SecretSeed kAlice = seed_of(1);
const Address kBob = addr_of(2);

// A state where alice holds `balance` (written through the real account encoding).
MemoryKv funded(uint64_t balance, uint64_t nonce = 0) {
    MemoryKv kv;
    AccountState a;
    a.balance = balance;
    a.nonce = nonce;
    kv.apply({{account_key(addr_of(kAlice)), encode_account(a)}});
    return kv;
}

step::Status code_of(const KvRead& kv, const pb::Transaction& tx, const Params& p = P()) {
    return check_transaction_against(kv, tx, p, 10);
}

pb::Transaction resigned(pb::Transaction tx) {
    sign_transaction(tx, kAlice);
    return tx;
}

}  // namespace

TEST_CASE("A valid transfer moves amount, charges the fee and bumps the nonce", "[tx]") {
    MemoryKv kv = funded(10 * kCoin);
    auto tx = testing::transfer_tx(kAlice, kBob, 3 * kCoin, 0, P());
    REQUIRE(check_transaction(tx, P()).ok());
    auto w = apply_transaction(kv, tx, P(), 10);
    REQUIRE(w.ok());
    kv.apply(*w);
    const auto alice = *read_account(kv, addr_of(kAlice));
    CHECK(alice.balance == 7 * kCoin - P().min_fee);
    CHECK(alice.nonce == 1);
    CHECK(read_account(kv, kBob)->balance == 3 * kCoin);
    // Replaying the same transaction now fails on its nonce.
    CHECK(code_of(kv, tx) == codes::kBadNonce);
}

TEST_CASE("A transfer to oneself costs only the fee", "[tx]") {
    MemoryKv kv = funded(kCoin);
    auto tx = testing::transfer_tx(kAlice, addr_of(kAlice), kCoin - P().min_fee, 0, P());
    kv.apply(*apply_transaction(kv, tx, P(), 10));
    CHECK(read_account(kv, addr_of(kAlice))->balance == kCoin - P().min_fee);
}

TEST_CASE("Stateless rejections each have their code", "[tx]") {
    auto good = testing::transfer_tx(kAlice, kBob, 5, 0, P());
    REQUIRE(check_transaction(good, P()).ok());

    auto t = good;
    t.set_chain_id(mainnet_params().chain_id);
    CHECK(check_transaction(resigned(t), P()) == codes::kWrongChainId);

    t = good;
    t.set_sender_pubkey(std::string(31, 'x'));
    CHECK(check_transaction(t, P()) == codes::kBadPubkey);
    t = good;
    t.set_sender_pubkey(std::string("\x01") + std::string(31, '\0'));  // the identity point
    CHECK(check_transaction(t, P()) == codes::kBadPubkey);

    t = good;
    t.set_signature(std::string(63, 'x'));
    CHECK(check_transaction(t, P()) == codes::kBadSignature);

    t = good;
    t.mutable_transfer()->set_amount(6);  // signature no longer covers the bytes
    CHECK(check_transaction(t, P()) == codes::kBadSignature);

    t = good;
    t.set_sender_pubkey(std::string(reinterpret_cast<const char*>(public_key_from_seed(seed_of(9)).data()), 32));
    CHECK(check_transaction(t, P()) == codes::kBadSignature);  // signed by someone else

    t = good;
    t.clear_payload();
    CHECK(check_transaction(resigned(t), P()) == codes::kMissingPayload);

    t = good;
    t.mutable_transfer()->set_to(std::string(19, 'x'));
    CHECK(check_transaction(resigned(t), P()) == codes::kBadRecipient);

    t = good;
    t.mutable_transfer()->set_amount(0);
    CHECK(check_transaction(resigned(t), P()) == codes::kZeroAmount);

    t = good;
    t.set_fee(P().min_fee - 1);
    CHECK(check_transaction(resigned(t), P()) == codes::kFeeTooLow);

    t = good;
    t.set_fee(UINT64_MAX);
    t.mutable_transfer()->set_amount(1);
    CHECK(check_transaction(resigned(t), P()) == codes::kAmountOverflow);

    Params tiny = P();
    tiny.max_tx_bytes = 100;
    CHECK(check_transaction(good, tiny) == codes::kTxTooLarge);
}

TEST_CASE("Bond and unbond need a known role and a non-zero amount", "[tx]") {
    for (bool unbond : {false, true}) {
        auto t = testing::bond_tx(kAlice, pb::BOND_ROLE_UNSPECIFIED, 5, 0, P(), unbond);
        CHECK(check_transaction(t, P()) == codes::kBadRole);
        t = testing::bond_tx(kAlice, static_cast<pb::BondRole>(7), 5, 0, P(), unbond);
        CHECK(check_transaction(t, P()) == codes::kBadRole);
        t = testing::bond_tx(kAlice, pb::BOND_ROLE_SOLVER, 0, 0, P(), unbond);
        CHECK(check_transaction(t, P()) == codes::kZeroAmount);
    }
    auto t = testing::bond_tx(kAlice, pb::BOND_ROLE_VERIFIER, UINT64_MAX, 0, P());
    CHECK(check_transaction(t, P()) == codes::kAmountOverflow);  // fee + amount
}

TEST_CASE("Market payloads with malformed fields are rejected statelessly", "[tx]") {
    using Setter = std::function<void(pb::Transaction&)>;
    const std::vector<std::pair<Setter, ErrorCode>> cases = {
        {[](auto& t) { t.mutable_submit_task()->set_budget(0); }, codes::kZeroAmount},
        {[](auto& t) { t.mutable_cancel_task()->set_task_id(std::string(2, 'x')); }, codes::kBadUnitRef},
        {[](auto& t) { t.mutable_claim_unit()->mutable_unit()->set_round(1); }, codes::kBadUnitRef},
        {[](auto& t) { t.mutable_commit_unit()->set_trace_root(std::string(2, 'r')); }, codes::kBadUnitRef},
        {[](auto& t) { t.mutable_audit_commit()->set_commitment(std::string(2, 'c')); }, codes::kBadUnitRef},
        {[](auto& t) { t.mutable_audit_reveal()->set_salt(std::string(2, 's')); }, codes::kBadUnitRef},
        {[](auto& t) { t.mutable_open_trace()->add_leaves(std::string(2, 'l')); }, codes::kBadUnitRef},
        {[](auto& t) { t.mutable_proof_commit()->set_commitment(std::string(2, 'c')); }, codes::kBadProof},
        {[](auto& t) { t.mutable_fraud_proof()->set_leaf_index(3); }, codes::kBadUnitRef},
        {[](auto& t) { t.mutable_data_challenge()->set_chunk_index(2); }, codes::kBadUnitRef},
        {[](auto& t) { t.mutable_data_response()->set_chunk(std::string(2, 'd')); }, codes::kBadUnitRef},
        // Data kinds: unknown, or fields of another kind.
        {[](auto& t) {
             t.mutable_data_challenge()->mutable_unit()->set_task_id(std::string(32, 't'));
             t.mutable_data_challenge()->set_kind(static_cast<pb::DataKind>(7));
         }, codes::kBadDataKind},
        {[](auto& t) {
             t.mutable_data_challenge()->mutable_unit()->set_task_id(std::string(32, 't'));
             t.mutable_data_challenge()->set_kind(pb::DATA_DATASET);
             t.mutable_data_challenge()->set_leaf(2);
         }, codes::kBadDataKind},
        {[](auto& t) {
             t.mutable_data_challenge()->mutable_unit()->set_task_id(std::string(32, 't'));
             t.mutable_data_challenge()->set_record(2);
         }, codes::kBadDataKind},
        {[](auto& t) {
             t.mutable_data_response()->mutable_unit()->set_task_id(std::string(32, 't'));
             t.mutable_data_response()->set_record_bytes(std::string(2, 'r'));
         }, codes::kBadDataKind},
        {[](auto& t) {
             t.mutable_data_response()->mutable_unit()->set_task_id(std::string(32, 't'));
             t.mutable_data_response()->set_kind(pb::DATA_DATASET);
             t.mutable_data_response()->set_chunk(std::string(2, 'c'));
         }, codes::kBadDataKind},
        {[](auto& t) {
             t.mutable_data_response()->mutable_unit()->set_task_id(std::string(32, 't'));
             t.mutable_data_response()->set_kind(pb::DATA_DATASET);
             t.mutable_data_response()->set_record_bytes(std::string(kChunkBytes + 1, 'r'));
         }, codes::kBadRecordSize},
        {[](auto& t) {
             t.mutable_data_response()->mutable_unit()->set_task_id(std::string(32, 't'));
             t.mutable_data_response()->set_kind(pb::DATA_DATASET);
             for (int i = 0; i < 65; ++i) t.mutable_data_response()->add_proof(std::string(32, 'p'));
         }, codes::kBadRecordProof},
    };
    for (auto& [set, code] : cases) {
        pb::Transaction t = testing::base_tx(0, P().min_fee, P());
        set(t);
        sign_transaction(t, kAlice);
        CHECK(check_transaction(t, P()) == code);
        // It still round-trips through the canonical decoder: the schema knows it.
        CHECK(decode_tx(encode_tx(t)).ok());
    }
}

TEST_CASE("Stateful rejections: nonce, funds, bonds, overflow", "[tx]") {
    MemoryKv kv = funded(10 * kCoin, 5);
    CHECK(code_of(kv, testing::transfer_tx(kAlice, kBob, 1, 4, P())) == codes::kBadNonce);
    CHECK(code_of(kv, testing::transfer_tx(kAlice, kBob, 1, 6, P())) == codes::kBadNonce);
    CHECK(code_of(kv, testing::transfer_tx(kAlice, kBob, 1, 5, P())).ok());
    // Exactly the balance is fine; one more unit is not (the fee counts).
    CHECK(code_of(kv, testing::transfer_tx(kAlice, kBob, 10 * kCoin - P().min_fee, 5, P())).ok());
    CHECK(code_of(kv, testing::transfer_tx(kAlice, kBob, 10 * kCoin - P().min_fee + 1, 5, P())) ==
          codes::kInsufficientFunds);
    CHECK(code_of(kv, testing::bond_tx(kAlice, pb::BOND_ROLE_SOLVER, 10 * kCoin, 5, P())) ==
          codes::kInsufficientFunds);
    CHECK(code_of(kv, testing::bond_tx(kAlice, pb::BOND_ROLE_SOLVER, 1, 5, P(), true)) ==
          codes::kInsufficientBond);
    // Unknown senders have nothing.
    auto stranger = testing::transfer_tx(seed_of(77), kBob, 1, 0, P());
    CHECK(code_of(kv, stranger) == codes::kInsufficientFunds);

    // Credit overflow: bob already holds almost 2^64.
    AccountState rich;
    rich.balance = UINT64_MAX - 5;
    kv.apply({{account_key(kBob), encode_account(rich)}});
    CHECK(code_of(kv, testing::transfer_tx(kAlice, kBob, 6, 5, P())) == codes::kAmountOverflow);
    CHECK(code_of(kv, testing::transfer_tx(kAlice, kBob, 5, 5, P())).ok());
}

TEST_CASE("Bond overflow and exhausted nonces are rejected", "[tx]") {
    MemoryKv kv;
    AccountState a;
    a.balance = 10 * kCoin;
    a.solver_bond = UINT64_MAX - 1;
    kv.apply({{account_key(addr_of(kAlice)), encode_account(a)}});
    CHECK(code_of(kv, testing::bond_tx(kAlice, pb::BOND_ROLE_SOLVER, 2, 0, P())) == codes::kAmountOverflow);
    CHECK(code_of(kv, testing::bond_tx(kAlice, pb::BOND_ROLE_VERIFIER, 2, 0, P())).ok());
    a.nonce = UINT64_MAX;
    kv.apply({{account_key(addr_of(kAlice)), encode_account(a)}});
    CHECK(code_of(kv, testing::transfer_tx(kAlice, kBob, 1, UINT64_MAX, P())) == codes::kBadNonce);
}

TEST_CASE("Bond then unbond creates a locked entry and a release-list entry", "[tx]") {
    MemoryKv kv = funded(100 * kCoin);
    OverlayKv state(kv);
    state.apply(*apply_transaction(state, testing::bond_tx(kAlice, pb::BOND_ROLE_SOLVER, 40 * kCoin, 0, P()), P(), 10));
    state.apply(*apply_transaction(state, testing::bond_tx(kAlice, pb::BOND_ROLE_SOLVER, 15 * kCoin, 1, P(), true), P(), 10));
    state.apply(*apply_transaction(state, testing::bond_tx(kAlice, pb::BOND_ROLE_SOLVER, 5 * kCoin, 2, P(), true), P(), 10));
    const auto a = *read_account(state, addr_of(kAlice));
    CHECK(a.solver_bond == 20 * kCoin);
    CHECK(a.balance == 60 * kCoin - 3 * P().min_fee);
    REQUIRE(a.locked.size() == 1);  // same release height: merged
    CHECK(a.locked[0] == LockedEntry{LockKind::kUnbondingSolver, 20 * kCoin, 10 + P().unbonding_delay});
    auto list = decode_release_list(*state.get(release_key(10 + P().unbonding_delay)));
    REQUIRE(list.ok());
    CHECK(*list == std::vector<Address>{addr_of(kAlice)});
}

TEST_CASE("An account may hold at most MAX_LOCKED_ENTRIES unbondings", "[tx]") {
    Params p = P();
    p.max_locked_entries = 2;
    MemoryKv kv;
    AccountState a;
    a.balance = kCoin;
    a.verifier_bond = 100;
    kv.apply({{account_key(addr_of(kAlice)), encode_account(a)}});
    OverlayKv state(kv);
    for (uint64_t h = 1; h <= 2; ++h)
        state.apply(*apply_transaction(state, testing::bond_tx(kAlice, pb::BOND_ROLE_VERIFIER, 1, h - 1, p, true), p, h));
    auto third = testing::bond_tx(kAlice, pb::BOND_ROLE_VERIFIER, 1, 2, p, true);
    CHECK(check_transaction_against(state, third, p, 3) == codes::kTooManyLocks);
    CHECK(check_transaction_against(state, third, p, 2).ok());  // merges into height 2's entry
}

TEST_CASE("Slashing takes from the bond, then from unbonding entries, latest first", "[tx]") {
    AccountState a;
    a.solver_bond = 10;
    a.verifier_bond = 100;
    a.locked = {{LockKind::kUnbondingSolver, 5, 50},
                {LockKind::kCoinbase, 1000, 60},
                {LockKind::kUnbondingSolver, 7, 70}};
    CHECK(slash_bond(a, BondRole::kSolver, 4) == 4);
    CHECK(a.solver_bond == 6);
    CHECK(slash_bond(a, BondRole::kSolver, 10) == 10);  // 6 from bond, 4 from the h=70 entry
    CHECK(a.solver_bond == 0);
    CHECK(a.locked[2].amount == 3);
    CHECK(slash_bond(a, BondRole::kSolver, 100) == 8);  // what is left: 3 + 5
    REQUIRE(a.locked.size() == 1);
    CHECK(a.locked[0].kind == LockKind::kCoinbase);  // never slashed
    CHECK(a.verifier_bond == 100);                   // other role untouched
}

TEST_CASE("Corrupt account bytes are reported as corrupt-state", "[tx]") {
    MemoryKv kv;
    kv.apply({{account_key(addr_of(kAlice)), Bytes{0xff, 0xff}}});
    CHECK(code_of(kv, testing::transfer_tx(kAlice, kBob, 1, 0, P())) == codes::kCorruptState);
}
