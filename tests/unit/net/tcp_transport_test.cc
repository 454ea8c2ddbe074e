// TcpTransport over real loopback sockets (node/net/tcp_transport.h): two transports exchange
// messages; the framing's refusals reach the listener; a slow reader is cut off at its send
// cap; paused peers are not read; full inbound slots evict; stop closes everything.
#include <atomic>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "consensus/params.h"
#include "node/net/errors.h"
#include "node/net/tcp_transport.h"
#include "tests/functional/p2p_test_peer.h"
#include "tests/support/status_check.h"

using namespace step;
using namespace step::node;
using namespace step::node::net;
using p2p::MessageType;
using p2p::PeerId;

namespace {

const Magic kMagic = consensus::devnet_params().p2p_magic;
// Generous bound on waiting for an event that must come (a loaded CI machine is slow); no
// test asserts how fast anything happens.
constexpr auto kWait = std::chrono::seconds(20);

struct Event {
    enum Kind { kConnected, kConnectFailed, kMessage, kFramingError, kDisconnected } kind;
    PeerId peer = 0;
    p2p::ConnectionInfo info;
    MessageType type{};
    std::string payload;
    Status status;
    Endpoint to;
};

// Records every listener call; optional hooks act on the transport from inside the callback.
class Recorder : public p2p::TransportListener {
public:
    std::function<void(PeerId)> on_connect_hook;
    std::function<void(PeerId, MessageType)> on_message_hook;

    void on_connected(PeerId peer, const p2p::ConnectionInfo& info) override {
        push({Event::kConnected, peer, info, {}, {}, {}, {}});
        if (on_connect_hook) on_connect_hook(peer);
    }
    void on_connect_failed(const Endpoint& to, const Status& why) override {
        push({Event::kConnectFailed, 0, {}, {}, {}, why, to});
    }
    void on_message(PeerId peer, MessageType type, std::string payload) override {
        push({Event::kMessage, peer, {}, type, std::move(payload), {}, {}});
        if (on_message_hook) on_message_hook(peer, type);
    }
    void on_framing_error(PeerId peer, const Status& why) override {
        push({Event::kFramingError, peer, {}, {}, {}, why, {}});
    }
    void on_disconnected(PeerId peer) override {
        push({Event::kDisconnected, peer, {}, {}, {}, {}, {}});
    }

