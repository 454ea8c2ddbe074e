// P2P defence against real stepd processes (issue 10, "Done means" 6): a test peer speaking the
// wire protocol misbehaves against a node, one case each, while an honest stepd peer stays
// connected. Each time the node disconnects the attacker (discouraging it where docs/p2p.md
// says so) with the reason logged, its memory stays bounded, the honest peer keeps relaying
// and another peer's ping is answered (DefenceBed). The unit tests over an in-memory network
// (tests/unit/p2p/defence_test.cc) cover the same rules without sockets.
#include <arpa/inet.h>

#include <catch2/catch.hpp>
#include <random>

#include "consensus/errors.h"
#include "node/net/errors.h"
#include "node/p2p/errors.h"
#include "node/p2p/limits.h"
#include "tests/functional/p2p_bed.h"
#include "tests/functional/transfers.h"

using step::node::p2p::MessageType;
using step::test::DefenceBed;
using step::test::P2pTestPeer;
using step::test::TestBranch;
namespace wire = step::node::p2p::wire;
namespace p2p = step::node::p2p;
namespace net = step::node::net;
namespace cs = step::consensus;

namespace {

// Blocks the honest node mines for most cases: a short chain is all they need.
constexpr uint64_t kShortChain = 5;

std::string random_hash_field() {
    static std::mt19937_64 rng{std::random_device{}()};
    std::string h(32, '\0');
    for (char& c : h) c = static_cast<char>(rng());
    return h;
}

wire::Headers headers_of(std::vector<step::pb::BlockHeader> headers) {
    wire::Headers m;
    for (auto& h : headers) *m.add_headers() = std::move(h);
    return m;
}

}  // namespace

TEST_CASE("p2p defence: a frame with another network's magic", "[p2p]") {
    DefenceBed bed("p2p-wrong-magic", kShortChain);
    P2pTestPeer& a = bed.ready_attacker();
    a.send_raw(a.frame_with_wrong_magic(MessageType::kPing,
                                        step::node::p2p::encode_payload(wire::Ping())));
    bed.expect_discouraged(net::codes::kFrameBadMagic);
}

TEST_CASE("p2p defence: a frame whose payload fails its checksum", "[p2p]") {
    DefenceBed bed("p2p-bad-checksum", kShortChain);
    P2pTestPeer& a = bed.ready_attacker();
    wire::Ping ping;
    ping.set_nonce(7);
    a.send_raw(a.frame_with_bad_checksum(MessageType::kPing, p2p::encode_payload(ping)));
    bed.expect_discouraged(net::codes::kFrameBadChecksum);
}

TEST_CASE("p2p defence: a frame declaring a length over its type's cap", "[p2p]") {
    DefenceBed bed("p2p-oversize", kShortChain);
    P2pTestPeer& a = bed.ready_attacker();
    // Refused from the header alone: none of the declared bytes follow.
    a.send_raw(
        a.header_with_length(MessageType::kBlock, p2p::max_payload_bytes(MessageType::kBlock) + 1));
    bed.expect_discouraged(net::codes::kFrameOversize);
}

TEST_CASE("p2p defence: a payload that is not protobuf", "[p2p]") {
    DefenceBed bed("p2p-garbage", kShortChain);
    P2pTestPeer& a = bed.ready_attacker();
    a.send_message(MessageType::kHeaders, std::string("\xff\xff\xff\xff garbage \x0f", 14));
    bed.expect_discouraged(p2p::codes::kMalformedPayload);
}

TEST_CASE("p2p defence: a message before verack", "[p2p]") {
    DefenceBed bed("p2p-before-verack", kShortChain);
    P2pTestPeer& a = bed.connect_attacker();
    REQUIRE(step::test::send(a, step::test::devnet_version()));
    // The node answers with its version and verack; ours never comes, a ping does.
    REQUIRE(step::test::await_message(a, MessageType::kVerack));
    step::test::send(a, wire::Ping());
    bed.expect_discouraged(net::codes::kFrameBeforeHandshake);
}

TEST_CASE("p2p defence: headers that never connect, past the allowance", "[p2p]") {
    DefenceBed bed("p2p-non-connecting", kShortChain);
    P2pTestPeer& a = bed.ready_attacker();
    auto orphan_headers = [] {
        step::pb::BlockHeader h = TestBranch(9).next();
        h.set_prev_hash(random_hash_field());  // a parent nobody has
        return headers_of({h});
    };
    // Honest races send a few: up to the allowance the peer is answered, not punished.
    for (uint32_t i = 0; i < p2p::kMaxNonConnectingHeaders; ++i)
        REQUIRE(step::test::send(a, orphan_headers()));
    REQUIRE(step::test::ping_answered(a));
    for (uint32_t i = 0; i <= p2p::kMaxNonConnectingHeaders; ++i)
        if (!step::test::send(a, orphan_headers())) break;
    bed.expect_discouraged(p2p::codes::kNonConnectingHeaders);
}

TEST_CASE("p2p defence: a header with bad proof of work", "[p2p]") {
    DefenceBed bed("p2p-bad-pow", kShortChain);
    P2pTestPeer& a = bed.ready_attacker();
    // A child of genesis right in everything (target, timestamps) but its proof of work.
    step::test::send(a, headers_of({TestBranch(9).with_bad_pow()}));
    bed.expect_discouraged(cs::codes::kBadPow);
}

TEST_CASE("p2p defence: 2,001 headers in one message", "[p2p]") {
    DefenceBed bed("p2p-2001-headers", kShortChain);
    P2pTestPeer& a = bed.ready_attacker();
    TestBranch branch(9);
    std::vector<step::pb::BlockHeader> headers;
    for (uint32_t i = 0; i <= p2p::kMaxHeadersPerMessage; ++i) headers.push_back(branch.next());
    step::test::send(a, headers_of(std::move(headers)));
    bed.expect_discouraged(p2p::codes::kPayloadOverLimit);
}

