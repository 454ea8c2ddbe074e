// Which blocks to ask of which peer, and who is holding up the download: a pure scheduler (no
// clock, no I/O; the caller passes the time), so every rule is unit-tested alone.
//
// - Blocks are asked lowest first from the chain's blocks_to_fetch (the best header chain's
//   blocks without bodies, within kBlockDownloadWindow of the last block it shares with the
//   active chain), each from one peer at a time, at most kMaxBlocksInFlightPerPeer per peer.
// - The window is stalled when every wanted block is in flight and some peer could take more:
//   if the window's first block then stays in flight from one peer for the stall timeout, that
//   peer is the staller (dropped by the caller, its blocks asked of others). The timeout
//   doubles with each staller, up to kMaxBlockStallTimeoutS, so a slow link of our own does
//   not drop every peer in turn; it returns to kBlockStallTimeoutS when the window's first
//   block arrives (progress).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

#include "node/chain/chain_manager.h"
#include "node/p2p/limits.h"
#include "node/p2p/transport.h"

namespace step::node::p2p {

class BlockDownload {
public:
    BlockDownload(uint32_t max_in_flight_per_peer = kMaxBlocksInFlightPerPeer,
                  int64_t base_stall_ms = static_cast<int64_t>(kBlockStallTimeoutS) * 1000,
                  int64_t max_stall_ms = static_cast<int64_t>(kMaxBlockStallTimeoutS) * 1000);

    // Blocks to request from `peer`: the lowest of `wanted` (lowest first) not in flight that
    // `peer_has`, up to the peer's free slots. They are in flight from `peer` from now on.
    std::vector<Hash256> assign(PeerId peer, const std::vector<BlockToFetch>& wanted,
                                const std::function<bool(const BlockToFetch&)>& peer_has);
    // A block arrived from `peer`: true when it was in flight from that peer (now freed).
    bool received(PeerId peer, const Hash256& hash);
    // The peer said it does not have the block (notfound): ask someone else.
    void not_found(PeerId peer, const Hash256& hash);
    // The peer is gone: its blocks are free for others.
    void peer_gone(PeerId peer);

    // The peer holding up the window, if the window has been stalled on it for the stall
    // timeout (see above). `hungry`: some connected peer has free slots. Doubles the timeout
    // when it names one.
    std::optional<PeerId> staller(const std::vector<BlockToFetch>& wanted, bool hungry,
                                  int64_t now_ms);

    size_t in_flight(PeerId peer) const;
    bool is_in_flight(const Hash256& hash) const { return in_flight_.count(hash) > 0; }
    size_t total_in_flight() const { return in_flight_.size(); }
    uint32_t free_slots(PeerId peer) const;
    int64_t stall_timeout_ms() const { return stall_ms_; }

private:
    struct Request {
        PeerId peer = 0;
        uint64_t height = 0;
    };
    void release(const Hash256& hash);

    uint32_t max_per_peer_;
    int64_t base_stall_ms_;
    int64_t max_stall_ms_;
    int64_t stall_ms_;
    std::unordered_map<Hash256, Request, Hash256Hasher> in_flight_;
    std::map<PeerId, std::set<Hash256>> by_peer_;
    std::optional<Hash256> stalled_block_;  // the window's first block while the window is stalled
    int64_t stalled_since_ms_ = 0;
};

}  // namespace step::node::p2p
