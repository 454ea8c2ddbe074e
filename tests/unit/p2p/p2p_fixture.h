// Shared by the protocol's tests: devnet nodes (real ChainManager, LevelDB in a temp dir) each
// with a PeerManager on a port of an in-memory network, a clock the test steps, and helpers to
// run the network until it settles.
#pragma once

#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>

#include "consensus/block.h"
#include "consensus/keys.h"
#include "consensus/transaction.h"
#include "node/net/discouragement.h"
#include "node/p2p/peer_manager.h"
#include "tests/support/status_check.h"
#include "tests/unit/node/test_node.h"
#include "tests/unit/p2p/memory_network.h"

namespace step::node::p2p::testing {

inline const consensus::Params& params() {
    return consensus::devnet_params();
}

inline consensus::SecretSeed seed_of(uint8_t n) {
    consensus::SecretSeed s{};
    s.fill(n);
    return s;
}
inline consensus::Address address_of(uint8_t n) {
    return consensus::address_from_pubkey(consensus::public_key_from_seed(seed_of(n)));
}

// The clocks every node of a test shares: the chain's (seconds) and the P2P layer's (ms).
struct Clocks {
    uint64_t chain_s = consensus::devnet_params().genesis_timestamp + 1000;
    int64_t p2p_ms = 1'000'000;
};

struct P2PNode {
    P2PNode(MemoryNetwork& net, Clocks& clocks, const std::string& name, uint64_t nonce)
        : dir(node::testing::fresh_temp_dir("step-p2p-test", name)),
          node(dir, &clocks.chain_s),
          port(net.add_port()) {
        P2POptions o;
        o.user_agent = "stepd-test/" + name;
        o.nonce = nonce;
        o.seed = nonce;
        int64_t* ms = &clocks.p2p_ms;
        o.now_ms = [ms] { return *ms; };
        uint64_t* s = &clocks.chain_s;
        o.unix_now = [s] { return *s; };
        pm = std::make_unique<PeerManager>(*node.node, port, discouragement, o, &book);
        port.listener = pm.get();
        node.node->set_tx_accepted_hook([this](const Hash256& txid) { pm->tx_accepted(txid); });
    }
    ~P2PNode() {
        pm.reset();
        node.node.reset();
        node.chain.reset();
        node.db.reset();
        std::filesystem::remove_all(dir);
    }
    std::string dir;
    node::testing::TestNode node;
    Port& port;
    net::Discouragement discouragement;
    AddressBook book;
    std::unique_ptr<PeerManager> pm;
    // The reason 127.0.0.1 (every in-memory peer) was discouraged for, or "".
    std::string discouraged_reason() const {
        auto d = discouragement.find(net::Endpoint{"127.0.0.1", 1}, 0);
        return d ? d->reason : "";
    }
    // Whether 127.0.0.1 was discouraged for `code` (the reason starts with its name).
    bool discouraged_for(const ErrorCode& code) const {
        return discouraged_reason().rfind(std::string(code.name) + ":", 0) == 0;
    }
};

// Runs the network and the managers until nothing moves.
inline void settle(MemoryNetwork& net, std::initializer_list<P2PNode*> nodes,
                   int max_passes = 200000) {
    for (int i = 0; i < max_passes; ++i) {
        bool busy = net.pump() > 0;
        for (P2PNode* n : nodes) busy = n->pm->run_once() || busy;
        if (!busy && net.idle()) return;
    }
    FAIL("the network did not settle");
}

// Steps the P2P clock so the managers publish fresh snapshots, and runs them once.
inline void refresh(MemoryNetwork& net, Clocks& clocks, std::initializer_list<P2PNode*> nodes) {
    clocks.p2p_ms += 200;
    settle(net, nodes);
}

inline std::optional<PeerInfo> info_of(const P2PNode& n, PeerId id) {
    for (const auto& i : n.pm->peer_info())
        if (i.id == id) return i;
    return std::nullopt;
}

// A version message as an honest devnet peer would send it.
inline wire::Version honest_version(uint64_t nonce) {
    wire::Version v;
    v.set_protocol_version(kProtocolVersion);
    v.set_chain_id(params().chain_id);
    v.set_genesis_hash(
        hash_to_field(consensus::header_hash(consensus::genesis_block(params()).header())));
    v.set_nonce(nonce);
    v.set_user_agent("raw-test-peer");
    v.set_best_work(hash_to_field(consensus::U256().to_be()));
    return v;
}

// Connects a raw port to `n` and completes the handshake from the raw side. Returns the raw
// side's id for the node.
inline PeerId handshake_raw(MemoryNetwork& net, Port& raw, P2PNode& n, uint64_t nonce = 777) {
    auto [raw_id, node_id] = net.connect(raw, n.port);
    (void)node_id;
    settle(net, {&n});
    raw.send_message(raw_id, honest_version(nonce));
    settle(net, {&n});
    raw.send_message(raw_id, wire::Verack());
    settle(net, {&n});
    return raw_id;
}

inline pb::Transaction transfer(uint8_t from, uint8_t to, uint64_t nonce, uint64_t amount) {
    pb::Transaction tx;
    tx.set_chain_id(params().chain_id);
    tx.set_nonce(nonce);
    tx.set_fee(params().min_fee);
    const consensus::Address dest = address_of(to);
    tx.mutable_transfer()->set_to(std::string(dest.begin(), dest.end()));
    tx.mutable_transfer()->set_amount(amount);
    consensus::sign_transaction(tx, seed_of(from));
    return tx;
}

}  // namespace step::node::p2p::testing
