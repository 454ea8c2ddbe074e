// Hashes a peer is known to have (it sent or announced them, or we sent them): nothing is
// announced to a peer twice. Bounded: the oldest are forgotten first (kMaxKnownInventory).
#pragma once

#include <deque>
#include <unordered_set>

#include "common/bytes.h"
#include "node/chain/chain_manager.h"
#include "node/p2p/limits.h"

namespace step::node::p2p {

class KnownInventory {
public:
    explicit KnownInventory(size_t capacity = kMaxKnownInventory) : capacity_(capacity) {}
    void add(const Hash256& h) {
        if (!set_.insert(h).second) return;
        order_.push_back(h);
        if (order_.size() > capacity_) {
            set_.erase(order_.front());
            order_.pop_front();
        }
    }
    bool contains(const Hash256& h) const { return set_.count(h) > 0; }
    size_t size() const { return set_.size(); }

private:
    size_t capacity_;
    std::deque<Hash256> order_;
    std::unordered_set<Hash256, Hash256Hasher> set_;
};

}  // namespace step::node::p2p
