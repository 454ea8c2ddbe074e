// Shared by the mempool tests: deterministic devnet wallets, funded accounts in a MemoryKv and
// signed transfers.
#pragma once

#include <string>

#include "consensus/encoding.h"
#include "consensus/keys.h"
#include "consensus/kv.h"
#include "consensus/params.h"
#include "consensus/state.h"
#include "consensus/transaction.h"

namespace step::node::testing {

namespace cs = step::consensus;

inline const cs::Params& params() { return cs::devnet_params(); }

struct Wallet {
    cs::SecretSeed seed{};
    cs::Address address{};
};

inline Wallet wallet(uint8_t n) {
    Wallet w;
    w.seed.fill(n);
    w.address = cs::address_from_pubkey(cs::public_key_from_seed(w.seed));
    return w;
}

inline void fund(cs::MemoryKv& kv, const Wallet& w, uint64_t balance, uint64_t nonce = 0) {
    cs::AccountState a;
    a.balance = balance;
    a.nonce = nonce;
    kv.apply({{cs::account_key(w.address), cs::encode_account(a)}});
}

inline pb::Transaction transfer(const Wallet& from, const Wallet& to, uint64_t nonce, uint64_t fee,
                                uint64_t amount = 1) {
    pb::Transaction tx;
    tx.set_chain_id(params().chain_id);
    tx.set_nonce(nonce);
    tx.set_fee(fee);
    tx.mutable_transfer()->set_to(std::string(to.address.begin(), to.address.end()));
    tx.mutable_transfer()->set_amount(amount);
    cs::sign_transaction(tx, from.seed);
    return tx;
}

}  // namespace step::node::testing
