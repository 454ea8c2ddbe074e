// Transaction relay. A transaction that enters our mempool (from RPC or a peer) is announced to
// every ready peer that does not know it, by inventory after a randomised per-peer delay
// (trickle, mean kTxTrickleMeanMs): announcements are batched, and the delay hides which peer
// heard of it first. A peer's inventory is fetched with getdata and admitted through
// Node::submit_transaction, the same mempool path as RPC. Each peer has a known-inventory
// filter, so nothing is announced to it twice, and bounded queues of announcements
// (kMaxQueuedAnnouncements) and requests (kMaxTxsInFlightPerPeer).
//
// A transaction the mempool refuses costs the sender only when it breaks a stateless rule
// (consensus::check_transaction: a bad signature, a wrong chain id, ...): one that merely
// no longer fits our state or policy may have been valid where the peer stands.
#pragma once

#include <unordered_map>

#include "node/p2p/context.h"

namespace step::node::p2p {

class TxRelay {
public:
    explicit TxRelay(PeerContext& ctx) : ctx_(ctx), recent_rejects_(kMaxRecentRejects) {}

    void on_inventory(Peer& peer, const std::vector<Hash256>& txids);
    void on_tx(Peer& peer, const wire::TxMessage& m);
    // getdata for a transaction: sent when in our mempool, else listed in `missing`.
    void serve(Peer& peer, const Hash256& txid, wire::NotFound& missing);
    void on_not_found(Peer& peer, const Hash256& txid);
    // A transaction entered our mempool: queue its announcement to every ready peer.
    void on_accepted(const Hash256& txid);
    // A peer finished its handshake: queue our mempool's announcement to it (the best
    // kMaxQueuedAnnouncements by fee rate). Transactions accepted while it was not connected
    // (before it dialled us, before our restart, while it was connected to us twice and the
    // twin carrying the announcement was closed) would otherwise never reach it.
    void on_ready(Peer& peer);
    // Sends a peer's announcements when its trickle delay is over; forgets stale requests.
    void tick(Peer& peer);
    void peer_gone(Peer& peer);

private:
    int64_t trickle_delay_ms();
    // Queues txid for the peer's next trickle, dropping the oldest past kMaxQueuedAnnouncements.
    void queue_announcement(Peer& peer, const Hash256& txid);

    PeerContext& ctx_;
    KnownInventory recent_rejects_;                                 // failed the stateless rules
    std::unordered_map<Hash256, PeerId, Hash256Hasher> requested_;  // asked of one peer at a time
};

}  // namespace step::node::p2p
