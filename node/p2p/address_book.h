// The addresses a node knows of peers: from --connect/--addnode, seeds, connections and addr
// gossip. Bounded (kMaxAddressBookEntries, and kMaxAddrPerSourceGroup per gossiping netgroup,
// so whoever controls one /16 cannot fill it); saved in <datadir>/peers.dat by
// node/p2p/peers_file.h (stepd does not load or save it yet: issue 10). The dialer picks from
// it with net::choose_outbound. Thread-safe.
//
// Addr gossip is rate-limited per peer by AddrTokenBucket before it reaches the book:
// addresses past the peer's tokens are dropped (not punished; an addr message longer than
// kMaxAddrPerMessage is the protocol's to punish).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "node/net/dial_policy.h"
#include "node/net/endpoint.h"
#include "node/p2p/limits.h"

namespace step::node::p2p {

struct KnownAddress {
    net::Endpoint address;
    uint64_t last_seen = 0;  // unix seconds it was last heard of (gossip) or connected
    std::string
        source_group;  // netgroup of the peer that gossiped it; "" when we learned it ourselves
    uint64_t last_try = 0;      // unix seconds of our last dial; 0 = never
    uint64_t last_success = 0;  // unix seconds of our last successful dial; 0 = never
    uint32_t failures = 0;      // consecutive failed dials

    friend bool operator==(const KnownAddress&, const KnownAddress&) = default;
};

class AddressBook {
  public:
    explicit AddressBook(size_t capacity = kMaxAddressBookEntries,
                         size_t per_source_group = kMaxAddrPerSourceGroup)
        : capacity_(capacity), per_source_group_(per_source_group) {}

    // Adds or refreshes an address heard of at `seen` (a future time counts as now; one older than
    // kAddrHorizonS is ignored) from a peer in `source_group` ("" = ourselves: config, a
    // connection). True when it was new. A source group at its cap replaces its own oldest
    // address; a full book drops its worst (most failed dials, then least recently seen).
    bool add(const net::Endpoint& address, uint64_t seen, const std::string& source_group,
             uint64_t now);
    // The outcome of a dial: a success refreshes the address and clears its failures.
    void record_dial(const net::Endpoint& address, bool success, uint64_t now);

    // What choose_outbound picks from.
    std::vector<net::DialCandidate> dial_candidates() const;
    // Up to n addresses seen within kAddrHorizonS, for a getaddr answer; `random` seeds which.
    std::vector<KnownAddress> sample(size_t n, uint64_t now, uint64_t random) const;
    // Every entry (for peers.dat), in address order.
    std::vector<KnownAddress> entries() const;
    // Replaces the contents with a loaded peers.dat: entries past the horizon are dropped and
    // the bounds apply as for add.
    void load(const std::vector<KnownAddress>& entries, uint64_t now);
    size_t size() const;
    // How many addresses the book holds from gossip of this source group.
    size_t count_from(const std::string& source_group) const;

  private:
    bool insert_locked(KnownAddress entry);
    void drop_locked(std::map<net::Endpoint, KnownAddress>::iterator it);

    const size_t capacity_;
    const size_t per_source_group_;
    mutable std::mutex mutex_;
    std::map<net::Endpoint, KnownAddress> entries_;
    std::map<std::string, size_t> per_group_;
};

// Per peer: how many gossiped addresses it may have processed. Starts with one token, gains
// kAddrTokensPerSecond up to kMaxAddrTokens; our getaddr grants a whole message's worth.
class AddrTokenBucket {
  public:
    using Clock = std::chrono::steady_clock;
    explicit AddrTokenBucket(Clock::time_point now) : last_(now) {}

    // How many of `count` gossiped addresses to process now (the first ones); takes as many tokens.
    size_t take(size_t count, Clock::time_point now);
    // We asked this peer for addresses: its answer may be a whole addr message.
    void allow_getaddr_answer();
    double tokens() const { return tokens_; }

  private:
    double tokens_ = 1.0;
    Clock::time_point last_;
};

}  // namespace step::node::p2p
