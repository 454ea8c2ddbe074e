#include "node/net/eviction.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

namespace step::node::net {
namespace {

using Candidates = std::vector<EvictionCandidate>;

uint64_t mix(uint64_t x) {  // splitmix64's finaliser
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

// Removes the (up to) k candidates that `better` ranks first, among those `eligible` (a peer
// that never sent a block is not protected as a block source).
template <class Better, class Eligible>
void protect(Candidates& c, size_t k, Better better, Eligible eligible) {
    std::stable_sort(c.begin(), c.end(), better);
    size_t n = 0;
    while (n < std::min(k, c.size()) && eligible(c[n])) ++n;
    c.erase(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(n));
}

bool always(const EvictionCandidate&) {
    return true;
}

// One peer (the longest connected) from each of up to k netgroups, chosen by a salted order.
void protect_netgroups(Candidates& c, size_t k, uint64_t salt) {
    std::map<uint64_t, const EvictionCandidate*> oldest_by_key;
    for (const auto& e : c) {
        const uint64_t key = mix(std::hash<std::string>{}(e.netgroup) ^ salt);
        auto [it, inserted] = oldest_by_key.emplace(key, &e);
        if (!inserted && e.connected < it->second->connected) it->second = &e;
    }
    std::set<uint64_t> keep;
    for (auto it = oldest_by_key.begin(); it != oldest_by_key.end() && keep.size() < k; ++it)
        keep.insert(it->second->peer);
    std::erase_if(c, [&](const EvictionCandidate& e) { return keep.count(e.peer) > 0; });
}

bool lower_ping(const EvictionCandidate& a, const EvictionCandidate& b) {
    if (a.min_ping.has_value() != b.min_ping.has_value()) return a.min_ping.has_value();
    return a.min_ping && *a.min_ping < *b.min_ping;
}

bool later(const std::optional<Clock::time_point>& a, const std::optional<Clock::time_point>& b) {
    if (a.has_value() != b.has_value()) return a.has_value();
    return a && *a > *b;
}

// The youngest connection of the netgroup with the most connections; between equally crowded
// netgroups, the one whose newest connection is youngest.
uint64_t youngest_of_largest_netgroup(const Candidates& c) {
    std::map<std::string, std::vector<const EvictionCandidate*>> groups;
    for (const auto& e : c) groups[e.netgroup].push_back(&e);
    const EvictionCandidate* victim = nullptr;
    size_t victim_group_size = 0;
    for (const auto& [group, members] : groups) {
        const EvictionCandidate* youngest =
            *std::max_element(members.begin(), members.end(),
                              [](auto* a, auto* b) { return a->connected < b->connected; });
        if (members.size() > victim_group_size ||
            (members.size() == victim_group_size && youngest->connected > victim->connected)) {
            victim = youngest;
            victim_group_size = members.size();
        }
    }
    return victim->peer;
}

}  // namespace

std::optional<uint64_t> select_peer_to_evict(Candidates c, uint64_t salt) {
    protect_netgroups(c, kEvictProtectNetgroups, salt);
    protect(c, kEvictProtectPing, lower_ping, [](const auto& e) { return e.min_ping.has_value(); });
    protect(
        c, kEvictProtectTx,
        [](const auto& a, const auto& b) { return later(a.last_tx, b.last_tx); },
        [](const auto& e) { return e.last_tx.has_value(); });
    protect(
        c, kEvictProtectBlock,
        [](const auto& a, const auto& b) { return later(a.last_block, b.last_block); },
        [](const auto& e) { return e.last_block.has_value(); });
    protect(
        c, c.size() / 2, [](const auto& a, const auto& b) { return a.connected < b.connected; },
        always);
    if (c.empty()) return std::nullopt;
    if (std::any_of(c.begin(), c.end(), [](const auto& e) { return e.prefer_evict; }))
        std::erase_if(c, [](const auto& e) { return !e.prefer_evict; });
    return youngest_of_largest_netgroup(c);
}

}  // namespace step::node::net
