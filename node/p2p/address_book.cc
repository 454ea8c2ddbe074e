#include "node/p2p/address_book.h"

#include <algorithm>
#include <random>

namespace step::node::p2p {

namespace {

// The entry to drop from `range` first: most failed dials, then least recently seen.
template <class It>
It worst(It begin, It end) {
    return std::min_element(begin, end, [](const auto& a, const auto& b) {
        if (a.second.failures != b.second.failures) return a.second.failures > b.second.failures;
        return a.second.last_seen < b.second.last_seen;
    });
}

}  // namespace

bool AddressBook::add(const net::Endpoint& address, uint64_t seen, const std::string& source_group,
                      uint64_t now) {
    seen = std::min(seen, now);
    if (seen + kAddrHorizonS < now) return false;
    std::lock_guard lock(mutex_);
    if (auto it = entries_.find(address); it != entries_.end()) {
        it->second.last_seen = std::max(it->second.last_seen, seen);
        return false;
    }
    KnownAddress entry;
    entry.address = address;
    entry.last_seen = seen;
    entry.source_group = source_group;
    return insert_locked(std::move(entry));
}

bool AddressBook::insert_locked(KnownAddress entry) {
    if (capacity_ == 0) return false;
    const std::string& group = entry.source_group;
    if (!group.empty() && per_group_[group] >= per_source_group_) {
        if (per_source_group_ == 0) return false;
        // The group's own oldest address makes room: its gossip churns only its own share.
        auto oldest = entries_.end();
        for (auto it = entries_.begin(); it != entries_.end(); ++it)
            if (it->second.source_group == group &&
                (oldest == entries_.end() || it->second.last_seen < oldest->second.last_seen))
                oldest = it;
        drop_locked(oldest);
    }
    if (entries_.size() >= capacity_) drop_locked(worst(entries_.begin(), entries_.end()));
    if (!group.empty()) ++per_group_[group];
    entries_.emplace(entry.address, std::move(entry));
    return true;
}

void AddressBook::drop_locked(std::map<net::Endpoint, KnownAddress>::iterator it) {
    if (it == entries_.end()) return;
    if (const std::string& group = it->second.source_group; !group.empty()) {
        auto g = per_group_.find(group);
        if (--g->second == 0) per_group_.erase(g);
    }
    entries_.erase(it);
}

void AddressBook::record_dial(const net::Endpoint& address, bool success, uint64_t now) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(address);
    if (it == entries_.end()) return;
    KnownAddress& e = it->second;
    e.last_try = now;
    if (success) {
        e.failures = 0;
        e.last_success = now;
        e.last_seen = now;
    } else {
        ++e.failures;
    }
}

std::vector<net::DialCandidate> AddressBook::dial_candidates() const {
    std::lock_guard lock(mutex_);
    std::vector<net::DialCandidate> out;
    out.reserve(entries_.size());
    for (const auto& [address, e] : entries_) out.push_back({address, e.last_try, e.failures});
    return out;
}

std::vector<KnownAddress> AddressBook::sample(size_t n, uint64_t now, uint64_t random) const {
    std::vector<KnownAddress> fresh;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [address, e] : entries_)
            if (e.last_seen + kAddrHorizonS >= now) fresh.push_back(e);
    }
    std::shuffle(fresh.begin(), fresh.end(), std::mt19937_64(random));
    if (fresh.size() > n) fresh.resize(n);
    return fresh;
}

std::vector<KnownAddress> AddressBook::entries() const {
    std::lock_guard lock(mutex_);
    std::vector<KnownAddress> out;
    out.reserve(entries_.size());
    for (const auto& [address, e] : entries_) out.push_back(e);
    return out;
}

void AddressBook::load(const std::vector<KnownAddress>& loaded, uint64_t now) {
    std::lock_guard lock(mutex_);
    entries_.clear();
    per_group_.clear();
    for (KnownAddress e : loaded) {
        e.last_seen = std::min(e.last_seen, now);
        if (e.last_seen + kAddrHorizonS < now || entries_.count(e.address)) continue;
        insert_locked(std::move(e));
    }
}

size_t AddressBook::size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

size_t AddressBook::count_from(const std::string& source_group) const {
    std::lock_guard lock(mutex_);
    auto it = per_group_.find(source_group);
    return it == per_group_.end() ? 0 : it->second;
}

size_t AddrTokenBucket::take(size_t count, Clock::time_point now) {
    if (now > last_) {
        const double elapsed = std::chrono::duration<double>(now - last_).count();
        tokens_ = std::min(kMaxAddrTokens, tokens_ + elapsed * kAddrTokensPerSecond);
        last_ = now;
    }
    const size_t allowed = std::min(count, static_cast<size_t>(tokens_));
    tokens_ -= static_cast<double>(allowed);
    return allowed;
}

void AddrTokenBucket::allow_getaddr_answer() {
    tokens_ = std::min(kMaxAddrTokens, tokens_ + kMaxAddrPerMessage);
}

}  // namespace step::node::p2p
