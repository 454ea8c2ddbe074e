// Addresses that misbehaved: the protocol discourages a peer's address (with the reason) when
// it disconnects it for misbehaviour; a discouraged address is the last choice for an outbound
// slot (choose_outbound), waits longer as an --addnode peer (addnode_retry_delay_s), gets an
// inbound slot only while one is free and is the first evicted (TcpTransportOptions::
// is_discouraged). It expires after kDiscourageDurationS. By host, not port: a peer cannot
// escape by reconnecting from another port. Thread-safe (the I/O thread asks while the
// protocol adds).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "node/net/endpoint.h"
#include "node/p2p/limits.h"

namespace step::node::net {

struct DiscouragedAddress {
    std::string host;
    uint64_t until = 0;  // unix seconds
    std::string reason;  // the code and message that caused it, for listbanned and getpeerinfo
};

class Discouragement {
  public:
    explicit Discouragement(size_t capacity = p2p::kMaxDiscouragedAddresses)
        : capacity_(capacity) {}

    // Discourages the host until now + duration_s (a later discouragement extends it). When
    // the list is full, the entry that expires first is forgotten.
    void discourage(const Endpoint& address, std::string reason, uint64_t now,
                    uint64_t duration_s = p2p::kDiscourageDurationS);
    bool is_discouraged(const Endpoint& address, uint64_t now) const;
    std::optional<DiscouragedAddress> find(const Endpoint& address, uint64_t now) const;
    // Every entry not yet expired, by host.
    std::vector<DiscouragedAddress> list(uint64_t now) const;
    bool remove(const Endpoint& address);
    void clear();

  private:
    const size_t capacity_;
    mutable std::mutex mutex_;
    std::map<std::string, DiscouragedAddress> entries_;  // by host
};

}  // namespace step::node::net