TEST_CASE("p2p defence: a getheaders with 102 locator hashes", "[p2p]") {
    DefenceBed bed("p2p-102-locator", kShortChain);
    P2pTestPeer& a = bed.ready_attacker();
    wire::GetHeaders m;
    for (uint32_t i = 0; i <= p2p::kMaxLocatorHashes; ++i) m.add_locator(random_hash_field());
    step::test::send(a, m);
    bed.expect_discouraged(p2p::codes::kPayloadOverLimit);
}

TEST_CASE("p2p defence: a flood of unrequested blocks", "[p2p]") {
    DefenceBed bed("p2p-unrequested", kShortChain);
    P2pTestPeer& a = bed.ready_attacker();
    // Blocks of a side branch with valid proof of work that nobody asked for and that do not
    // extend the node's tip: ignored up to the allowance, then the sender is flooding.
    TestBranch branch(9);
    auto next_block = [&] {
        wire::BlockMessage m;
        *m.mutable_block() = TestBranch::empty_block(branch.next());
        return m;
    };
    for (uint32_t i = 0; i < p2p::kMaxUnrequestedBlocks; ++i)
        REQUIRE(step::test::send(a, next_block()));
    REQUIRE(step::test::ping_answered(a));
    for (int i = 0; i < 1000; ++i)
        if (!step::test::send(a, next_block())) break;
    bed.expect_discouraged(p2p::codes::kUnrequestedBlocks);
}

TEST_CASE("p2p defence: 100,000 valid-PoW low-work headers", "[p2p]") {
    // The node's chain outweighs a whole headers message off genesis by more than the reach,
    // so every batch below is too light to keep (docs/p2p.md, "Header spam").
    const uint64_t chain = p2p::kMaxHeadersPerMessage + p2p::kHeaderReachBlocks + 16;
    DefenceBed bed("p2p-low-work", chain);
    const uint64_t best_header = bed.node().result("getchaininfo")["best_header_height"];
    P2pTestPeer& a = bed.ready_attacker();
    TestBranch branch(9);  // ground batch by batch: the node should stop reading long before
    constexpr uint64_t kHeaders = 100'000;
    uint64_t sent = 0;
    while (sent < kHeaders) {
        std::vector<step::pb::BlockHeader> batch;
        for (uint32_t i = 0; i < p2p::kMaxHeadersPerMessage; ++i) batch.push_back(branch.next());
        if (!step::test::send(a, headers_of(std::move(batch)))) break;
        sent += p2p::kMaxHeadersPerMessage;
    }
    INFO("headers sent before the node hung up: " << sent);
    bed.expect_discouraged(p2p::codes::kHeaderSpam);
    // None of them made the node's header chain move.
    CHECK(bed.node().result("getchaininfo")["best_header_height"].get<uint64_t>() <=
          best_header + 1);
}

TEST_CASE("p2p defence: an addr flood", "[p2p]") {
    DefenceBed bed("p2p-addr-flood", kShortChain);
    P2pTestPeer& a = bed.ready_attacker();
    // Whole addr messages of loopback addresses (127.a.b.c: nothing outside the machine).
    uint32_t counter = 0;
    auto next_addr = [&] {
        wire::Addr m;
        for (uint32_t i = 0; i < p2p::kMaxAddrPerMessage; ++i, ++counter) {
            const uint32_t ip = (127u << 24) | (counter & 0xffffffu);
            const uint32_t be = htonl(ip);
            auto* pa = m.add_addresses();
            pa->set_ip(&be, 4);
            pa->set_port(18444);
            pa->set_services(wire::SERVICE_FULL_BLOCKS);
            pa->set_last_seen(1767225600);
        }
        return m;
    };
    const uint64_t flood_messages = p2p::kMaxAddrDroppedPerPeer / p2p::kMaxAddrPerMessage * 10;
    for (uint64_t i = 0; i < flood_messages; ++i)
        if (!step::test::send(a, next_addr())) break;
    bed.expect_discouraged(p2p::codes::kAddrFlood);
}

TEST_CASE("p2p defence: a flood of badly signed transactions", "[p2p]") {
    DefenceBed bed("p2p-bad-sig", kShortChain);
    P2pTestPeer& a = bed.ready_attacker();
    for (uint64_t nonce = 0; nonce < 1000; ++nonce) {
        auto bytes = step::from_hex(step::test::transfer_hex(1, 2, nonce, 1000));
        REQUIRE(bytes);
        auto tx = cs::decode_tx(*bytes);
        REQUIRE(tx.ok());
        std::string sig = tx->signature();
        sig[0] = static_cast<char>(sig[0] ^ 1);
        tx->set_signature(sig);
        wire::TxMessage m;
        *m.mutable_tx() = *tx;
        if (!step::test::send(a, m)) break;
    }
    bed.expect_discouraged(cs::codes::kBadSignature);
}

TEST_CASE("p2p defence: a handshake trickled one byte a second", "[p2p]") {
    DefenceBed bed("p2p-slowloris", kShortChain);
    P2pTestPeer& a = bed.connect_attacker();
    const std::string version =
        a.frame(MessageType::kVersion, p2p::encode_payload(step::test::devnet_version()));
    // Longer than the handshake timeout takes: the node must hang up first.
    REQUIRE(version.size() > 2 * p2p::kHandshakeTimeoutS);
    CHECK_FALSE(a.send_trickle(version, std::chrono::seconds(1)));
    // A handshake held open is the slowloris attack (docs/p2p.md): disconnected and discouraged.
    bed.expect_discouraged(p2p::codes::kHandshakeTimeout);
}
