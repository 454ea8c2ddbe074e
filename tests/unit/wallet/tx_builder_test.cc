#include <catch2/catch.hpp>

#include "consensus/encoding.h"
#include "consensus/keys.h"
#include "consensus/params.h"
#include "consensus/proto/chain.pb.h"
#include "consensus/transaction.h"
#include "wallet/tx_builder.h"
#include "consensus/errors.h"
#include "wallet/errors.h"
#include "tests/support/status_check.h"

using namespace step;
using namespace step::wallet;

namespace {

Seed test_seed(uint8_t fill) {
    std::array<uint8_t, 32> b{};
    b.fill(fill);
    return Seed(b);
}

pb::Transaction decoded(const SignedTx& tx) {
    auto d = consensus::decode_tx(tx.bytes);
    REQUIRE(d.ok());
    return *d;
}

consensus::PublicKey pub_of(const pb::Transaction& tx) {
    consensus::PublicKey pub{};
    REQUIRE(tx.sender_pubkey().size() == pub.size());
    std::copy(tx.sender_pubkey().begin(), tx.sender_pubkey().end(), pub.begin());
    return pub;
}

}  // namespace

TEST_CASE("identity_from_seed follows RFC 8032 and consensus' address derivation") {
    // RFC 8032 section 7.1, test 1.
    auto seed = parse_seed_hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    REQUIRE(seed.ok());
    KeyIdentity id = identity_from_seed(*seed);
    CHECK(to_hex(id.public_key) ==
          "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    consensus::PublicKey pub{};
    std::copy(id.public_key.begin(), id.public_key.end(), pub.begin());
    CHECK(id.address == consensus::encode_address(consensus::address_from_pubkey(pub)));
    CHECK(id.address.rfind("step1", 0) == 0);
}

TEST_CASE("a transfer is signed for the network's chain id and passes consensus' checks") {
    const auto& params = consensus::devnet_params();
    Seed sender = test_seed(1);
    std::string to = identity_from_seed(test_seed(2)).address;
    TxContext ctx{&params, 7, Amount::from_units(params.min_fee)};
    auto tx = build_transfer(ctx, sender, to, Amount::from_units(1'500'000'000));
    REQUIRE(tx.ok());
    pb::Transaction t = decoded(*tx);
    CHECK(t.chain_id() == params.chain_id);
    CHECK(t.nonce() == 7);
    CHECK(t.fee() == params.min_fee);
    REQUIRE(t.has_transfer());
    CHECK(t.transfer().amount() == 1'500'000'000);
    auto to_addr = consensus::decode_address(to);
    CHECK(t.transfer().to() == std::string(to_addr->begin(), to_addr->end()));
    CHECK(consensus::check_transaction(t, params).ok());
    // The signature verifies with consensus' verifier over consensus' sighash.
    consensus::Signature sig{};
    REQUIRE(t.signature().size() == sig.size());
    std::copy(t.signature().begin(), t.signature().end(), sig.begin());
    Hash256 sighash = consensus::tx_sighash(t);
    CHECK(consensus::ed25519_verify(pub_of(t), sighash, sig));
    CHECK(to_hex(consensus::txid(t)) == tx->txid);
    // The sender is the seed's key.
    CHECK(consensus::encode_address(consensus::tx_sender(t)) == identity_from_seed(sender).address);
}

TEST_CASE("a transaction signed for one network fails on another") {
    TxContext devnet{&consensus::devnet_params(), 0, Amount::from_units(1'000'000)};
    auto tx = build_transfer(devnet, test_seed(1), identity_from_seed(test_seed(2)).address,
                             Amount::from_units(1));
    REQUIRE(tx.ok());
    CHECK(consensus::check_transaction(decoded(*tx), consensus::testnet_params()) ==
          step::consensus::codes::kWrongChainId);
}

TEST_CASE("bond and unbond carry the role and the amount") {
    const auto& params = consensus::devnet_params();
    TxContext ctx{&params, 0, Amount::from_units(params.min_fee)};
    auto bond = build_bond(ctx, test_seed(3), BondRole::kSolver, Amount::from_units(5), false);
    REQUIRE(bond.ok());
    pb::Transaction b = decoded(*bond);
    REQUIRE(b.has_bond());
    CHECK(b.bond().role() == pb::BOND_ROLE_SOLVER);
    CHECK(b.bond().amount() == 5);
    auto unbond = build_bond(ctx, test_seed(3), BondRole::kVerifier, Amount::from_units(9), true);
    REQUIRE(unbond.ok());
    pb::Transaction u = decoded(*unbond);
    REQUIRE(u.has_unbond());
    CHECK(u.unbond().role() == pb::BOND_ROLE_VERIFIER);
    CHECK(u.unbond().amount() == 9);
    CHECK(bond->txid != unbond->txid);
}

TEST_CASE("transactions consensus would reject fail before sending, with its codes") {
    const auto& params = consensus::devnet_params();
    std::string to = identity_from_seed(test_seed(2)).address;
    TxContext low_fee{&params, 0, Amount::from_units(params.min_fee - 1)};
    auto low = build_transfer(low_fee, test_seed(1), to, Amount::from_units(1));
    CHECK(low.status() == step::consensus::codes::kFeeTooLow);
    CHECK(low.status().message() == "fee 0.000000999 STEP is below the minimum 0.000001 STEP");
    TxContext ok_fee{&params, 0, Amount::from_units(params.min_fee)};
    CHECK(build_transfer(ok_fee, test_seed(1), to, Amount()).status() == step::consensus::codes::kZeroAmount);
    CHECK(build_transfer(ok_fee, test_seed(1), "step1notanaddress", Amount::from_units(1))
              .status()
               == step::consensus::codes::kBadAddress);
    CHECK(build_transfer(ok_fee, test_seed(1), "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
                         Amount::from_units(1))
              .status()
               == step::consensus::codes::kBadAddress);
}

TEST_CASE("bond roles parse from their names only") {
    CHECK(*parse_bond_role("solver") == BondRole::kSolver);
    CHECK(*parse_bond_role("verifier") == BondRole::kVerifier);
    CHECK(parse_bond_role("miner").status() == step::wallet::codes::kUsage);
}
