#include "node/p2p/header_sync.h"

#include "consensus/block.h"
#include "node/errors.h"
#include "node/p2p/errors.h"
#include "node/p2p/limits.h"

namespace step::node::p2p {
void HeaderSync::start(Peer& peer) {
    ctx_.send(peer, wire::SendHeaders());
    peer.announced = ctx_.node.chain().tip().hash;  // it syncs what came before with getheaders
    // From our best header's parent, so a peer on our chain answers with at least that header
    // and we learn what it has (the blocks it can serve us).
    const HeaderTip best = ctx_.node.chain().best_header();
    std::optional<Hash256> from;
    if (best.height > 0) from = hash_from_field(ctx_.node.chain().header(best.hash)->prev_hash());
    request_headers(peer, from);
}

void HeaderSync::request_headers(Peer& peer, const std::optional<Hash256>& from) {
    wire::GetHeaders m;
    for (const Hash256& h : ctx_.node.chain().locator(from)) m.add_locator(hash_to_field(h));
    ctx_.send(peer, m);
}

void HeaderSync::on_getheaders(Peer& peer, const wire::GetHeaders& m) {
    std::vector<Hash256> locator;
    for (const auto& h : m.locator()) locator.push_back(*hash_from_field(h));
    const Hash256 stop = hash_from_field(m.stop_hash()).value_or(Hash256{});
    wire::Headers out;
    for (auto& h : ctx_.node.chain().headers_after(locator, stop, kMaxHeadersPerMessage))
        *out.add_headers() = std::move(h);
    ctx_.send(peer, out);
}

void HeaderSync::on_headers(Peer& peer, const wire::Headers& m) {
    if (m.headers_size() == 0) return;  // the peer has nothing after our locator
    const std::vector<pb::BlockHeader> headers(m.headers().begin(), m.headers().end());
    auto r = ctx_.node.chain().accept_headers(headers);
    if (!r.ok()) {
        const Status& s = r.status();
        if (s.is(node::codes::kUnknownParent)) {
            if (++peer.non_connecting > kMaxNonConnectingHeaders) {
                ctx_.misbehaving(
                    peer,
                    Status::error(codes::kNonConnectingHeaders,
                                  std::to_string(peer.non_connecting) +
                                      " headers messages in a row connect to nothing we know"));
                return;
            }
            request_headers(peer);  // an honest race: ask for what leads to them
        } else if (s.is(node::codes::kHeadersLowWork) || s.is(node::codes::kSideHeadersFull)) {
            count_side(peer, headers.size());
        } else {
            ctx_.misbehaving(peer, s);  // a header breaks a consensus rule
        }
        return;
    }
    peer.non_connecting = 0;
    ctx_.counters.headers_received += r->added;
    peer.best_headers += r->added_best;
    count_side(peer, r->added_side);
    if (peer.gone) return;
    if (!peer.best_known || r->last_height >= peer.best_known_height) {
        peer.best_known = r->last;
        peer.best_known_height = r->last_height;
    }
    peer.known.add(r->last);
    // A full message means the peer has more: continue from its last header.
    if (headers.size() == kMaxHeadersPerMessage) request_headers(peer, r->last);
}

void HeaderSync::count_side(Peer& peer, uint64_t n) {
    peer.side_headers += n;
    if (peer.side_headers > kSideHeaderAllowance + peer.best_headers)
        ctx_.misbehaving(
            peer, Status::error(codes::kHeaderSpam, std::to_string(peer.side_headers) +
                                                        " side-branch headers for " +
                                                        std::to_string(peer.best_headers) +
                                                        " that raised our best header chain"));
}

void HeaderSync::on_block_announced(Peer& peer, const Hash256& hash) {
    peer.known.add(hash);
    if (!ctx_.node.chain().block_info(hash)) request_headers(peer);
}

void HeaderSync::announce_tip() {
    ChainManager& chain = ctx_.node.chain();
    const consensus::ChainTip tip = chain.tip();
    if (tip.height < chain.best_header().height) return;  // still downloading: nothing new to tell
    for (auto& [id, peer] : ctx_.peers) {
        if (peer.gone || !peer.handshake_done || peer.announced == tip.hash) continue;
        const bool has_it =
            peer.known.contains(tip.hash) ||
            (peer.best_known && chain.in_chain_of(tip.hash, tip.height, *peer.best_known));
        std::vector<pb::BlockHeader> headers;
        if (peer.announced)
            headers = chain.headers_after({*peer.announced}, tip.hash, kMaxBlocksToAnnounce);
        if (headers.empty() || consensus::header_hash(headers.back()) != tip.hash) {
            headers.clear();
            if (auto h = chain.header(tip.hash)) headers.push_back(std::move(*h));
        }
        peer.announced = tip.hash;
        if (has_it || headers.empty()) continue;
        wire::Headers m;
        for (auto& h : headers) *m.add_headers() = std::move(h);
        peer.known.add(tip.hash);
        ctx_.send(peer, m);
    }
}

}  // namespace step::node::p2p
