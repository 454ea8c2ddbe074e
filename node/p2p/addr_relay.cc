#include "node/p2p/addr_relay.h"

#include <arpa/inet.h>

#include <array>
#include <chrono>

#include "node/log.h"
#include "node/p2p/errors.h"
#include "node/p2p/limits.h"

namespace step::node::p2p {
namespace {

std::chrono::steady_clock::time_point steady_at(int64_t ms) {
    return std::chrono::steady_clock::time_point(std::chrono::milliseconds(ms));
}

}  // namespace

wire::PeerAddress to_wire(const KnownAddress& a) {
    wire::PeerAddress out;
    std::array<unsigned char, 16> bytes{};
    if (inet_pton(AF_INET, a.address.host.c_str(), bytes.data()) == 1) {
        out.set_ip(bytes.data(), 4);
    } else if (inet_pton(AF_INET6, a.address.host.c_str(), bytes.data()) == 1) {
        out.set_ip(bytes.data(), 16);
    }
    out.set_port(a.address.port);
    out.set_services(wire::SERVICE_FULL_BLOCKS);
    out.set_last_seen(a.last_seen);
    return out;
}

std::optional<net::Endpoint> endpoint_from_wire(const wire::PeerAddress& a) {
    std::array<char, INET6_ADDRSTRLEN> text{};
    const int family = a.ip().size() == 4 ? AF_INET : a.ip().size() == 16 ? AF_INET6 : 0;
    if (family == 0 || a.port() == 0 || a.port() > 65535) return std::nullopt;
    if (!inet_ntop(family, a.ip().data(), text.data(), text.size())) return std::nullopt;
    net::Endpoint e{text.data(), static_cast<uint16_t>(a.port())};
    // The one parser gives the canonical spelling (an IPv4-mapped address as IPv4).
    auto canonical = net::parse_endpoint(e.to_string());
    if (!canonical.ok()) return std::nullopt;
    return *canonical;
}

void AddrRelay::on_ready(Peer& peer) {
    if (!peer.addr_tokens) peer.addr_tokens.emplace(steady_at(ctx_.now_ms()));
    if (peer.version && peer.version->listen_port != 0) {
        KnownAddress listening;
        listening.address = {peer.conn.remote.host, peer.version->listen_port};
        listening.last_seen = ctx_.options.unix_now();
        if (book_) book_->add(listening.address, listening.last_seen, "", listening.last_seen);
        forward(peer, listening);
    }
    if (!peer.conn.inbound) {
        peer.addr_tokens->allow_getaddr_answer();
        ctx_.send(peer, wire::GetAddr());
    }
}

void AddrRelay::forward(const Peer& from, const KnownAddress& address) {
    std::vector<Peer*> others;
    for (auto& [id, p] : ctx_.peers)
        if (id != from.id && !p.gone && p.handshake_done) others.push_back(&p);
    for (size_t n = 0; n < kAddrForwardFanout && !others.empty(); ++n) {
        const size_t pick = ctx_.random() % others.size();
        Peer& to = *others[pick];
        others.erase(others.begin() + static_cast<std::ptrdiff_t>(pick));
        if (to.addr_forward.size() >= kMaxQueuedAddrForwards) to.addr_forward.pop_front();
        to.addr_forward.push_back(address);
    }
}

void AddrRelay::tick(Peer& peer) {
    const int64_t now = ctx_.now_ms();
    if (peer.addr_forward.empty() || now < peer.next_addr_forward_ms) return;
    wire::Addr m;
    *m.add_addresses() = to_wire(peer.addr_forward.front());
    peer.addr_forward.pop_front();
    peer.next_addr_forward_ms = now + kAddrForwardIntervalMs;
    ctx_.send(peer, m);
}

void AddrRelay::on_getaddr(Peer& peer) {
    // Answered to inbound peers only, once: an outbound peer asking is what a spy would do.
    if (!peer.conn.inbound || peer.getaddr_answered || !book_) return;
    peer.getaddr_answered = true;
    wire::Addr answer;
    for (const KnownAddress& a :
         book_->sample(kMaxAddrPerGetAddr, ctx_.options.unix_now(), ctx_.random()))
        if (a.address != peer.conn.remote) *answer.add_addresses() = to_wire(a);
    ctx_.send(peer, answer);
}

void AddrRelay::on_addr(Peer& peer, const wire::Addr& m) {
    if (!peer.addr_tokens) peer.addr_tokens.emplace(steady_at(ctx_.now_ms()));
    const size_t allowed =
        peer.addr_tokens->take(static_cast<size_t>(m.addresses_size()), steady_at(ctx_.now_ms()));
    peer.addr_dropped += static_cast<uint64_t>(m.addresses_size()) - allowed;
    if (peer.addr_dropped > kMaxAddrDroppedPerPeer) {
        ctx_.misbehaving(
            peer, Status::error(codes::kAddrFlood, std::to_string(peer.addr_dropped) +
                                                       " gossiped addresses past its rate limit"));
        return;
    }
    if (!book_) return;
    const std::string source = net::netgroup(peer.conn.remote);
    const uint64_t now = ctx_.options.unix_now();
    for (size_t i = 0; i < allowed; ++i) {
        auto e = endpoint_from_wire(m.addresses(static_cast<int>(i)));
        if (e) book_->add(*e, m.addresses(static_cast<int>(i)).last_seen(), source, now);
    }
}

}  // namespace step::node::p2p
