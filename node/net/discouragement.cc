#include "node/net/discouragement.h"

#include <algorithm>

namespace step::node::net {

void Discouragement::discourage(const Endpoint& address, std::string reason, uint64_t now,
                                uint64_t duration_s) {
    std::lock_guard lock(mutex_);
    std::erase_if(entries_, [&](const auto& e) { return e.second.until <= now; });
    auto it = entries_.find(address.host);
    if (it == entries_.end()) {
        if (capacity_ == 0) return;
        if (entries_.size() >= capacity_) {
            entries_.erase(std::min_element(
                entries_.begin(), entries_.end(),
                [](const auto& a, const auto& b) { return a.second.until < b.second.until; }));
        }
        it = entries_.emplace(address.host, DiscouragedAddress{address.host, 0, {}}).first;
    }
    it->second.until = std::max(it->second.until, now + duration_s);
    it->second.reason = std::move(reason);
}

bool Discouragement::is_discouraged(const Endpoint& address, uint64_t now) const {
    return find(address, now).has_value();
}

std::optional<DiscouragedAddress> Discouragement::find(const Endpoint& address,
                                                       uint64_t now) const {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(address.host);
    if (it == entries_.end() || it->second.until <= now) return std::nullopt;
    return it->second;
}

std::vector<DiscouragedAddress> Discouragement::list(uint64_t now) const {
    std::lock_guard lock(mutex_);
    std::vector<DiscouragedAddress> out;
    for (const auto& [host, e] : entries_)
        if (e.until > now) out.push_back(e);
    return out;
}

bool Discouragement::remove(const Endpoint& address) {
    std::lock_guard lock(mutex_);
    return entries_.erase(address.host) > 0;
}

void Discouragement::clear() {
    std::lock_guard lock(mutex_);
    entries_.clear();
}

}  // namespace step::node::net
