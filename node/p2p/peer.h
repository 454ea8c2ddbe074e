// One connected peer as the protocol sees it. Owned by the peer manager's worker thread: only
// that thread reads or writes a Peer (RPC reads the PeerInfo snapshots it publishes).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>

#include "consensus/uint256.h"
#include "node/p2p/address_book.h"
#include "node/p2p/known_inventory.h"
#include "node/p2p/transport.h"

namespace step::node::p2p {

// What the peer said about itself in its version message.
struct PeerVersion {
    uint32_t protocol_version = 0;
    uint64_t services = 0;
    std::string user_agent;
    uint64_t start_height = 0;
    consensus::U256 start_work;
    uint16_t listen_port = 0;
    uint64_t nonce = 0;  // the same nonce on two connections: one node connected twice
};

struct Peer {
    PeerId id = 0;
    ConnectionInfo conn;
    int64_t connected_ms = 0;
    bool gone = false;  // disconnect asked; on_disconnected not processed yet

    // Handshake (handshake.cc)
    bool version_sent = false;
    std::optional<PeerVersion> version;
    bool verack_received = false;
    bool handshake_done = false;

    // Liveness (handshake.cc)
    int64_t last_receive_ms = 0;
    int64_t next_ping_ms = 0;
    std::optional<uint64_t> ping_nonce;  // a ping awaiting its pong
    int64_t ping_sent_ms = 0;
    std::optional<int64_t> ping_ms;  // last round-trip time
    std::optional<int64_t> min_ping_ms;

    // Header sync (header_sync.cc)
    std::optional<Hash256> best_known;  // the most-work header the peer is known to have
    uint64_t best_known_height = 0;
    uint32_t non_connecting = 0;       // headers messages in a row that did not connect
    uint64_t side_headers = 0;         // side-branch headers it sent (stored or refused)
    uint64_t best_headers = 0;         // headers it sent that raised our best header chain
    bool wants_headers = false;        // it sent sendheaders
    std::optional<Hash256> announced;  // our tip as last announced to it

    // Block download (block_fetch.cc)
    uint32_t unrequested_blocks = 0;
    uint64_t blocks_received = 0;  // useful blocks: requested, new and stored

    // Relay (tx_relay.cc)
    KnownInventory known;
    std::deque<Hash256> tx_announce_queue;
    int64_t next_trickle_ms = 0;
    std::unordered_map<Hash256, int64_t, Hash256Hasher> txs_requested;  // txid -> asked at (ms)
    uint64_t txs_received = 0;                                          // accepted into the mempool

    // Address gossip (addr_relay.cc)
    std::optional<AddrTokenBucket> addr_tokens;
    bool getaddr_answered = false;
    uint64_t addr_dropped = 0;              // gossiped addresses past its tokens
    std::deque<KnownAddress> addr_forward;  // addresses to forward to it, oldest first
    int64_t next_addr_forward_ms = 0;

    // Accounting and misbehaviour
    std::map<std::string, uint64_t, std::less<>> bytes_sent;      // by message type name
    std::map<std::string, uint64_t, std::less<>> bytes_received;  // by message type name
    std::string misbehavior;  // "code: message" of what ended it, when it misbehaved
};

}  // namespace step::node::p2p
