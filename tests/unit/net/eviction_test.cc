// Inbound eviction (node/net/eviction.h): each protection rule, the choice among the rest, and
// that an attacker's many young connections from one netgroup are what goes.
#include <catch2/catch.hpp>
#include <set>

#include "node/net/eviction.h"

using namespace step::node::net;
using std::chrono::microseconds;
using std::chrono::seconds;

namespace {

const Clock::time_point kT0{};

// Peer `id`, connected `id` seconds after kT0 (higher ids are younger), in `group`.
EvictionCandidate peer(uint64_t id, std::string group = "10.0") {
    EvictionCandidate c;
    c.peer = id;
    c.connected = kT0 + seconds(id);
    c.netgroup = std::move(group);
    return c;
}

// Fills in `n` peers, each in its own netgroup "10.<i>", ids from `first`.
std::vector<EvictionCandidate> distinct_groups(uint64_t first, size_t n) {
    std::vector<EvictionCandidate> out;
    for (size_t i = 0; i < n; ++i)
        out.push_back(peer(first + i, "10." + std::to_string(first + i)));
    return out;
}

}  // namespace

TEST_CASE("No candidates, or too few to pass the protections: nobody is evicted") {
    CHECK(!select_peer_to_evict({}, 1));
    CHECK(!select_peer_to_evict({peer(1)}, 1));
    // Four distinct netgroups: each one's peer is protected.
    CHECK(!select_peer_to_evict(distinct_groups(1, kEvictProtectNetgroups), 7));
}

TEST_CASE("From the unprotected, the youngest of the most crowded netgroup goes") {
    std::vector<EvictionCandidate> c;
    // 20 honest peers in distinct groups, old; an attacker's 20 young ones in one group.
    c = distinct_groups(1, 20);
    for (uint64_t id = 100; id < 120; ++id) c.push_back(peer(id, "66.6"));
    for (uint64_t salt : {0ull, 1ull, 42ull, 0xdeadbeefull}) {
        INFO("salt " << salt);
        CHECK(select_peer_to_evict(c, salt) == 119u);
    }
}

TEST_CASE("The most crowded netgroup loses its youngest, even when another holds a younger peer") {
    // Two netgroups, so netgroup protection (peers 1 and 5) does not depend on the salt; uptime
    // then protects 2, 3, 4, 6, 7, leaving a = {10, 11, 12} and b = {20, 21}.
    std::vector<EvictionCandidate> c = {peer(1, "a"),  peer(2, "a"),  peer(3, "a"),  peer(4, "a"),
                                        peer(10, "a"), peer(11, "a"), peer(12, "a"), peer(5, "b"),
                                        peer(6, "b"),  peer(7, "b"),  peer(20, "b"), peer(21, "b")};
    CHECK(select_peer_to_evict(c, 0) == 12u);
    // One more in b: equally crowded, and b holds the youngest connection.
    c.push_back(peer(22, "b"));
    c.push_back(peer(8, "b"));  // keeps the uptime split even
    CHECK(select_peer_to_evict(c, 0) == 22u);
}

TEST_CASE("The lowest pings are protected") {
    std::vector<EvictionCandidate> c;
    for (uint64_t id = 1; id <= 40; ++id) c.push_back(peer(id, "10.0"));
    // The youngest peers have the best pings: eight of them survive.
    for (auto& e : c)
        if (e.peer > 32) e.min_ping = microseconds(100 + e.peer);
    // Protected: 1 (netgroup), 33..40 (ping), 2..16 (uptime); 32 is the youngest left.
    CHECK(select_peer_to_evict(c, 3) == 32u);
    // Without pings the youngest would go.
    for (auto& e : c) e.min_ping.reset();
    CHECK(select_peer_to_evict(c, 3) == 40u);
}

TEST_CASE("Recent useful blocks and transactions are protected, and never-sent ones are not") {
    std::vector<EvictionCandidate> c;
    for (uint64_t id = 1; id <= 40; ++id) c.push_back(peer(id, "10.0"));
    c[39].last_block = kT0 + seconds(1000);  // peer 40
    c[38].last_tx = kT0 + seconds(1000);     // peer 39
    CHECK(select_peer_to_evict(c, 3) == 38u);
}

TEST_CASE("Half of the rest is protected by uptime") {
    std::vector<EvictionCandidate> c;
    for (uint64_t id = 1; id <= 41; ++id) c.push_back(peer(id, "10.0"));
    // The oldest is protected by netgroup, then the older half of the 40 left; the youngest of
    // one netgroup goes.
    CHECK(select_peer_to_evict(c, 9) == 41u);
    // Moving the youngest into a netgroup of its own protects it (address diversity).
    c.back().netgroup = "10.1";
    CHECK(select_peer_to_evict(c, 9) == 40u);
}

TEST_CASE("A discouraged peer goes first among the unprotected") {
    std::vector<EvictionCandidate> c;
    for (uint64_t id = 1; id <= 40; ++id) c.push_back(peer(id, "10.0"));
    c[30].prefer_evict = true;  // peer 31, not the youngest
    CHECK(select_peer_to_evict(c, 5) == 31u);
    c[30].prefer_evict = false;
    c[1].prefer_evict = true;  // peer 2: old, so protected by uptime and not a candidate
    CHECK(select_peer_to_evict(c, 5) == 40u);
}

TEST_CASE("Which netgroups are protected depends on the node's secret salt") {
    // Eight peers, each its own netgroup: four are protected by netgroup (chosen by the salt),
    // two of the other four by uptime, and the younger of the last two goes.
    const std::vector<EvictionCandidate> c = distinct_groups(1, 8);
    std::set<uint64_t> victims;
    for (uint64_t salt = 0; salt < 64; ++salt) {
        const auto victim = select_peer_to_evict(c, salt);
        REQUIRE(victim);
        victims.insert(*victim);
    }
    // An attacker cannot know which groups are safe: the victim differs from node to node.
    CHECK(victims.size() > 1);
    // The victim is the youngest of the four the salt leaves unprotected: never the three oldest.
    CHECK(*victims.begin() >= 4u);
}
