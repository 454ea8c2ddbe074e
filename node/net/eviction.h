// Which inbound peer to drop when every inbound slot is taken and another peer connects: a
// pure function, as Bitcoin's SelectNodeToEvict, so an attacker who opens many connections
// cannot push out the peers that serve us best. Each rule protects a few peers that an
// attacker would find hard to imitate; from what is left, the youngest connection of the most
// crowded netgroup goes.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace step::node::net {

using Clock = std::chrono::steady_clock;

struct EvictionCandidate {
    uint64_t peer = 0;
    Clock::time_point connected{};
    std::string netgroup;                               // net::netgroup of the remote address
    std::optional<std::chrono::microseconds> min_ping;  // none measured yet: the slowest
    std::optional<Clock::time_point> last_block;        // a new valid block from it, if any
    std::optional<Clock::time_point> last_tx;           // a new valid transaction from it, if any
    bool prefer_evict = false;                          // e.g. its address is discouraged
};

// How many peers each rule protects (Bitcoin's numbers).
inline constexpr size_t kEvictProtectNetgroups = 4;  // one each from the distinct netgroups
inline constexpr size_t kEvictProtectPing = 8;       // lowest ping
inline constexpr size_t kEvictProtectTx = 4;         // most recent useful transaction
inline constexpr size_t kEvictProtectBlock = 4;      // most recent useful block
// Then half of the rest, the longest connected: an attacker must hold connections for long.

// The peer to disconnect, or nullopt when every candidate is protected (then refuse the new
// connection). `salt` is a per-node secret: which netgroups are protected cannot be predicted.
std::optional<uint64_t> select_peer_to_evict(std::vector<EvictionCandidate> candidates,
                                             uint64_t salt);

}  // namespace step::node::net
