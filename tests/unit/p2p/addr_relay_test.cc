// Address gossip: getaddr answered once to inbound peers, addr rate-limited per peer and a
// flood past the limit punished, the wire form of addresses, and duplicate connections.
#include "node/p2p/addr_relay.h"
#include "node/p2p/errors.h"
#include "tests/unit/p2p/p2p_fixture.h"

using namespace step;
using namespace step::node;
using namespace step::node::p2p;
using namespace step::node::p2p::testing;

namespace {

wire::Addr addr_message(size_t n, uint8_t b, uint64_t seen) {
    wire::Addr m;
    for (size_t i = 0; i < n; ++i) {
        KnownAddress a;
        a.address = {"127." + std::to_string(b) + "." + std::to_string(i / 250) + "." +
                         std::to_string(i % 250 + 1),
                     18444};
        a.last_seen = seen;
        *m.add_addresses() = to_wire(a);
    }
    return m;
}

}  // namespace

TEST_CASE("addresses survive the wire form, and malformed ones are refused") {
    for (const char* host : {"127.0.0.1", "10.1.2.3", "::1", "2001:db8::7"}) {
        KnownAddress a;
        a.address = {host, 18444};
        a.last_seen = 42;
        const wire::PeerAddress w = to_wire(a);
        auto back = endpoint_from_wire(w);
        REQUIRE(back.has_value());
        CHECK(*back == a.address);
        CHECK(w.last_seen() == 42);
    }
    wire::PeerAddress bad;
    bad.set_ip(std::string(5, '\x01'));
    bad.set_port(1);
    CHECK_FALSE(endpoint_from_wire(bad).has_value());
    bad.set_ip(std::string(4, '\x7f'));
    bad.set_port(0);
    CHECK_FALSE(endpoint_from_wire(bad).has_value());
}

TEST_CASE("an outbound peer is asked for addresses; an inbound peer's getaddr is answered once") {
    MemoryNetwork net;
    Clocks clocks;
    P2PNode a(net, clocks, "addr-a", 1);
    Port& raw = net.add_port();
    for (uint8_t i = 1; i <= 20; ++i)
        a.book.add({"127.9." + std::to_string(i) + ".1", 18444}, clocks.chain_s, "",
                   clocks.chain_s);
    const PeerId id = handshake_raw(net, raw, a);  // the raw side dialled: inbound to a
    raw.send_message(id, wire::GetAddr());
    settle(net, {&a});
    auto answers = raw.take<wire::Addr>();
    REQUIRE(answers.size() == 1);
    CHECK(answers[0].addresses_size() == 20);
    raw.send_message(id, wire::GetAddr());  // a second ask maps nothing more
    settle(net, {&a});
    CHECK(raw.take<wire::Addr>().empty());

    // A node that dials out asks that peer for addresses itself, and keeps the answer.
    P2PNode b(net, clocks, "addr-b", 2);
    net.connect(b.port, a.port);
    settle(net, {&a, &b});
    CHECK(b.book.size() == 20);
    CHECK(a.book.size() == 20);  // b is inbound to a: a never asked it
}

TEST_CASE("gossip past a peer's tokens is dropped, and a flood past the limit is punished") {
    MemoryNetwork net;
    Clocks clocks;
    P2PNode a(net, clocks, "addr-flood", 1);
    Port& raw = net.add_port();
    const PeerId id = handshake_raw(net, raw, a);
    // An inbound peer we never asked starts with one token: one address of a whole message.
    raw.send_message(id, addr_message(kMaxAddrPerMessage, 1, clocks.chain_s));
    settle(net, {&a});
    CHECK(a.book.size() == 1);
    CHECK_FALSE(raw.closed.count(id));
    // Ten more whole messages at once: past kMaxAddrDroppedPerPeer.
    for (int i = 0; i < 10 && !raw.closed.count(id); ++i) {
        raw.send_message(
            id, addr_message(kMaxAddrPerMessage, static_cast<uint8_t>(2 + i), clocks.chain_s));
        settle(net, {&a});
    }
    refresh(net, clocks, {&a});
    CHECK(raw.closed.count(id));
    CHECK(a.discouraged_for(codes::kAddrFlood));
    CHECK(a.book.size() <= 2);
}

