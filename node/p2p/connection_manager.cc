#include "node/p2p/connection_manager.h"

#include "node/net/dial_policy.h"

namespace step::node::p2p {

ConnectionManager::ConnectionManager(ConnectionManagerOptions options, AddressBook& book,
                                     net::Discouragement& discouragement, Transport& transport,
                                     TransportListener& next)
    : options_(std::move(options)),
      book_(book),
      discouragement_(discouragement),
      transport_(transport),
      next_(next) {
    // --connect replaces every other outbound peer; otherwise the --addnode peers are kept.
    const auto& manual = options_.connect.empty() ? options_.addnode : options_.connect;
    for (const net::Endpoint& at : manual)
        if (!find_manual_locked(at)) {
            Manual m;
            m.address = at;
            manual_.push_back(m);
        }
}

void ConnectionManager::set_own_address(const net::Endpoint& address) {
    std::lock_guard lock(mutex_);
    own_address_ = address;
}

void ConnectionManager::note_listener(const net::Endpoint& listening, bool connected) {
    std::lock_guard lock(mutex_);
    if (connected) {
        connected_listeners_.insert(listening);
    } else if (auto it = connected_listeners_.find(listening); it != connected_listeners_.end()) {
        connected_listeners_.erase(it);
    }
}

bool ConnectionManager::add_manual(const net::Endpoint& address) {
    std::lock_guard lock(mutex_);
    if (find_manual_locked(address)) return false;
    Manual m;
    m.address = address;
    manual_.push_back(m);
    return true;
}

bool ConnectionManager::remove_manual(const net::Endpoint& address) {
    std::lock_guard lock(mutex_);
    for (auto it = manual_.begin(); it != manual_.end(); ++it) {
        if (it->address != address) continue;
        manual_.erase(it);
        return true;
    }
    return false;
}

ConnectionManager::Manual* ConnectionManager::find_manual_locked(const net::Endpoint& address) {
    for (Manual& m : manual_)
        if (m.address == address) return &m;
    return nullptr;
}

void ConnectionManager::schedule_manual_locked(Manual& m, uint64_t now) {
    m.dialling = false;
    m.next_attempt = now + net::addnode_retry_delay_s(
                               m.failures, discouragement_.is_discouraged(m.address, now));
}

std::vector<net::Endpoint> ConnectionManager::due_manual_locked(uint64_t now) {
    std::vector<net::Endpoint> due;
    for (Manual& m : manual_) {
        if (m.peer || m.dialling || now < m.next_attempt || connected_listeners_.count(m.address))
            continue;
        m.dialling = true;
        due.push_back(m.address);
    }
    return due;
}

std::vector<net::Endpoint> ConnectionManager::due_automatic_locked(uint64_t now) {
    std::vector<net::Endpoint> due;
    if (!options_.connect.empty()) return due;
    net::OutboundContext context;
    context.loopback_only = options_.loopback_only;
    context.is_discouraged = [&](const net::Endpoint& e) {
        return discouragement_.is_discouraged(e, now);
    };
    for (const Manual& m : manual_)
        context.connected.insert(m.address);  // dialled on their own schedule
    if (own_address_) context.connected.insert(*own_address_);
    context.connected.insert(connected_listeners_.begin(), connected_listeners_.end());
    for (const net::Endpoint& e : dialling_automatic_) {
        context.connected.insert(e);
        context.outbound_netgroups.insert(net::netgroup(e));
    }
    for (const auto& [id, p] : peers_) {
        context.connected.insert(p.remote);
        if (!p.inbound) context.outbound_netgroups.insert(net::netgroup(p.remote));
    }
    size_t outbound = automatic_outbound_locked();
    const std::vector<net::DialCandidate> book = book_.dial_candidates();
    while (outbound < options_.outbound_target) {
        const auto pick = net::choose_outbound(book, context, now, options_.random());
        if (!pick) break;
        context.connected.insert(*pick);
        context.outbound_netgroups.insert(net::netgroup(*pick));
        dialling_automatic_.insert(*pick);
        due.push_back(*pick);
        ++outbound;
    }
    return due;
}

size_t ConnectionManager::automatic_outbound_locked() const {
    size_t n = dialling_automatic_.size();
    for (const auto& [id, p] : peers_) n += p.automatic ? 1 : 0;
    return n;
}

size_t ConnectionManager::automatic_outbound() const {
    std::lock_guard lock(mutex_);
    return automatic_outbound_locked();
}

void ConnectionManager::tick() {
    const uint64_t now = options_.clock();
    std::vector<net::Endpoint> dial;
    {
        std::lock_guard lock(mutex_);
        dial = due_manual_locked(now);
        for (const net::Endpoint& e : due_automatic_locked(now)) dial.push_back(e);
    }
    for (const net::Endpoint& e : dial) transport_.connect(e);
}

void ConnectionManager::on_connected(PeerId peer, const ConnectionInfo& info) {
    const uint64_t now = options_.clock();
    {
        std::lock_guard lock(mutex_);
        Peer p{info.remote, info.inbound, false};
        if (!info.inbound) {
            p.automatic = dialling_automatic_.erase(info.remote) > 0;
            if (Manual* m = find_manual_locked(info.remote)) {
                m->dialling = false;
                m->failures = 0;
                m->peer = peer;
            }
            book_.record_dial(info.remote, true, now);
        }
        peers_[peer] = p;
    }
    next_.on_connected(peer, info);
}

void ConnectionManager::on_connect_failed(const net::Endpoint& to, const Status& why) {
    const uint64_t now = options_.clock();
    {
        std::lock_guard lock(mutex_);
        dialling_automatic_.erase(to);
        if (Manual* m = find_manual_locked(to); m && m->dialling) {
            ++m->failures;
            schedule_manual_locked(*m, now);
        }
        book_.record_dial(to, false, now);
    }
    next_.on_connect_failed(to, why);
}

void ConnectionManager::on_message(PeerId peer, MessageType type, std::string payload) {
    next_.on_message(peer, type, std::move(payload));
}

void ConnectionManager::on_framing_error(PeerId peer, const Status& why) {
    next_.on_framing_error(peer, why);
}

void ConnectionManager::on_disconnected(PeerId peer) {
    const uint64_t now = options_.clock();
    {
        std::lock_guard lock(mutex_);
        auto it = peers_.find(peer);
        if (it != peers_.end()) {
            for (Manual& m : manual_)
                if (m.peer == peer) {
                    m.peer.reset();
                    schedule_manual_locked(m, now);
                }
            peers_.erase(it);
        }
    }
    next_.on_disconnected(peer);
}

}  // namespace step::node::p2p
