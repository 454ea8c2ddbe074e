// The outbound dialer (node/p2p/connection_manager.h) over a transport that only records dials:
// --connect alone, --addnode kept connected on its schedule, outbound slots from the address
// book in distinct netgroups, devnet on loopback, events forwarded unchanged.
#include <catch2/catch.hpp>

#include "node/net/errors.h"
#include "node/p2p/connection_manager.h"

using namespace step;
using namespace step::node;
using namespace step::node::p2p;
using net::Endpoint;

namespace {

constexpr uint64_t kT0 = 1'800'000'000;

class DialRecorder : public Transport {
public:
    std::vector<Endpoint> dials;
    void send(PeerId, MessageType, std::string) override {}
    void disconnect(PeerId) override {}
    void mark_handshake_done(PeerId) override {}
    void set_receive_paused(PeerId, bool) override {}
    uint64_t send_queue_bytes(PeerId) const override { return 0; }
    void connect(const Endpoint& to) override { dials.push_back(to); }
    std::vector<Endpoint> take() { return std::exchange(dials, {}); }
};

class CountingListener : public TransportListener {
public:
    int connected = 0, failed = 0, messages = 0, framing = 0, disconnected = 0;
    void on_connected(PeerId, const ConnectionInfo&) override { ++connected; }
    void on_connect_failed(const Endpoint&, const Status&) override { ++failed; }
    void on_message(PeerId, MessageType, std::string) override { ++messages; }
    void on_framing_error(PeerId, const Status&) override { ++framing; }
    void on_disconnected(PeerId) override { ++disconnected; }
};

struct Harness {
    uint64_t now = kT0;
    uint64_t draws = 0;
    AddressBook book;
    net::Discouragement discouragement;
    DialRecorder transport;
    CountingListener next;
    std::unique_ptr<ConnectionManager> manager;
    PeerId next_peer = 1;

    explicit Harness(ConnectionManagerOptions o) {
        o.clock = [this] { return now; };
        o.random = [this] { return draws++; };
        manager = std::make_unique<ConnectionManager>(std::move(o), book, discouragement, transport,
                                                      next);
    }
    PeerId connected(const Endpoint& remote, bool inbound = false) {
        const PeerId id = next_peer++;
        manager->on_connected(id, ConnectionInfo{remote, Endpoint{"127.0.0.1", 1}, inbound});
        return id;
    }
    // Advances the clock, ticks, and returns what was dialled.
    std::vector<Endpoint> tick_after(uint64_t seconds) {
        now += seconds;
        manager->tick();
        return transport.take();
    }
    void failed(const Endpoint& to) {
        manager->on_connect_failed(to, Status::error(net::codes::kConnectFailed, "x"));
    }
};

Endpoint at(const std::string& host, uint16_t port = 18444) {
    return Endpoint{host, port};
}

ConnectionManagerOptions addnode_only(const Endpoint& peer) {
    ConnectionManagerOptions o;
    o.addnode = {peer};
    o.outbound_target = 0;
    return o;
}

}  // namespace

TEST_CASE("With --connect, those peers are dialled and nothing else") {
    ConnectionManagerOptions o;
    o.connect = {at("127.0.0.2"), at("127.0.0.3")};
    o.addnode = {at("127.0.0.4")};  // ignored with --connect
    Harness h(o);
    h.book.add(at("127.5.0.1"), kT0, "", kT0);
    h.manager->tick();
    CHECK(h.transport.take() == std::vector<Endpoint>{at("127.0.0.2"), at("127.0.0.3")});
    h.manager->tick();  // already being dialled
    CHECK(h.transport.take().empty());
}

TEST_CASE("An --addnode peer is redialled on its schedule after failures and disconnects") {
    const Endpoint peer = at("127.0.0.2");
    Harness h(addnode_only(peer));
    CHECK(h.tick_after(0) == std::vector<Endpoint>{peer});
    h.failed(peer);
    CHECK(h.tick_after(0).empty());  // waits kAddnodeRetryBaseS
    CHECK(h.tick_after(kAddnodeRetryBaseS).size() == 1);
    h.failed(peer);
    CHECK(h.tick_after(kAddnodeRetryBaseS).empty());  // the second failure doubles the wait
    CHECK(h.tick_after(kAddnodeRetryBaseS).size() == 1);
    const PeerId id = h.connected(peer);
    CHECK(h.tick_after(1000).empty());  // connected: nothing to do
    h.manager->on_disconnected(id);
    CHECK(h.tick_after(kAddnodeRetryBaseS) == std::vector<Endpoint>{peer});
}

TEST_CASE("A discouraged --addnode peer waits longer before it is redialled") {
    const Endpoint peer = at("127.0.0.2");
    Harness h(addnode_only(peer));
    h.tick_after(0);
    const PeerId id = h.connected(peer);
    h.discouragement.discourage(peer, "frame-bad-checksum", h.now);
    h.manager->on_disconnected(id);
    CHECK(h.tick_after(kAddnodeRetryMaxS).empty());
    CHECK(h.tick_after(kDiscouragedAddnodeRetryS).size() == 1);
}

