// p2p::Transport over TCP with Boost.Asio (kept out of this header): one I/O thread accepts,
// dials, reads frames through net::FrameDecoder and writes each peer's send queue.
//
// Threading: every TransportListener call is made on the I/O thread, one at a time, with no
// lock of this class held, so a listener may call any method of this class from inside it
// (the call takes effect after the listener returns; nothing calls back synchronously). Every
// public method is thread-safe. stop() (or the destructor) closes every connection, calling
// on_disconnected for each, and joins the I/O thread; call it before the listener goes away.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "common/status.h"
#include "node/net/endpoint.h"
#include "node/net/framing.h"
#include "node/p2p/limits.h"
#include "node/p2p/transport.h"

namespace step::node::net {

struct TcpTransportOptions {
    Magic magic{};                   // consensus::Params::p2p_magic
    std::optional<Endpoint> listen;  // nullopt: --no-listen (outbound only)
    uint32_t max_inbound = 0;        // split_connection_slots(--max-connections, ...)
    uint32_t max_outbound = 0;       // connect() beyond this fails with kNoConnectionSlot
    bool loopback_only = false;      // consensus::Params::p2p_dial_loopback_only (check_dial)
    uint64_t max_send_queue_bytes = p2p::kMaxSendQueueBytes;
    std::chrono::milliseconds connect_timeout = std::chrono::seconds(p2p::kConnectTimeoutS);
    // Per-node secret for the eviction's netgroup protection (select_peer_to_evict).
    uint64_t eviction_salt = 0;
    // Whether an inbound address is discouraged: such a peer gets a slot only while one is
    // free, and is the first evicted. Called on the I/O thread; may be empty.
    std::function<bool(const Endpoint&)> is_discouraged;
    // Whether an address is banned by the operator (setban): refused inbound at once and never
    // dialled (connect fails with codes::kAddressBanned). Any thread; may be empty.
    std::function<bool(const Endpoint&)> is_banned;
};

// One connection as getpeerinfo shows it.
struct ConnectionSnapshot {
    p2p::PeerId peer = 0;
    p2p::ConnectionInfo info;
    std::chrono::steady_clock::time_point connected{};
    uint64_t send_queue_bytes = 0;
    p2p::PeerTraffic traffic;
};

class TcpTransport final : public p2p::Transport {
  public:
    TcpTransport(TcpTransportOptions options, p2p::TransportListener& listener);
    ~TcpTransport() override;
    TcpTransport(const TcpTransport&) = delete;
    TcpTransport& operator=(const TcpTransport&) = delete;

    // Listens (unless options.listen is empty) and starts the I/O thread. Error: kBindFailed.
    Status start();
    void stop();
    // The address actually listened on (port 0 in the options becomes the chosen port).
    std::optional<Endpoint> listen_endpoint() const;
    std::vector<ConnectionSnapshot> connections() const;

    void send(p2p::PeerId peer, p2p::MessageType type, std::string payload) override;
    void disconnect(p2p::PeerId peer) override;
    void mark_handshake_done(p2p::PeerId peer) override;
    void set_receive_paused(p2p::PeerId peer, bool paused) override;
    uint64_t send_queue_bytes(p2p::PeerId peer) const override;
    // Refused with on_connect_failed (never synchronously) by check_dial (kDialRefused), when
    // the outbound slots are taken (kNoConnectionSlot), or when TCP fails (kConnectFailed).
    void connect(const Endpoint& to) override;
    void note_ping(p2p::PeerId peer, std::chrono::microseconds rtt) override;
    void note_useful_block(p2p::PeerId peer) override;
    void note_useful_tx(p2p::PeerId peer) override;
    std::optional<p2p::PeerTraffic> traffic(p2p::PeerId peer) const override;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace step::node::net