TEST_CASE("two nodes that dial each other keep exactly one connection, the same on both sides") {
    for (auto [na, nb] : {std::pair<uint64_t, uint64_t>{5, 9}, {9, 5}}) {
        MemoryNetwork net;
        Clocks clocks;
        P2PNode a(net, clocks, "twin-a", na), b(net, clocks, "twin-b", nb);
        net.connect(a.port, b.port);
        net.connect(b.port, a.port);
        settle(net, {&a, &b});
        refresh(net, clocks, {&a, &b});
        const auto pa = a.pm->peer_info();
        const auto pb = b.pm->peer_info();
        REQUIRE(pa.size() == 1);
        REQUIRE(pb.size() == 1);
        CHECK(pa[0].inbound != pb[0].inbound);
        // The connection kept is the one dialled by the node with the larger nonce.
        CHECK(pa[0].inbound == (na < nb));
        CHECK(a.discouraged_reason().empty());  // not misbehaviour
    }
}

TEST_CASE("a peer that does not read what we send gets nothing more processed until it does") {
    MemoryNetwork net;
    Clocks clocks;
    P2PNode a(net, clocks, "no-read", 1);
    Port& raw = net.add_port();
    auto [raw_id, node_id] = net.connect(raw, a.port);
    settle(net, {&a});
    raw.send_message(raw_id, honest_version(777));
    raw.send_message(raw_id, wire::Verack());
    settle(net, {&a});
    raw.take<wire::Ping>();
    a.port.send_queue[node_id] = kPauseProcessingSendQueueBytes + 1;
    wire::Ping ping;
    ping.set_nonce(42);
    raw.send_message(raw_id, ping);
    settle(net, {&a});
    CHECK(raw.take<wire::Pong>().empty());  // waits while the peer has not read
    a.port.send_queue[node_id] = 0;
    refresh(net, clocks, {&a});
    auto pongs = raw.take<wire::Pong>();
    REQUIRE(pongs.size() == 1);
    CHECK(pongs[0].nonce() == 42);
}

TEST_CASE("a newly connected listening peer is forwarded to other peers at their token rate") {
    MemoryNetwork net;
    Clocks clocks;
    P2PNode a(net, clocks, "fwd", 1);
    Port& early = net.add_port();
    const PeerId early_id = handshake_raw(net, early, a, 801);
    early.take<wire::Addr>();
    // Two listening peers join later, one right after the other.
    for (uint64_t i = 0; i < 2; ++i) {
        Port& later = net.add_port();
        auto [raw_id, node_id] = net.connect(later, a.port);
        (void)node_id;
        settle(net, {&a});
        wire::Version v = honest_version(900 + i);
        v.set_listen_port(static_cast<uint32_t>(18444 + i));
        later.send_message(raw_id, v);
        later.send_message(raw_id, wire::Verack());
        settle(net, {&a});
    }
    // The early peer hears of the first at once, of the second only after the interval.
    auto first = early.take<wire::Addr>();
    REQUIRE(first.size() == 1);
    REQUIRE(first[0].addresses_size() == 1);
    CHECK(endpoint_from_wire(first[0].addresses(0)) == net::Endpoint{"127.0.0.1", 18444});
    clocks.p2p_ms += kAddrForwardIntervalMs - 1;
    settle(net, {&a});
    CHECK(early.take<wire::Addr>().empty());
    clocks.p2p_ms += 1;
    settle(net, {&a});
    auto second = early.take<wire::Addr>();
    REQUIRE(second.size() == 1);
    CHECK(endpoint_from_wire(second[0].addresses(0)) == net::Endpoint{"127.0.0.1", 18445});
    CHECK_FALSE(early.closed.count(early_id));
}
