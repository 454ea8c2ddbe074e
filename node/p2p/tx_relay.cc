#include "node/p2p/tx_relay.h"

#include <cmath>

#include "consensus/transaction.h"
#include "node/p2p/limits.h"

namespace step::node::p2p {
namespace {

void add_item(google::protobuf::RepeatedPtrField<wire::InvItem>* items, const Hash256& txid) {
    auto* item = items->Add();
    item->set_type(wire::INV_TX);
    item->set_hash(hash_to_field(txid));
}

}  // namespace

int64_t TxRelay::trickle_delay_ms() {
    // Exponentially distributed (a Poisson process per peer), as Bitcoin's inventory trickle.
    const double u = static_cast<double>(ctx_.random() >> 11) * 0x1.0p-53;  // [0, 1)
    return static_cast<int64_t>(-std::log1p(-u) * static_cast<double>(kTxTrickleMeanMs));
}

void TxRelay::on_inventory(Peer& peer, const std::vector<Hash256>& txids) {
    wire::GetData ask;
    for (const Hash256& txid : txids) {
        peer.known.add(txid);
        if (recent_rejects_.contains(txid) || requested_.count(txid) ||
            ctx_.node.has_mempool_tx(txid))
            continue;
        if (peer.txs_requested.size() >= kMaxTxsInFlightPerPeer) break;  // the rest: ignored
        requested_[txid] = peer.id;
        peer.txs_requested[txid] = ctx_.now_ms();
        add_item(ask.mutable_items(), txid);
    }
    if (ask.items_size() > 0) ctx_.send(peer, ask);
}

void TxRelay::on_tx(Peer& peer, const wire::TxMessage& m) {
    const Hash256 txid = consensus::txid(m.tx());
    peer.known.add(txid);
    if (peer.txs_requested.erase(txid) > 0) requested_.erase(txid);
    if (recent_rejects_.contains(txid)) return;
    auto accepted = ctx_.node.submit_transaction(m.tx());
    if (accepted.ok()) {
        ++peer.txs_received;
        ++ctx_.counters.txs_received;
        ctx_.transport.note_useful_tx(peer.id);
        return;  // Node announces it through on_accepted
    }
    Status stateless = consensus::check_transaction(m.tx(), ctx_.node.params());
    if (!stateless.ok()) {
        recent_rejects_.add(txid);
        ctx_.misbehaving(peer, stateless);
    }
}

void TxRelay::serve(Peer& peer, const Hash256& txid, wire::NotFound& missing) {
    auto tx = ctx_.node.mempool_tx(txid);
    if (!tx) {
        add_item(missing.mutable_items(), txid);
        return;
    }
    wire::TxMessage m;
    *m.mutable_tx() = std::move(*tx);
    peer.known.add(txid);
    ctx_.send(peer, m);
}

void TxRelay::on_not_found(Peer& peer, const Hash256& txid) {
    if (peer.txs_requested.erase(txid) > 0) requested_.erase(txid);
}

void TxRelay::queue_announcement(Peer& peer, const Hash256& txid) {
    if (peer.known.contains(txid)) return;
    if (peer.tx_announce_queue.empty()) peer.next_trickle_ms = ctx_.now_ms() + trickle_delay_ms();
    peer.tx_announce_queue.push_back(txid);
    if (peer.tx_announce_queue.size() > kMaxQueuedAnnouncements) peer.tx_announce_queue.pop_front();
}

void TxRelay::on_accepted(const Hash256& txid) {
    for (auto& [id, peer] : ctx_.peers)
        if (!peer.gone && peer.handshake_done) queue_announcement(peer, txid);
}

void TxRelay::on_ready(Peer& peer) {
    for (const Hash256& txid : ctx_.node.mempool_txids(kMaxQueuedAnnouncements))
        queue_announcement(peer, txid);
}

void TxRelay::tick(Peer& peer) {
    const int64_t now = ctx_.now_ms();
    for (auto it = peer.txs_requested.begin(); it != peer.txs_requested.end();) {
        if (now - it->second < static_cast<int64_t>(kTxRequestTimeoutS) * 1000) {
            ++it;
            continue;
        }
        requested_.erase(it->first);
        it = peer.txs_requested.erase(it);
    }
    if (peer.tx_announce_queue.empty() || now < peer.next_trickle_ms) return;
    wire::Inv inv;
    for (const Hash256& txid : peer.tx_announce_queue) {
        if (peer.known.contains(txid)) continue;
        peer.known.add(txid);
        add_item(inv.mutable_items(), txid);
    }
    peer.tx_announce_queue.clear();
    if (inv.items_size() > 0) ctx_.send(peer, inv);
}

void TxRelay::peer_gone(Peer& peer) {
    for (const auto& [txid, at] : peer.txs_requested) requested_.erase(txid);
}

}  // namespace step::node::p2p
