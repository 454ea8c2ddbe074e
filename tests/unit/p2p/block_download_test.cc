// The block download scheduler alone: window, per-peer cap, stall rules.
#include <catch2/catch.hpp>

#include "node/p2p/block_download.h"

using namespace step;
using namespace step::node;
using namespace step::node::p2p;

namespace {

std::vector<BlockToFetch> blocks(uint64_t first, uint64_t count) {
    std::vector<BlockToFetch> out;
    for (uint64_t h = first; h < first + count; ++h) {
        Hash256 hash{};
        std::memcpy(hash.data(), &h, sizeof h);
        out.push_back({hash, h});
    }
    return out;
}

const auto has_all = [](const BlockToFetch&) { return true; };

}  // namespace

TEST_CASE("blocks are asked lowest first, each of one peer, within the per-peer cap") {
    BlockDownload d(4, 1000, 8000);
    const auto wanted = blocks(1, 10);
    const auto a = d.assign(1, wanted, has_all);
    REQUIRE(a.size() == 4);
    CHECK(a.front() == wanted[0].hash);
    CHECK(a.back() == wanted[3].hash);
    const auto b = d.assign(2, wanted, has_all);
    REQUIRE(b.size() == 4);
    CHECK(b.front() == wanted[4].hash);           // nothing asked twice
    CHECK(d.assign(1, wanted, has_all).empty());  // peer 1 is full
    CHECK(d.free_slots(1) == 0);

    // A peer is only asked for what it has.
    const auto c = d.assign(3, wanted, [](const BlockToFetch& x) { return x.height != 9; });
    REQUIRE(c.size() == 1);
    CHECK(c.front() == wanted[9].hash);

    CHECK(d.received(1, wanted[0].hash));
    CHECK_FALSE(d.received(2, wanted[1].hash));  // asked of peer 1, not 2
    CHECK(d.free_slots(1) == 1);
    d.not_found(2, wanted[4].hash);
    CHECK_FALSE(d.is_in_flight(wanted[4].hash));
    d.peer_gone(1);
    CHECK(d.in_flight(1) == 0);
    CHECK_FALSE(d.is_in_flight(wanted[1].hash));
    CHECK(d.total_in_flight() == 4);  // peer 2's three and peer 3's one
}

TEST_CASE("the peer holding up a stalled window is named after the timeout, which then doubles") {
    BlockDownload d(2, 1000, 4000);
    const auto wanted = blocks(1, 4);
    d.assign(1, wanted, has_all);  // heights 1, 2: the window's first block
    d.assign(2, wanted, has_all);  // heights 3, 4
    d.received(2, wanted[2].hash);

    // Not stalled while some wanted block is not in flight, or nobody could take more.
    CHECK_FALSE(d.staller(wanted, true, 0).has_value());
    const std::vector<BlockToFetch> rest{wanted[0], wanted[1], wanted[3]};
    CHECK_FALSE(d.staller(rest, false, 0).has_value());

    CHECK_FALSE(d.staller(rest, true, 10'000).has_value());  // the stall starts now
    CHECK_FALSE(d.staller(rest, true, 10'999).has_value());
    auto culprit = d.staller(rest, true, 11'000);
    REQUIRE(culprit.has_value());
    CHECK(*culprit == 1);
    CHECK(d.stall_timeout_ms() == 2000);  // doubled for the next staller
    d.peer_gone(1);

    // Peer 2 now holds the window's first block and stalls too: it gets the doubled timeout.
    d.assign(2, rest, has_all);  // height 1, its one free slot (it still holds height 4)
    d.assign(3, rest, has_all);  // height 2
    CHECK_FALSE(d.staller(rest, true, 20'000).has_value());
    CHECK_FALSE(d.staller(rest, true, 21'999).has_value());
    CHECK(d.staller(rest, true, 22'000) == std::optional<PeerId>(2));
    CHECK(d.stall_timeout_ms() == 4000);
    d.peer_gone(2);
    d.assign(3, rest, has_all);  // height 1
    d.assign(4, rest, has_all);  // height 4
    CHECK_FALSE(d.staller(rest, true, 30'000).has_value());
    CHECK(d.staller(rest, true, 34'000) == std::optional<PeerId>(3));
    CHECK(d.stall_timeout_ms() == 4000);  // capped
    d.peer_gone(3);

    // Progress (the window's first block arriving) resets it.
    d.assign(5, rest, has_all);
    CHECK(d.received(5, rest[0].hash));
    CHECK(d.stall_timeout_ms() == 1000);
}
