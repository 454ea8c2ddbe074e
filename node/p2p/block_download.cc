#include "node/p2p/block_download.h"

#include <algorithm>

namespace step::node::p2p {

BlockDownload::BlockDownload(uint32_t max_in_flight_per_peer, int64_t base_stall_ms,
                             int64_t max_stall_ms)
    : max_per_peer_(max_in_flight_per_peer),
      base_stall_ms_(base_stall_ms),
      max_stall_ms_(max_stall_ms),
      stall_ms_(base_stall_ms) {}

uint32_t BlockDownload::free_slots(PeerId peer) const {
    const size_t used = in_flight(peer);
    return used >= max_per_peer_ ? 0 : max_per_peer_ - static_cast<uint32_t>(used);
}

size_t BlockDownload::in_flight(PeerId peer) const {
    auto it = by_peer_.find(peer);
    return it == by_peer_.end() ? 0 : it->second.size();
}

std::vector<Hash256> BlockDownload::assign(
    PeerId peer, const std::vector<BlockToFetch>& wanted,
    const std::function<bool(const BlockToFetch&)>& peer_has) {
    std::vector<Hash256> out;
    uint32_t slots = free_slots(peer);
    for (const BlockToFetch& b : wanted) {
        if (slots == 0) break;
        if (is_in_flight(b.hash) || !peer_has(b)) continue;
        in_flight_[b.hash] = {peer, b.height};
        by_peer_[peer].insert(b.hash);
        out.push_back(b.hash);
        --slots;
    }
    return out;
}

void BlockDownload::release(const Hash256& hash) {
    auto it = in_flight_.find(hash);
    if (it == in_flight_.end()) return;
    auto peer = by_peer_.find(it->second.peer);
    if (peer != by_peer_.end()) {
        peer->second.erase(hash);
        if (peer->second.empty()) by_peer_.erase(peer);
    }
    in_flight_.erase(it);
}

bool BlockDownload::received(PeerId peer, const Hash256& hash) {
    auto it = in_flight_.find(hash);
    if (it == in_flight_.end() || it->second.peer != peer) return false;
    // The lowest block in flight is the window's first: its arrival moves the window (progress).
    const uint64_t height = it->second.height;
    const bool lowest = std::all_of(in_flight_.begin(), in_flight_.end(),
                                    [&](const auto& kv) { return kv.second.height >= height; });
    if (lowest) stall_ms_ = base_stall_ms_;
    if (stalled_block_ == hash) stalled_block_.reset();
    release(hash);
    return true;
}

void BlockDownload::not_found(PeerId peer, const Hash256& hash) {
    auto it = in_flight_.find(hash);
    if (it != in_flight_.end() && it->second.peer == peer) release(hash);
}

void BlockDownload::peer_gone(PeerId peer) {
    auto it = by_peer_.find(peer);
    if (it == by_peer_.end()) return;
    const std::set<Hash256> hashes = it->second;
    for (const Hash256& h : hashes) release(h);
}

std::optional<PeerId> BlockDownload::staller(const std::vector<BlockToFetch>& wanted, bool hungry,
                                             int64_t now_ms) {
    const bool stalled = hungry && !wanted.empty() &&
                         std::all_of(wanted.begin(), wanted.end(),
                                     [&](const auto& b) { return is_in_flight(b.hash); });
    if (!stalled) {
        stalled_block_.reset();
        return std::nullopt;
    }
    const Hash256& first = wanted.front().hash;
    if (stalled_block_ != first) {
        stalled_block_ = first;
        stalled_since_ms_ = now_ms;
        return std::nullopt;
    }
    if (now_ms - stalled_since_ms_ < stall_ms_) return std::nullopt;
    const PeerId culprit = in_flight_.at(first).peer;
    stalled_block_.reset();
    stall_ms_ = std::min(stall_ms_ * 2, max_stall_ms_);
    return culprit;
}

}  // namespace step::node::p2p
