// The seam between the sockets (node/net: Boost.Asio, framing, connection slots) and the protocol
// (node/p2p: handshake, sync, relay, blob fetch, misbehaviour). The protocol sees peers only
// through Transport, so its logic runs over an in-memory transport in unit tests and over TCP
// in stepd.
//
// Threading: the TCP transport calls TransportListener from its I/O thread; a listener must
// not block there (queue the work). Transport methods are thread-safe and never call back
// into the listener synchronously.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "common/status.h"
#include "node/net/endpoint.h"
#include "node/p2p/message_type.h"

namespace step::node::p2p {

using PeerId = uint64_t;  // unique for the life of the process, never reused

struct ConnectionInfo {
    net::Endpoint remote;
    net::Endpoint local;
    bool inbound = false;
};

// Bytes of whole frames (header included) per message type, for getpeerinfo and /metrics.
struct PeerTraffic {
    std::map<MessageType, uint64_t> bytes_sent;
    std::map<MessageType, uint64_t> bytes_received;
};

class Transport {
public:
    virtual ~Transport() = default;
    // Frames and queues one message. A peer whose send queue passes its cap is disconnected
    // (a slow reader cannot make the node hold unbounded memory).
    virtual void send(PeerId peer, MessageType type, std::string payload) = 0;
    // Closes the connection; on_disconnected follows (once).
    virtual void disconnect(PeerId peer) = 0;
    // After verack: the framing then reads every message type up to its own cap. Before it,
    // only allowed_before_handshake types are read. Call it when the peer's verack is accepted:
    // the framing holds every byte after a verack until then (or until disconnect).
    virtual void mark_handshake_done(PeerId peer) = 0;
    // Stops (or resumes) reading from a peer whose received messages wait unprocessed.
    virtual void set_receive_paused(PeerId peer, bool paused) = 0;
    // Bytes queued to a peer and not yet written: the protocol serves no more data while high.
    virtual uint64_t send_queue_bytes(PeerId peer) const = 0;
    // Dials an outbound peer; on_connected or on_connect_failed follows.
    virtual void connect(const net::Endpoint& to) = 0;

    // What the protocol learned about a peer, kept for inbound eviction (net/eviction.h): a
    // measured ping round trip, a block or a transaction from it that was new and valid. The
    // defaults do nothing, so an in-memory transport need not implement them.
    virtual void note_ping(PeerId /*peer*/, std::chrono::microseconds /*rtt*/) {}
    virtual void note_useful_block(PeerId /*peer*/) {}
    virtual void note_useful_tx(PeerId /*peer*/) {}
    // Bytes sent and received per message type; nullopt for an unknown peer (or a transport
    // that does not count).
    virtual std::optional<PeerTraffic> traffic(PeerId /*peer*/) const { return std::nullopt; }
};

class TransportListener {
public:
    virtual ~TransportListener() = default;
    virtual void on_connected(PeerId peer, const ConnectionInfo& info) = 0;
    virtual void on_connect_failed(const net::Endpoint& to, const Status& why) = 0;
    // One whole message whose magic, length cap and checksum were checked by the framing.
    virtual void on_message(PeerId peer, MessageType type, std::string payload) = 0;
    // The framing refused the peer's bytes (bad magic, bad checksum, length over the cap,
    // unknown type, a type before the handshake). The connection is already being closed; the
    // protocol decides the punishment (the one place that does).
    virtual void on_framing_error(PeerId peer, const Status& why) = 0;
    virtual void on_disconnected(PeerId peer) = 0;
};

}  // namespace step::node::p2p
