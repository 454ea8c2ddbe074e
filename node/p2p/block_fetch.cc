#include "node/p2p/block_fetch.h"

#include <chrono>

#include "node/log.h"

#include "consensus/block.h"
#include "node/p2p/errors.h"
#include "node/p2p/limits.h"

namespace step::node::p2p {

void BlockFetch::schedule() {
    ChainManager& chain = ctx_.node.chain();
    const std::vector<BlockToFetch> wanted =
        chain.blocks_to_fetch(kBlockDownloadWindow, kBlockDownloadWindow);
    bool hungry = false;
    for (auto& [id, peer] : ctx_.peers) {
        if (peer.gone || !peer.handshake_done || !peer.best_known || wanted.empty()) continue;
        const Hash256 best = *peer.best_known;
        const uint64_t best_height = peer.best_known_height;
        auto peer_has = [&](const BlockToFetch& b) {
            return b.height <= best_height && chain.in_chain_of(b.hash, b.height, best);
        };
        const std::vector<Hash256> ask = download_.assign(id, wanted, peer_has);
        if (!ask.empty()) {
            wire::GetData m;
            for (const Hash256& h : ask) {
                auto* item = m.add_items();
                item->set_type(wire::INV_BLOCK);
                item->set_hash(hash_to_field(h));
            }
            ctx_.send(peer, m);
        }
        if (download_.free_slots(id) > 0) hungry = true;
    }
    const int64_t timeout_ms = download_.stall_timeout_ms();
    if (auto staller = download_.staller(wanted, hungry, ctx_.now_ms())) {
        if (Peer* p = ctx_.find(*staller))
            ctx_.drop(*p,
                      Status::error(codes::kBlockStall, "held up the block download window for " +
                                                            std::to_string(timeout_ms) + " ms"));
        download_.peer_gone(*staller);
    }
}

void BlockFetch::on_block(Peer& peer, const wire::BlockMessage& m) {
    const pb::Block& block = m.block();
    const Hash256 hash = consensus::header_hash(block.header());
    peer.known.add(hash);
    ChainManager& chain = ctx_.node.chain();
    if (!download_.received(peer.id, hash)) {
        auto info = chain.block_info(hash);
        if (info && has_body(info->status)) return;  // we have it already: no fault
        if (hash_from_field(block.header().prev_hash()) != chain.tip().hash) {
            if (++peer.unrequested_blocks > kMaxUnrequestedBlocks)
                ctx_.misbehaving(peer, Status::error(codes::kUnrequestedBlocks,
                                                     std::to_string(peer.unrequested_blocks) +
                                                         " blocks nobody asked for"));
            return;
        }
    }
    const auto started = std::chrono::steady_clock::now();
    auto r = ctx_.node.submit_block(block, BlockSource::kPeer);
    // scripts/bench-p2p.sh reads this line: a hop's time minus the block's own validation.
    log_debug("block ", to_hex(hash), " from peer ", peer.id, " submitted in ",
              std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::steady_clock::now() - started)
                  .count(),
              " us");
    if (!r.ok()) {
        ctx_.misbehaving(peer, r.status());
        return;
    }
    if (!r->already_known) {
        ++peer.blocks_received;
        ++ctx_.counters.blocks_received;
        ctx_.transport.note_useful_block(peer.id);  // eviction protects useful peers
    }
}

void BlockFetch::serve(Peer& peer, const Hash256& hash, wire::NotFound& missing) {
    // A peer that does not read what we send gets no more blocks (each may be 16 MiB).
    std::optional<pb::Block> block;
    if (ctx_.transport.send_queue_bytes(peer.id) < kMaxSendQueueBytes / 2)
        block = ctx_.node.chain().block(hash);
    if (!block) {
        auto* item = missing.add_items();
        item->set_type(wire::INV_BLOCK);
        item->set_hash(hash_to_field(hash));
        return;
    }
    wire::BlockMessage m;
    *m.mutable_block() = std::move(*block);
    peer.known.add(hash);
    ctx_.send(peer, m);
}

}  // namespace step::node::p2p