    // The next event of this kind (earlier events of other kinds stay queued); fails the test
    // when none comes within kWait.
    Event next(Event::Kind kind) {
        std::unique_lock lock(mutex_);
        std::optional<Event> found;
        const bool ok = cv_.wait_for(lock, kWait, [&] {
            for (auto it = events_.begin(); it != events_.end(); ++it) {
                if (it->kind != kind) continue;
                found = std::move(*it);
                events_.erase(it);
                return true;
            }
            return false;
        });
        INFO("waiting for event kind " << kind);
        REQUIRE(ok);
        return *found;
    }
    size_t count(Event::Kind kind) {
        std::lock_guard lock(mutex_);
        return static_cast<size_t>(
            std::count_if(events_.begin(), events_.end(), [&](auto& e) { return e.kind == kind; }));
    }

private:
    void push(Event e) {
        {
            std::lock_guard lock(mutex_);
            events_.push_back(std::move(e));
        }
        cv_.notify_all();
    }
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<Event> events_;
};

uint64_t bytes_sent(const TcpTransport& t, PeerId peer, MessageType type) {
    const auto traffic = t.traffic(peer);
    if (!traffic) return 0;
    auto it = traffic->bytes_sent.find(type);
    return it == traffic->bytes_sent.end() ? 0 : it->second;
}

// The first non-zero value of f() within kWait (0 when none).
uint64_t eventually(const std::function<uint64_t()>& f) {
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    for (;;) {
        if (uint64_t v = f(); v != 0 || std::chrono::steady_clock::now() > deadline) return v;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

TcpTransportOptions options(bool listen) {
    TcpTransportOptions o;
    o.magic = kMagic;
    if (listen) o.listen = Endpoint{"127.0.0.1", 0};
    o.max_inbound = 8;
    o.max_outbound = 8;
    o.loopback_only = true;
    return o;
}

// A started transport and what its listener heard.
struct Running {
    Recorder events;
    TcpTransport transport;
    explicit Running(TcpTransportOptions o) : transport(std::move(o), events) {
        REQUIRE(transport.start().ok());
    }
    uint16_t port() const { return transport.listen_endpoint()->port; }
};

TcpTransportOptions with_slots(TcpTransportOptions o, uint32_t inbound, uint32_t outbound) {
    o.max_inbound = inbound;
    o.max_outbound = outbound;
    return o;
}

// A listening transport and a dialling one, connected and past the handshake both ways.
struct Pair {
    Recorder server_events, client_events;
    TcpTransport server{options(true), server_events};
    TcpTransport client{options(false), client_events};
    PeerId at_server = 0;  // the client, as the server sees it
    PeerId at_client = 0;

    Pair() {
        REQUIRE(server.start().ok());
        REQUIRE(client.start().ok());
        client.connect(*server.listen_endpoint());
        Event c = client_events.next(Event::kConnected);
        Event s = server_events.next(Event::kConnected);
        at_client = c.peer;
        at_server = s.peer;
        CHECK(!c.info.inbound);
        CHECK(s.info.inbound);
        CHECK(c.info.remote == *server.listen_endpoint());
        CHECK(s.info.remote.host == "127.0.0.1");
    }
    void handshake() {
        client.send(at_client, MessageType::kVersion, "client-version");
        client.send(at_client, MessageType::kVerack, "");
        CHECK(server_events.next(Event::kMessage).type == MessageType::kVersion);
        CHECK(server_events.next(Event::kMessage).type == MessageType::kVerack);
        server.mark_handshake_done(at_server);
        server.send(at_server, MessageType::kVersion, "server-version");
        server.send(at_server, MessageType::kVerack, "");
        CHECK(client_events.next(Event::kMessage).type == MessageType::kVersion);
        CHECK(client_events.next(Event::kMessage).type == MessageType::kVerack);
        client.mark_handshake_done(at_client);
    }
};

}  // namespace

TEST_CASE("Two transports on loopback exchange messages after the handshake") {
    Pair p;
    p.handshake();
    const std::string block(300'000, 'b');
    p.client.send(p.at_client, MessageType::kPing, "12345678");
    p.client.send(p.at_client, MessageType::kBlock, block);
    Event ping = p.server_events.next(Event::kMessage);
    CHECK(ping.peer == p.at_server);
    CHECK(ping.type == MessageType::kPing);
    CHECK(ping.payload == "12345678");
    Event got = p.server_events.next(Event::kMessage);
    CHECK(got.type == MessageType::kBlock);
    CHECK(got.payload == block);
    p.server.send(p.at_server, MessageType::kPong, "87654321");
    Event pong = p.client_events.next(Event::kMessage);
    CHECK(pong.type == MessageType::kPong);
    CHECK(pong.payload == "87654321");

    // Whole frames are counted per type on both sides: received before delivery, sent once
    // written (which may follow the peer's receipt by a moment).
    const auto received = p.server.traffic(p.at_server);
    REQUIRE(received);
    CHECK(received->bytes_received.at(MessageType::kBlock) ==
          p2p::kFrameHeaderBytes + block.size());
    CHECK(received->bytes_received.at(MessageType::kPing) == p2p::kFrameHeaderBytes + 8);
    CHECK(received->bytes_received.at(MessageType::kVersion) == p2p::kFrameHeaderBytes + 14);
    CHECK(eventually([&] { return bytes_sent(p.client, p.at_client, MessageType::kBlock); }) ==
          p2p::kFrameHeaderBytes + block.size());
    CHECK(eventually([&] { return bytes_sent(p.server, p.at_server, MessageType::kPong); }) ==
          p2p::kFrameHeaderBytes + 8);
    REQUIRE(p.server.connections().size() == 1);
    CHECK(p.server.connections()[0].traffic.bytes_sent.at(MessageType::kPong) ==
          p2p::kFrameHeaderBytes + 8);
}

TEST_CASE("disconnect closes both ends once") {
    Pair p;
    p.client.disconnect(p.at_client);
    CHECK(p.client_events.next(Event::kDisconnected).peer == p.at_client);
    CHECK(p.server_events.next(Event::kDisconnected).peer == p.at_server);
    CHECK(!p.client.traffic(p.at_client));
    p.client.send(p.at_client, MessageType::kPing, "12345678");  // a gone peer: ignored
    CHECK(p.server.connections().empty());
}

TEST_CASE("A message before the handshake is a framing error, then a disconnect") {
    Pair p;
    p.client.send(p.at_client, MessageType::kPing, "12345678");
    Event e = p.server_events.next(Event::kFramingError);
    CHECK(e.peer == p.at_server);
    CHECK(e.status == codes::kFrameBeforeHandshake);
    CHECK(p.server_events.next(Event::kDisconnected).peer == p.at_server);
    CHECK(p.client_events.next(Event::kDisconnected).peer == p.at_client);
    CHECK(p.server_events.count(Event::kMessage) == 0);
}

TEST_CASE("A raw peer's broken frames reach the listener with their codes") {
    Running server(options(true));
    Recorder& events = server.events;
    const uint16_t port = server.port();
    struct Case {
        const char* name;
        std::string bytes;
        ErrorCode code;
    };
    test::P2pTestPeer maker(port, kMagic);
    REQUIRE(maker.connected());
    const std::vector<Case> cases = {
        {"wrong magic", maker.frame_with_wrong_magic(MessageType::kVersion, "v"),
         codes::kFrameBadMagic},
        {"bad checksum", maker.frame_with_bad_checksum(MessageType::kVersion, "v"),
         codes::kFrameBadChecksum},
        {"oversize",
         maker.header_with_length(MessageType::kVersion, p2p::kMaxHandshakePayloadBytes + 1),
         codes::kFrameOversize},
        {"unknown type", maker.frame_with_type(999, ""), codes::kFrameUnknownType},
        {"block first", maker.frame(MessageType::kBlock, "b"), codes::kFrameBeforeHandshake},
    };
    events.next(Event::kConnected);
    for (const Case& c : cases) {
        INFO(c.name);
        test::P2pTestPeer peer(port, kMagic);
        REQUIRE(peer.connected());
        const PeerId id = events.next(Event::kConnected).peer;
        peer.send_raw(c.bytes);
        Event e = events.next(Event::kFramingError);
        CHECK(e.peer == id);
        CHECK(e.status == c.code);
        CHECK(events.next(Event::kDisconnected).peer == id);
        CHECK(peer.wait_closed(kWait));
    }
}

TEST_CASE("A handshake trickled one byte at a time is read whole") {
    Running server(options(true));
    Recorder& events = server.events;
    test::P2pTestPeer peer(server.port(), kMagic);
    REQUIRE(peer.connected());
    events.next(Event::kConnected);
    REQUIRE(peer.send_trickle(peer.frame(MessageType::kVersion, "trickled version"),
                              std::chrono::milliseconds(0)));
    Event e = events.next(Event::kMessage);
    CHECK(e.type == MessageType::kVersion);
    CHECK(e.payload == "trickled version");
}

TEST_CASE("A peer that does not read is disconnected at its send-queue cap") {
    TcpTransportOptions o = options(true);
    o.max_send_queue_bytes = 4 << 20;
    Running running(o);
    Recorder& events = running.events;
    TcpTransport& server = running.transport;
    test::P2pTestPeer slow(running.port(), kMagic);  // never reads
    REQUIRE(slow.connected());
    const PeerId id = events.next(Event::kConnected).peer;
    // Far more than the kernel's socket buffers on both ends can absorb.
    const std::string block(1 << 20, 'b');
    uint64_t most_queued = 0;
    for (int i = 0; i < 256; ++i) {
        server.send(id, MessageType::kBlock, block);
        most_queued = std::max(most_queued, server.send_queue_bytes(id));
    }
    CHECK(events.next(Event::kDisconnected).peer == id);
    CHECK(most_queued <= o.max_send_queue_bytes);
    CHECK(most_queued > 0);
    CHECK(server.connections().empty());
}

TEST_CASE("A paused peer is not read until it is resumed") {
    std::atomic<bool> paused_once{false};  // outlives the transports that read it
    Pair p;
    p.handshake();
    // Pause from inside the listener, on the first ping: the two behind it wait. (The hook
    // stays set: it runs on the I/O thread, so the test thread must not reset it.)
    p.server_events.on_message_hook = [&](PeerId peer, MessageType type) {
        if (type == MessageType::kPing && !paused_once.exchange(true))
            p.server.set_receive_paused(peer, true);
    };
    for (const char* payload : {"ping-001", "ping-002", "ping-003"})
        p.client.send(p.at_client, MessageType::kPing, payload);
    CHECK(p.server_events.next(Event::kMessage).payload == "ping-001");
    // A correct transport never delivers here, so this wait cannot fail spuriously.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    CHECK(p.server_events.count(Event::kMessage) == 0);
    p.server.set_receive_paused(p.at_server, false);
    CHECK(p.server_events.next(Event::kMessage).payload == "ping-002");
    CHECK(p.server_events.next(Event::kMessage).payload == "ping-003");
}

TEST_CASE("Bytes after a verack wait for mark_handshake_done") {
    Pair p;
    // Version, verack and a ping in one burst: the ping is held, then read under the
    // post-handshake rules, not refused as a pre-handshake message.
    p.client.send(p.at_client, MessageType::kVersion, "v");
    p.client.send(p.at_client, MessageType::kVerack, "");
    p.client.mark_handshake_done(p.at_client);
    p.client.send(p.at_client, MessageType::kPing, "12345678");
    CHECK(p.server_events.next(Event::kMessage).type == MessageType::kVersion);
    CHECK(p.server_events.next(Event::kMessage).type == MessageType::kVerack);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    CHECK(p.server_events.count(Event::kMessage) == 0);
    CHECK(p.server_events.count(Event::kFramingError) == 0);
    p.server.mark_handshake_done(p.at_server);
    CHECK(p.server_events.next(Event::kMessage).type == MessageType::kPing);
}

TEST_CASE("The dial rule and the outbound slots refuse before any socket") {
    Running dialler(with_slots(options(false), 0, 1));
    Recorder& events = dialler.events;
    TcpTransport& t = dialler.transport;
    t.connect(Endpoint{"10.0.0.1", 18444});  // devnet never leaves the machine
    Event refused = events.next(Event::kConnectFailed);
    CHECK(refused.status == codes::kDialRefused);
    CHECK(refused.to == Endpoint{"10.0.0.1", 18444});

    Running server(options(true));
    t.connect(*server.transport.listen_endpoint());
    t.connect(*server.transport.listen_endpoint());
    CHECK(events.next(Event::kConnectFailed).status == codes::kNoConnectionSlot);
    events.next(Event::kConnected);
}

TEST_CASE("A dial to a closed port fails with connect-failed") {
    Running dialler(options(false));
    Recorder& events = dialler.events;
    TcpTransport& t = dialler.transport;
    // A port that was just listened on and closed: nothing accepts there now.
    Endpoint closed;
    {
        Running gone(options(true));
        closed = *gone.transport.listen_endpoint();
    }
    t.connect(closed);
    Event e = events.next(Event::kConnectFailed);
    CHECK(e.status == codes::kConnectFailed);
    CHECK(e.to == closed);
}

TEST_CASE("Full inbound slots evict the youngest unprotected peer") {
    Running running(with_slots(options(true), 2, 8));
    Recorder& events = running.events;
    TcpTransport& server = running.transport;
    const uint16_t port = running.port();
    // One netgroup (127.0): its oldest peer is protected, the youngest other one goes.
    test::P2pTestPeer first(port, kMagic, "127.0.0.1");
    const PeerId first_id = events.next(Event::kConnected).peer;
    test::P2pTestPeer second(port, kMagic, "127.0.0.2");
    const PeerId second_id = events.next(Event::kConnected).peer;
    test::P2pTestPeer third(port, kMagic, "127.0.0.3");
    CHECK(events.next(Event::kDisconnected).peer == second_id);
    const PeerId third_id = events.next(Event::kConnected).peer;
    CHECK(second.wait_closed(kWait));
    std::vector<PeerId> ids;
    for (const auto& c : server.connections()) ids.push_back(c.peer);
    CHECK(ids == std::vector<PeerId>{first_id, third_id});
}

TEST_CASE("A discouraged address gets no slot when the inbound slots are full") {
    TcpTransportOptions o = with_slots(options(true), 1, 8);
    o.is_discouraged = [](const Endpoint& e) { return e.host == "127.0.0.9"; };
    Running running(o);
    Recorder& events = running.events;
    TcpTransport& server = running.transport;
    const uint16_t port = running.port();
    test::P2pTestPeer honest(port, kMagic, "127.0.0.1");
    events.next(Event::kConnected);
    test::P2pTestPeer discouraged(port, kMagic, "127.0.0.9");
    CHECK(discouraged.wait_closed(kWait));
    CHECK(events.count(Event::kDisconnected) == 0);
    CHECK(server.connections().size() == 1);
}

TEST_CASE("stop closes every connection and reports each") {
    Pair p;
    p.server.stop();
    CHECK(p.server_events.next(Event::kDisconnected).peer == p.at_server);
    CHECK(p.client_events.next(Event::kDisconnected).peer == p.at_client);
    p.server.stop();  // twice is harmless
    p.server.send(p.at_server, MessageType::kPing, "12345678");
}

TEST_CASE("start reports a bind failure with its code") {
    Running a(options(true));
    TcpTransportOptions o = options(true);
    o.listen = *a.transport.listen_endpoint();
    Recorder b_events;
    TcpTransport b(o, b_events);
    CHECK(b.start() == codes::kBindFailed);
}

TEST_CASE("A discouraged host that reconnects in a loop is closed unread past one a second") {
    TcpTransportOptions o = options(true);
    o.is_discouraged = [](const Endpoint& e) { return e.host == "127.0.0.9"; };
    Running running(o);
    Recorder& events = running.events;
    const uint16_t port = running.port();
    test::P2pTestPeer first(port, kMagic, "127.0.0.9");
    events.next(Event::kConnected);  // the first is admitted (a slot is free)
    // Reconnecting at once: closed before anything is read or reported.
    test::P2pTestPeer again(port, kMagic, "127.0.0.9");
    CHECK(again.wait_closed(kWait));
    CHECK(events.count(Event::kConnected) == 0);  // (next() took the first)
    // Another host is not held back.
    test::P2pTestPeer honest(port, kMagic, "127.0.0.1");
    events.next(Event::kConnected);
    CHECK(running.transport.connections().size() == 2);
}
