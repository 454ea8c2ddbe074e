// Shared helpers for the consensus tests: deterministic keys, signed transactions, and a small
// chain over the in-memory KV that mines, connects and disconnects blocks.
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "consensus/block.h"
#include "consensus/keys.h"
#include "consensus/kv.h"
#include "consensus/params.h"
#include "consensus/state.h"
#include "consensus/transaction.h"

namespace step::consensus::testing {

inline SecretSeed seed_of(uint8_t n) {
    SecretSeed s{};
    s.fill(n);
    return s;
}

inline Address addr_of(const SecretSeed& s) {
    return address_from_pubkey(public_key_from_seed(s));
}

inline Address addr_of(uint8_t n) { return addr_of(seed_of(n)); }

inline pb::Transaction base_tx(uint64_t nonce, uint64_t fee, const Params& p) {
    pb::Transaction tx;
    tx.set_chain_id(p.chain_id);
    tx.set_nonce(nonce);
    tx.set_fee(fee);
    return tx;
}

inline pb::Transaction transfer_tx(const SecretSeed& from, const Address& to, uint64_t amount,
                                   uint64_t nonce, const Params& p, uint64_t fee = 0) {
    pb::Transaction tx = base_tx(nonce, fee ? fee : p.min_fee, p);
    tx.mutable_transfer()->set_to(to.data(), to.size());
    tx.mutable_transfer()->set_amount(amount);
    sign_transaction(tx, from);
    return tx;
}

inline pb::Transaction bond_tx(const SecretSeed& from, pb::BondRole role, uint64_t amount,
                               uint64_t nonce, const Params& p, bool unbond = false) {
    pb::Transaction tx = base_tx(nonce, p.min_fee, p);
    if (unbond) {
        tx.mutable_unbond()->set_role(role);
        tx.mutable_unbond()->set_amount(amount);
    } else {
        tx.mutable_bond()->set_role(role);
        tx.mutable_bond()->set_amount(amount);
    }
    sign_transaction(tx, from);
    return tx;
}

// Tries nonces until the header meets its target (devnet targets need ~2 tries).
inline void mine(pb::Block& b, const Params& p) {
    for (uint64_t n = 0;; ++n) {
        b.mutable_header()->set_nonce(n);
        if (check_pow(b.header(), p)) return;
    }
}

// A chain over MemoryKv: connect blocks with apply_block, disconnect with their undo data.
class TestChain {
public:
    explicit TestChain(const Params& p) : p_(p) {
        kv_.apply(genesis_state_writes(p));
        tips_.push_back(genesis_tip(p));
    }

    const Params& params() const { return p_; }
    const MemoryKv& kv() const { return kv_; }
    const ChainTip& tip() const { return tips_.back(); }

    // Assembles, mines and connects a block; txs that fail are skipped by assemble_block.
    pb::Block make_block(const std::vector<pb::Transaction>& txs, const Address& miner,
                         uint64_t spacing = 0) {
        const uint64_t ts = tip().timestamp + (spacing ? spacing : p_.block_time_s);
        auto a = assemble_block(kv_, tip(), txs, miner, ts, p_);
        if (!a.ok()) throw std::runtime_error(a.status().to_string());
        mine(a->block, p_);
        return a->block;
    }

    Result<BlockApplied> connect(const pb::Block& b) {
        ApplyContext ctx{b.header().timestamp(), tip()};
        auto r = apply_block(kv_, b, p_, ctx);
        if (r.ok()) {
            kv_.apply(r->writes);
            undo_.push_back(r->undo);
            tips_.push_back(r->tip);
        }
        return r;
    }

    BlockApplied add(const std::vector<pb::Transaction>& txs, const Address& miner,
                     uint64_t spacing = 0) {
        auto r = connect(make_block(txs, miner, spacing));
        if (!r.ok()) throw std::runtime_error(r.status().to_string());
        return *r;
    }

    void disconnect() {
        kv_.apply(undo_.back());
        undo_.pop_back();
        tips_.pop_back();
    }

    AccountState account(const Address& a) const { return *read_account(kv_, a); }

private:
    const Params& p_;
    MemoryKv kv_;
    std::vector<ChainTip> tips_;
    std::vector<KvWrites> undo_;
};

inline std::vector<std::vector<std::string>> read_vector_lines(const std::string& rel) {
    std::ifstream in(std::string(STEP_SOURCE_DIR) + "/" + rel);
    if (!in) throw std::runtime_error("missing vector file " + rel);
    std::vector<std::vector<std::string>> rows;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream ss(line);
        std::vector<std::string> cols;
        for (std::string c; ss >> c;) cols.push_back(c);
        rows.push_back(cols);
    }
    return rows;
}

}  // namespace step::consensus::testing
