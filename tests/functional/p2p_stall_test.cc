// A stalling peer against a real stepd (issue 10, "Done means" 5): a test peer completes the
// handshake and serves the headers of a longer chain, but never answers getdata. Once an honest
// stepd holding the same chain is connected, the staller holds up the download window; the node
// drops it (block-download-stall, not discouraged: a slow link is no misbehaviour) and gets
// every block from the honest peer.
#include <catch2/catch.hpp>

#include "consensus/encoding.h"
#include "node/p2p/errors.h"
#include "node/p2p/limits.h"
#include "tests/functional/p2p_bed.h"
#include "tests/functional/transfers.h"

using nlohmann::json;
using step::node::p2p::MessageType;
namespace wire = step::node::p2p::wire;
namespace p2p = step::node::p2p;

namespace {

constexpr char kStallerHost[] = "127.77.0.1";

// The honest node's best chain as headers, genesis excluded.
wire::Headers chain_headers(const step::test::StepdProcess& node, uint64_t height) {
    wire::Headers m;
    for (uint64_t h = 1; h <= height; ++h) {
        const json b = node.result("getblock", {{"height", h}});
        auto bytes = step::from_hex(b["hex"].get<std::string>());
        REQUIRE(bytes);
        auto block = step::consensus::decode_block(*bytes);
        REQUIRE(block.ok());
        *m.add_headers() = block->header();
    }
    return m;
}

}  // namespace

TEST_CASE("p2p: a peer that never answers getdata is dropped and the blocks come from another",
          "[p2p]") {
    // More blocks than one peer may have in flight, so the honest peer gets its share while
    // the staller holds the window's first blocks.
    const uint64_t height = 2 * p2p::kMaxBlocksInFlightPerPeer + 8;
    step::test::StepdProcess honest(step::test::make_temp_dir("p2p-stall-honest"));
    REQUIRE(honest.start());
    honest.result("generate", {{"count", height}, {"address", step::test::address(1)}});
    step::test::StepdProcess node(step::test::make_temp_dir("p2p-stall-node"));
    REQUIRE(node.start());

    // The staller connects first, so the node asks it for the lowest blocks.
    step::test::P2pTestPeer staller = step::test::devnet_peer(node.p2p_port(), kStallerHost);
    REQUIRE(staller.connected());
    REQUIRE(step::test::complete_handshake(staller));
    REQUIRE(step::test::await_message(staller, MessageType::kGetHeaders));
    REQUIRE(step::test::send(staller, chain_headers(honest, height)));
    auto asked = step::test::await_message(staller, MessageType::kGetData);
    REQUIRE(asked);
    CHECK(step::test::decode<wire::GetData>(*asked).items_size() > 0);

    // Then the honest peer: the node fetches the rest from it, finds the window held up by
    // the staller's blocks, drops it, and asks the honest peer for those too.
    const std::string honest_address = "127.0.0.1:" + std::to_string(honest.p2p_port());
    node.result("addnode", {{"address", honest_address}, {"command", "onetry"}});
    REQUIRE(staller.wait_closed(step::test::kP2pWait));
    CHECK(step::test::wait_until([&] {
        return step::test::count_log_lines(
                   node.log(), {kStallerHost, std::string(p2p::codes::kBlockStall.name) + ":"}) ==
               1;
    }));
    REQUIRE(step::test::wait_until([&] {
        return node.result("getchaininfo")["best_hash"] ==
               honest.result("getchaininfo")["best_hash"];
    }));
    // Every block came from the honest peer; the staller is not discouraged.
    // (getpeerinfo is a snapshot refreshed every 100 ms.)
    CHECK(step::test::wait_until([&] {
        for (const json& p : node.result("getpeerinfo"))
            if (p["address"] == honest_address) return p["blocks_received"] == height;
        return false;
    }));
    CHECK(node.result("getnetworkinfo")["blocks_received"].get<uint64_t>() == height);
    for (const json& b : node.result("listbanned")) CHECK(b["address"] != kStallerHost);
}
