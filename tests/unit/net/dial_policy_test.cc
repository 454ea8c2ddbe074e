// The dialer's rules (node/net/dial_policy.h).
#include <catch2/catch.hpp>

#include "consensus/params.h"
#include "node/net/dial_policy.h"
#include "node/net/errors.h"
#include "node/p2p/limits.h"
#include "tests/support/status_check.h"

using namespace step;
using namespace step::node;
using namespace step::node::net;

TEST_CASE("A devnet node dials 127.0.0.0/8 only") {
    const bool devnet = consensus::devnet_params().p2p_dial_loopback_only;
    REQUIRE(devnet);
    CHECK(check_dial(Endpoint{"127.0.0.1", 18444}, devnet).ok());
    CHECK(check_dial(Endpoint{"127.200.3.4", 1}, devnet).ok());
    CHECK(check_dial(Endpoint{"::1", 1}, devnet).ok());
    for (const char* host :
         {"10.0.0.1", "192.168.1.1", "8.8.8.8", "0.0.0.0", "128.0.0.1", "2001:db8::1", "::"}) {
        INFO(host);
        const Status s = check_dial(Endpoint{host, 18444}, devnet);
        CHECK(s == codes::kDialRefused);
    }
}

TEST_CASE("Public networks dial any address, never port 0") {
    for (const auto* p : {&consensus::testnet_params(), &consensus::mainnet_params()}) {
        CHECK_FALSE(p->p2p_dial_loopback_only);
        CHECK(check_dial(Endpoint{"8.8.8.8", 8444}, p->p2p_dial_loopback_only).ok());
    }
    CHECK(check_dial(Endpoint{"127.0.0.1", 0}, false) == codes::kDialRefused);
    CHECK(check_dial(Endpoint{"127.0.0.1", 0}, true) == codes::kDialRefused);
}

TEST_CASE("Devnet binds loopback by default, the public networks every interface") {
    CHECK(consensus::devnet_params().default_p2p_bind_host == "127.0.0.1");
    CHECK(consensus::testnet_params().default_p2p_bind_host == "0.0.0.0");
    CHECK(consensus::mainnet_params().default_p2p_bind_host == "0.0.0.0");
    for (const auto* p : {&consensus::devnet_params(), &consensus::testnet_params(),
                          &consensus::mainnet_params()}) {
        CHECK(p->default_p2p_port != 0);
        CHECK(p->seed_addresses.empty());  // until a public network exists
    }
}

TEST_CASE("Outbound slots come out of max-connections, inbound take the rest") {
    CHECK(split_connection_slots(125, 8).outbound == 8);
    CHECK(split_connection_slots(125, 8).inbound == 117);
    CHECK(split_connection_slots(5, 8).outbound == 5);
    CHECK(split_connection_slots(5, 8).inbound == 0);
    CHECK(split_connection_slots(0, 8).outbound == 0);
}

TEST_CASE("A failed address waits, doubling, before it is dialled again") {
    CHECK(dial_retry_delay_s(0) == 0);
    CHECK(dial_retry_delay_s(1) == p2p::kDialRetryBaseS);
    CHECK(dial_retry_delay_s(2) == 2 * p2p::kDialRetryBaseS);
    CHECK(dial_retry_delay_s(3) == 4 * p2p::kDialRetryBaseS);
    CHECK(dial_retry_delay_s(40) == p2p::kDialRetryMaxS);
    CHECK(dial_retry_delay_s(UINT32_MAX) == p2p::kDialRetryMaxS);
}

TEST_CASE("An --addnode peer is retried for ever, a discouraged one later") {
    CHECK(addnode_retry_delay_s(0, false) == p2p::kAddnodeRetryBaseS);
    CHECK(addnode_retry_delay_s(1, false) == p2p::kAddnodeRetryBaseS);
    CHECK(addnode_retry_delay_s(2, false) == 2 * p2p::kAddnodeRetryBaseS);
    CHECK(addnode_retry_delay_s(1000, false) == p2p::kAddnodeRetryMaxS);
    for (uint32_t failures : {0u, 1u, 1000u})
        CHECK(addnode_retry_delay_s(failures, true) >= p2p::kDiscouragedAddnodeRetryS);
}

namespace {

DialCandidate candidate(const std::string& host, uint16_t port = 18444) {
    return {Endpoint{host, port}, 0, 0};
}

}  // namespace

TEST_CASE("Outbound choice prefers a netgroup we have no outbound peer in") {
    const std::vector<DialCandidate> book = {candidate("127.1.0.1"), candidate("127.1.0.2"),
                                             candidate("127.2.0.1")};
    OutboundContext ctx;
    ctx.loopback_only = true;
    ctx.outbound_netgroups = {"127.1"};
    for (uint64_t r = 0; r < 8; ++r)
        CHECK(choose_outbound(book, ctx, 1000, r) == Endpoint{"127.2.0.1", 18444});
    // Every netgroup taken: any address will do, chosen by the random draw.
    ctx.outbound_netgroups.insert("127.2");
    std::set<Endpoint> chosen;
    for (uint64_t r = 0; r < 8; ++r) chosen.insert(*choose_outbound(book, ctx, 1000, r));
    CHECK(chosen.size() == 3);
}

TEST_CASE("Outbound choice skips connected, undialable and recently failed addresses") {
    std::vector<DialCandidate> book = {candidate("127.1.0.1"), candidate("10.0.0.1"),
                                       candidate("127.3.0.1")};
    book[2].last_try = 1000;
    book[2].failures = 1;
    OutboundContext ctx;
    ctx.loopback_only = true;  // devnet: 10.0.0.1 was learned by gossip, never dialled
    ctx.connected = {Endpoint{"127.1.0.1", 18444}};
    CHECK(!choose_outbound(book, ctx, 1000 + p2p::kDialRetryBaseS - 1, 0));
    CHECK(choose_outbound(book, ctx, 1000 + p2p::kDialRetryBaseS, 0) ==
          Endpoint{"127.3.0.1", 18444});
    ctx.loopback_only = false;
    CHECK(choose_outbound(book, ctx, 1000, 0) == Endpoint{"10.0.0.1", 18444});
}

TEST_CASE("A discouraged address is dialled only when nothing else is left") {
    const std::vector<DialCandidate> book = {candidate("127.1.0.1"), candidate("127.2.0.1")};
    OutboundContext ctx;
    ctx.is_discouraged = [](const Endpoint& e) { return e.host == "127.2.0.1"; };
    ctx.outbound_netgroups = {"127.1"};  // the discouraged one would be the new netgroup
    for (uint64_t r = 0; r < 8; ++r)
        CHECK(choose_outbound(book, ctx, 0, r) == Endpoint{"127.1.0.1", 18444});
    ctx.connected = {Endpoint{"127.1.0.1", 18444}};
    CHECK(choose_outbound(book, ctx, 0, 0) == Endpoint{"127.2.0.1", 18444});
}