TEST_CASE("Outbound slots fill from the address book, one netgroup each while they last") {
    ConnectionManagerOptions o;
    o.outbound_target = 3;
    Harness h(o);
    for (const char* host : {"127.1.0.1", "127.1.0.2", "127.1.0.3", "127.2.0.1", "127.3.0.1"})
        h.book.add(at(host), kT0, "", kT0);
    h.manager->tick();
    const auto dials = h.transport.take();
    REQUIRE(dials.size() == 3);
    std::set<std::string> groups;
    for (const Endpoint& e : dials) groups.insert(net::netgroup(e));
    CHECK(groups == std::set<std::string>{"127.1", "127.2", "127.3"});
    CHECK(h.manager->automatic_outbound() == 3);
    // Two connect, one fails: one slot frees and is filled again (from 127.1, the only group left).
    h.connected(dials[0]);
    h.connected(dials[1]);
    h.failed(dials[2]);
    CHECK(h.manager->automatic_outbound() == 2);
    h.manager->tick();
    const auto refill = h.transport.take();
    REQUIRE(refill.size() == 1);
    CHECK(refill[0] != dials[2]);  // the failed one waits out its retry delay
    // Outcomes reach the address book.
    for (const auto& e : h.book.entries()) {
        if (e.address == dials[0]) CHECK(e.last_success == kT0);
        if (e.address == dials[2]) CHECK(e.failures == 1);
    }
}

TEST_CASE("A devnet node never picks a gossiped address outside 127.0.0.0/8") {
    ConnectionManagerOptions o;
    o.loopback_only = true;
    Harness h(o);
    h.book.add(at("10.0.0.1"), kT0, "127.9", kT0);
    h.book.add(at("192.168.1.1"), kT0, "127.9", kT0);
    h.manager->tick();
    CHECK(h.transport.take().empty());
    h.book.add(at("127.0.0.7"), kT0, "127.9", kT0);
    h.manager->tick();
    CHECK(h.transport.take() == std::vector<Endpoint>{at("127.0.0.7")});
}

TEST_CASE("Inbound peers take no outbound slot; every event reaches the next listener") {
    ConnectionManagerOptions o;
    o.outbound_target = 1;
    Harness h(o);
    const PeerId in = h.connected(at("127.0.0.9", 50000), true);
    h.manager->on_message(in, MessageType::kPing, "12345678");
    h.manager->on_framing_error(in, Status::error(net::codes::kFrameBadChecksum, "x"));
    h.manager->on_disconnected(in);
    h.failed(at("127.0.0.8"));
    CHECK(h.next.connected == 1);
    CHECK(h.next.messages == 1);
    CHECK(h.next.framing == 1);
    CHECK(h.next.disconnected == 1);
    CHECK(h.next.failed == 1);
    CHECK(h.manager->automatic_outbound() == 0);
}

TEST_CASE("addnode add and remove steer the kept peers at run time") {
    ConnectionManagerOptions o;
    o.outbound_target = 0;
    Harness h(o);
    CHECK(h.tick_after(1).empty());
    CHECK(h.manager->add_manual(at("127.0.0.7")));
    CHECK_FALSE(h.manager->add_manual(at("127.0.0.7")));  // kept already
    CHECK(h.tick_after(1) == std::vector<Endpoint>{at("127.0.0.7")});
    h.failed(at("127.0.0.7"));
    CHECK(h.manager->remove_manual(at("127.0.0.7")));
    CHECK_FALSE(h.manager->remove_manual(at("127.0.0.7")));
    CHECK(h.tick_after(120).empty());  // no longer retried
}

TEST_CASE("a node already connected (its listening address known) is not dialled again") {
    ConnectionManagerOptions o = addnode_only(at("127.0.0.7"));
    o.outbound_target = 8;
    Harness h(o);
    h.book.add(at("127.0.0.8"), kT0, "", kT0);
    h.manager->set_own_address(at("127.0.0.9"));
    h.book.add(at("127.0.0.9"), kT0, "", kT0);
    // Both nodes are connected to us inbound and gave their listening addresses.
    h.manager->note_listener(at("127.0.0.7"), true);
    h.manager->note_listener(at("127.0.0.8"), true);
    h.manager->note_listener(at("127.0.0.8"), true);  // connected twice
    CHECK(h.tick_after(1).empty());                   // neither them nor ourselves
    h.manager->note_listener(at("127.0.0.7"), false);
    h.manager->note_listener(at("127.0.0.8"), false);
    CHECK(h.tick_after(1) == std::vector<Endpoint>{at("127.0.0.7")});  // .8 is still connected
    h.manager->note_listener(at("127.0.0.8"), false);
    CHECK(h.tick_after(1) == std::vector<Endpoint>{at("127.0.0.8")});  // .7 is being dialled
}

TEST_CASE("an address from the book is redialled at most once a minute, even after a success") {
    ConnectionManagerOptions o;
    o.outbound_target = 8;
    Harness h(o);
    h.book.add(at("127.0.0.8"), kT0, "", kT0);
    CHECK(h.tick_after(1) == std::vector<Endpoint>{at("127.0.0.8")});
    const PeerId id = h.connected(at("127.0.0.8"));
    h.manager->on_disconnected(id);  // it accepted and dropped us at once
    CHECK(h.tick_after(1).empty());
    CHECK(h.tick_after(kMinRedialIntervalS).size() == 1);
}
