// The dialer's rules, as pure functions: which addresses may be dialled at all, how the
// connection slots split between inbound and outbound peers, which known address to dial next
// (distinct netgroups first), and when to retry an --addnode peer.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "node/net/endpoint.h"

namespace step::node::net {

// The one rule applied before every outbound connection: with loopback_only (devnet,
// consensus::Params::p2p_dial_loopback_only) only 127.0.0.0/8 and ::1 are dialled, so a
// devnet node that learns other addresses by gossip still never leaves the machine; port 0 is
// never dialled. Error: codes::kDialRefused.
Status check_dial(const Endpoint& to, bool loopback_only);

struct ConnectionSlots {
    uint32_t inbound = 0;
    uint32_t outbound = 0;
};

// Outbound peers take up to `outbound_target` of `max_connections`; inbound peers the rest.
ConnectionSlots split_connection_slots(uint32_t max_connections, uint32_t outbound_target);

// Seconds an address waits after `failures` consecutive failed dials: none after none, then
// kDialRetryBaseS doubling to kDialRetryMaxS.
uint64_t dial_retry_delay_s(uint32_t failures);

// When an --addnode peer (kept connected whatever happens) is dialled next after `failures`
// consecutive failures since it was last connected: kAddnodeRetryBaseS doubling to
// kAddnodeRetryMaxS; a discouraged one waits at least kDiscouragedAddnodeRetryS.
uint64_t addnode_retry_delay_s(uint32_t failures, bool discouraged);

// A known address, as the address book holds it, for choose_outbound.
struct DialCandidate {
    Endpoint address;
    uint64_t last_try = 0;  // unix seconds of our last dial; 0 = never
    uint32_t failures = 0;  // consecutive failed dials
};

struct OutboundContext {
    std::set<Endpoint> connected;                         // every current peer: never dialled twice
    std::set<std::string> outbound_netgroups;             // netgroups of our outbound peers
    bool loopback_only = false;                           // check_dial's rule
    std::function<bool(const Endpoint&)> is_discouraged;  // may be empty
};

// The next address to dial for an outbound slot, or nullopt when none may be dialled now.
// Only addresses check_dial allows, not connected and past their retry delay (at least
// kMinRedialIntervalS after any dial) are eligible;
// among them, in order of preference: a netgroup none of our outbound peers is in, then any
// netgroup, then discouraged addresses. Within the best non-empty tier, `random` picks one
// uniformly (the caller draws it), so the choice is a pure function and testable.
std::optional<Endpoint> choose_outbound(const std::vector<DialCandidate>& book,
                                        const OutboundContext& context, uint64_t now,
                                        uint64_t random);

}  // namespace step::node::net
