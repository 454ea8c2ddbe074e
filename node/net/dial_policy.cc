#include "node/net/dial_policy.h"

#include <algorithm>

#include "node/net/errors.h"
#include "node/p2p/limits.h"

namespace step::node::net {

Status check_dial(const Endpoint& to, bool loopback_only) {
    if (to.port == 0)
        return Status::error(codes::kDialRefused, to.to_string() + ": port 0 is not dialled");
    if (loopback_only && !is_loopback(to))
        return Status::error(
            codes::kDialRefused,
            to.to_string() + ": this network dials 127.0.0.0/8 only (devnet stays on the machine)");
    return Status();
}

ConnectionSlots split_connection_slots(uint32_t max_connections, uint32_t outbound_target) {
    ConnectionSlots s;
    s.outbound = std::min(max_connections, outbound_target);
    s.inbound = max_connections - s.outbound;
    return s;
}

namespace {

// base * 2^(n-1), capped (n >= 1).
uint64_t doubling(uint32_t n, uint64_t base, uint64_t cap) {
    const uint32_t shift = std::min<uint32_t>(n - 1, 32);
    return std::min(cap, base << shift);
}

}  // namespace

uint64_t dial_retry_delay_s(uint32_t failures) {
    return failures == 0 ? 0 : doubling(failures, p2p::kDialRetryBaseS, p2p::kDialRetryMaxS);
}

uint64_t addnode_retry_delay_s(uint32_t failures, bool discouraged) {
    const uint64_t delay =
        doubling(std::max<uint32_t>(failures, 1), p2p::kAddnodeRetryBaseS, p2p::kAddnodeRetryMaxS);
    return discouraged ? std::max(delay, p2p::kDiscouragedAddnodeRetryS) : delay;
}

std::optional<Endpoint> choose_outbound(const std::vector<DialCandidate>& book,
                                        const OutboundContext& context, uint64_t now,
                                        uint64_t random) {
    enum Tier { kNewNetgroup, kAnyNetgroup, kDiscouraged, kTiers };
    std::vector<const Endpoint*> tiers[kTiers];
    for (const DialCandidate& c : book) {
        if (context.connected.count(c.address) ||
            !check_dial(c.address, context.loopback_only).ok())
            continue;
        if (c.last_try != 0 &&
            now < c.last_try + std::max(p2p::kMinRedialIntervalS, dial_retry_delay_s(c.failures)))
            continue;
        Tier tier =
            context.outbound_netgroups.count(netgroup(c.address)) ? kAnyNetgroup : kNewNetgroup;
        if (context.is_discouraged && context.is_discouraged(c.address)) tier = kDiscouraged;
        tiers[tier].push_back(&c.address);
    }
    for (const auto& tier : tiers)
        if (!tier.empty()) return *tier[random % tier.size()];
    return std::nullopt;
}

}  // namespace step::node::net
