// Handshake and liveness over the in-memory transport.
#include "tests/unit/p2p/p2p_fixture.h"

#include "node/p2p/errors.h"
#include "node/p2p/handshake.h"

using namespace step;
using namespace step::node;
using namespace step::node::p2p;
using namespace step::node::p2p::testing;

TEST_CASE("two nodes complete the handshake and measure the round trip") {
    MemoryNetwork net;
    Clocks clocks;
    P2PNode a(net, clocks, "hs-a", 1), b(net, clocks, "hs-b", 2);
    auto [a_id, b_id] = net.connect(a.port, b.port);
    settle(net, {&a, &b});
    CHECK(a.port.handshake_done.count(a_id));
    CHECK(b.port.handshake_done.count(b_id));
    // A's first ping left at once; deliver the pong 7 ms later.
    clocks.p2p_ms += 7;
    refresh(net, clocks, {&a, &b});
    auto info = info_of(a, a_id);
    REQUIRE(info.has_value());
    CHECK(info->handshake_done);
    CHECK_FALSE(info->inbound);
    CHECK(info->user_agent == "stepd-test/hs-b");
    CHECK(info_of(b, b_id)->inbound);
    REQUIRE(info->ping_ms.has_value());
    CHECK(*info->ping_ms == 0);  // the whole exchange ran within one clock step
    CHECK(info->bytes_sent.at("version") > 0);
    CHECK(info->bytes_received.at("verack") == kFrameHeaderBytes);
}

TEST_CASE("a version is checked for chain, genesis, protocol and our own nonce") {
    const auto& p = params();
    wire::Version v = honest_version(5);
    CHECK(check_version(v, p, 9).ok());
    CHECK(check_version(v, p, 5) == codes::kSelfConnection);
    wire::Version other = v;
    other.set_chain_id(p.chain_id + 1);
    CHECK(check_version(other, p, 9) == codes::kWrongChain);
    other = v;
    other.set_genesis_hash(std::string(32, '\x07'));
    CHECK(check_version(other, p, 9) == codes::kWrongChain);
    other = v;
    other.set_protocol_version(0);
    CHECK(check_version(other, p, 9) == codes::kUnsupportedProtocol);
}

TEST_CASE("a peer of another chain or ourselves is dropped without discouragement") {
    MemoryNetwork net;
    Clocks clocks;
    P2PNode a(net, clocks, "hs-chain", 1);
    Port& raw = net.add_port();
    auto [raw_id, a_id] = net.connect(raw, a.port);
    settle(net, {&a});
    wire::Version v = honest_version(3);
    v.set_chain_id(99);
    raw.send_message(raw_id, v);
    settle(net, {&a});
    CHECK(raw.closed.count(raw_id));
    CHECK(a.discouraged_reason().empty());

    auto [raw2, a2] = net.connect(raw, a.port);
    settle(net, {&a});
    raw.send_message(raw2, honest_version(a.pm->nonce()));  // our own nonce: a self-connection
    settle(net, {&a});
    CHECK(raw.closed.count(raw2));
    CHECK(a.discouraged_reason().empty());
    (void)a_id;
    (void)a2;
}

TEST_CASE("nothing but version and verack is accepted before the handshake completes") {
    MemoryNetwork net;
    Clocks clocks;
    P2PNode a(net, clocks, "hs-early", 1);
    Port& raw = net.add_port();
    auto [raw_id, a_id] = net.connect(raw, a.port);
    settle(net, {&a});
    wire::Ping ping;
    ping.set_nonce(1);
    raw.send_message(raw_id, ping);
    refresh(net, clocks, {&a});
    CHECK(raw.closed.count(raw_id));
    CHECK(a.discouraged_for(codes::kHandshakeViolation));
    CHECK(a.discouragement.is_discouraged(net::Endpoint{"127.0.0.1", 9}, clocks.chain_s));
    CHECK(a.pm->counters().discouraged.at(name_of(codes::kHandshakeViolation)) == 1);
    (void)a_id;
}

TEST_CASE("a handshake that does not complete in time is dropped, and so is a silent peer") {
    MemoryNetwork net;
    Clocks clocks;
    P2PNode a(net, clocks, "hs-timeout", 1);
    Port& raw = net.add_port();
    auto [slow, a_id] = net.connect(raw, a.port);
    settle(net, {&a});
    clocks.p2p_ms += static_cast<int64_t>(kHandshakeTimeoutS) * 1000 - 1;
    settle(net, {&a});
    CHECK_FALSE(raw.closed.count(slow));
    clocks.p2p_ms += 1;
    settle(net, {&a});
    CHECK(raw.closed.count(slow));
    CHECK(a.discouraged_for(codes::kHandshakeTimeout));  // a slot held open: slowloris

    // After the handshake: a ping goes out at once; no pong for kPingTimeoutS drops the peer.
    const PeerId quiet = handshake_raw(net, raw, a);
    REQUIRE(raw.take<wire::Ping>().size() == 1);
    clocks.p2p_ms += static_cast<int64_t>(kPingTimeoutS) * 1000;
    settle(net, {&a});
    CHECK(raw.closed.count(quiet));
    (void)a_id;
}

TEST_CASE("a ping is answered with its nonce") {
    MemoryNetwork net;
    Clocks clocks;
    P2PNode a(net, clocks, "hs-ping", 1);
    Port& raw = net.add_port();
    const PeerId id = handshake_raw(net, raw, a);
    wire::Ping ping;
    ping.set_nonce(0xfeed);
    raw.send_message(id, ping);
    settle(net, {&a});
    auto pongs = raw.take<wire::Pong>();
    REQUIRE(pongs.size() == 1);
    CHECK(pongs[0].nonce() == 0xfeed);
}
