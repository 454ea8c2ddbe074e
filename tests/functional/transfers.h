// Shared by the functional tests: deterministic devnet keys, their addresses, and signed
// transfers as the hex that sendtransaction takes.
#pragma once

#include <string>

#include "common/bytes.h"
#include "consensus/encoding.h"
#include "consensus/keys.h"
#include "consensus/params.h"
#include "consensus/proto/chain.pb.h"
#include "consensus/transaction.h"

namespace step::test {

inline consensus::SecretSeed seed_of(uint8_t n) {
    consensus::SecretSeed s{};
    s.fill(n);
    return s;
}

inline std::string address(uint8_t n) {
    namespace cs = step::consensus;
    return cs::encode_address(cs::address_from_pubkey(cs::public_key_from_seed(seed_of(n))));
}

inline std::string transfer_hex(uint8_t from, uint8_t to, uint64_t nonce, uint64_t amount) {
    namespace cs = step::consensus;
    const auto& p = cs::devnet_params();
    pb::Transaction tx;
    tx.set_chain_id(p.chain_id);
    tx.set_nonce(nonce);
    tx.set_fee(p.min_fee);
    const cs::Address dest = cs::address_from_pubkey(cs::public_key_from_seed(seed_of(to)));
    tx.mutable_transfer()->set_to(std::string(dest.begin(), dest.end()));
    tx.mutable_transfer()->set_amount(amount);
    cs::sign_transaction(tx, seed_of(from));
    return to_hex(cs::encode_tx(tx));
}

}  // namespace step::test
