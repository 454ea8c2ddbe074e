// What the protocol's jobs (handshake, header sync, block fetch, relay) share: the node, the
// transport, the peers, the clock, and the one path by which a peer is punished. Used only on
// the peer manager's worker thread, so nothing here takes a lock of its own; calls into Node
// are made with no P2P lock held (lock order in node/node.h).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <string>

#include "node/net/discouragement.h"
#include "node/node.h"
#include "node/p2p/codec.h"
#include "node/p2p/peer.h"
#include "node/p2p/transport.h"

namespace step::node::p2p {

struct P2POptions {
    std::string user_agent = "stepd";  // at most kMaxUserAgentBytes
    uint16_t listen_port = 0;          // 0: not listening
    uint64_t services = wire::SERVICE_FULL_BLOCKS;
    uint64_t nonce = 0;  // our version nonce (self-connection detection); 0: random
    uint64_t seed = 0;   // for trickle delays and ping nonces; 0: random
    // Milliseconds on a monotonic clock; injectable so tests step time instead of sleeping.
    std::function<int64_t()> now_ms;
    // A peer that listens (its version's host and listen port) completed its handshake (true)
    // or left (false); the connection manager then does not dial that node. May be empty.
    std::function<void(const net::Endpoint&, bool)> listener_seen;
    // Seconds since the Unix epoch, for discouragement expiry (net::Discouragement).
    std::function<uint64_t()> unix_now;
};

// Totals for /metrics and getnetworkinfo.
struct NetCounters {
    uint64_t headers_received = 0;  // headers newly stored
    uint64_t blocks_received = 0;   // bodies newly stored
    uint64_t txs_received = 0;      // transactions accepted into the mempool
    std::map<std::string, uint64_t, std::less<>> bytes_sent;      // by message type
    std::map<std::string, uint64_t, std::less<>> bytes_received;  // by message type
    std::map<std::string, uint64_t, std::less<>> discouraged;     // peers, by reason code
    // Blobs (blob_fetch.h, blob_serve.h)
    uint64_t blob_chunks_received = 0;  // verified and newly stored
    uint64_t blob_chunks_sent = 0;      // served to peers
    uint64_t blobs_fetched = 0;         // fetches that ended complete
};

class PeerContext {
public:
    PeerContext(Node& node, Transport& transport, net::Discouragement& discouragement,
                P2POptions options);

    Node& node;
    Transport& transport;
    net::Discouragement& discouragement;  // shared with the transport and RPC
    const P2POptions options;
    std::map<PeerId, Peer> peers;
    NetCounters counters;

    int64_t now_ms() const { return options.now_ms(); }
    uint64_t random() { return rng_(); }
    Peer* find(PeerId id);

    template <class M>
    void send(Peer& peer, const M& message) {
        send_payload(peer, message_type_of<M>(), encode_payload(message));
    }
    void send_payload(Peer& peer, MessageType type, std::string payload);

    // A failure the peer caused: when punishment_for says discourage, the peer is disconnected
    // and discouraged with one log line naming it and the reason. True when it was.
    bool misbehaving(Peer& peer, const Status& failure);
    // Ends the connection for `why` (a timeout, another chain, a staller), logged; discourages
    // too when punishment_for says so.
    void drop(Peer& peer, const Status& why);

private:
    std::mt19937_64 rng_;
};

}  // namespace step::node::p2p
