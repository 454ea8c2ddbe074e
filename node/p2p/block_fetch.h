// Block download: asks ready peers for the best header chain's missing bodies through the
// BlockDownload scheduler, drops the peer that stalls the window, takes in the blocks, and
// serves our blocks to peers that ask.
//
// A block is validated once: the chain stores it and connects it when its ancestors are in.
// A block nobody asked for is taken only when it is the child of our tip (a peer may push a
// block it just mined); others are ignored, and a peer that sends more than
// kMaxUnrequestedBlocks of them is punished. Bodies wait for their ancestors on disk (in the
// chain's LevelDB), never in memory, and only blocks within the window are asked for, so
// out-of-order blocks cost bounded space.
#pragma once

#include "node/p2p/block_download.h"
#include "node/p2p/context.h"

namespace step::node::p2p {

class BlockFetch {
public:
    explicit BlockFetch(PeerContext& ctx) : ctx_(ctx) {}

    // Asks each ready peer for blocks it can serve, and drops the peer holding up the window.
    void schedule();
    void on_block(Peer& peer, const wire::BlockMessage& m);
    // getdata for blocks: each found block is sent, the rest listed in `missing`.
    void serve(Peer& peer, const Hash256& hash, wire::NotFound& missing);
    void on_not_found(Peer& peer, const Hash256& hash) { download_.not_found(peer.id, hash); }
    void peer_gone(PeerId peer) { download_.peer_gone(peer); }
    size_t in_flight(PeerId peer) const { return download_.in_flight(peer); }

private:
    PeerContext& ctx_;
    BlockDownload download_;
};

}  // namespace step::node::p2p
