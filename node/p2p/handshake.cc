#include "node/p2p/handshake.h"

#include "consensus/block.h"
#include "node/log.h"
#include "node/p2p/errors.h"
#include "node/p2p/limits.h"

namespace step::node::p2p {
namespace {

constexpr int64_t ms(uint64_t seconds) {
    return static_cast<int64_t>(seconds) * 1000;
}

Hash256 genesis_hash(const consensus::Params& p) {
    return consensus::header_hash(consensus::genesis_block(p).header());  // once per handshake
}

}  // namespace

wire::Version make_version(const PeerContext& ctx) {
    const consensus::ChainTip tip = ctx.node.chain().tip();
    wire::Version v;
    v.set_protocol_version(kProtocolVersion);
    v.set_chain_id(ctx.node.params().chain_id);
    v.set_genesis_hash(hash_to_field(genesis_hash(ctx.node.params())));
    v.set_services(ctx.options.services);
    v.set_nonce(ctx.options.nonce);
    v.set_user_agent(ctx.options.user_agent.substr(0, kMaxUserAgentBytes));
    v.set_best_height(tip.height);
    v.set_best_work(hash_to_field(tip.cumulative_work.to_be()));
    v.set_listen_port(ctx.options.listen_port);
    return v;
}

Status check_version(const wire::Version& v, const consensus::Params& params, uint64_t our_nonce) {
    if (v.protocol_version() < kProtocolVersion)
        return Status::error(codes::kUnsupportedProtocol,
                             "protocol version " + std::to_string(v.protocol_version()) + " < " +
                                 std::to_string(kProtocolVersion));
    if (v.chain_id() != params.chain_id)
        return Status::error(codes::kWrongChain,
                             "chain id " + std::to_string(v.chain_id()) + ", ours is " +
                                 std::to_string(params.chain_id) + " (" + params.network + ")");
    if (hash_from_field(v.genesis_hash()) != genesis_hash(params))
        return Status::error(codes::kWrongChain,
                             "genesis " + to_hex(as_bytes(v.genesis_hash())) + " is not ours");
    if (v.nonce() == our_nonce)
        return Status::error(codes::kSelfConnection, "our own version nonce came back");
    return Status();
}

void Handshake::send_version(Peer& peer) {
    if (peer.version_sent) return;
    peer.version_sent = true;
    ctx_.send(peer, make_version(ctx_));
}

void Handshake::on_connected(Peer& peer) {
    if (!peer.conn.inbound) send_version(peer);  // the dialler speaks first
}

// Two nodes that dial each other at once end up connected twice. Both sides must close the same
// one, so the one kept is the connection dialled by the node with the larger nonce (each side
// knows both); two connections in the same direction keep the older.
bool Handshake::keep_one_of_twins(Peer& peer, uint64_t nonce) {
    for (auto& [id, twin] : ctx_.peers) {
        if (id == peer.id || twin.gone || !twin.version || twin.version->nonce != nonce) continue;
        const bool keep_outbound = ctx_.options.nonce > nonce;
        Peer& loser = peer.conn.inbound != twin.conn.inbound && twin.conn.inbound == keep_outbound
                          ? twin
                          : peer;
        const Peer& kept = &loser == &peer ? twin : peer;
        ctx_.drop(loser, Status::error(codes::kDuplicateConnection,
                                       "already connected to this node as peer " +
                                           std::to_string(kept.id)));
        return &loser != &peer;
    }
    return true;
}

void Handshake::on_version(Peer& peer, const wire::Version& v) {
    if (peer.version) {
        ctx_.misbehaving(peer,
                         Status::error(codes::kHandshakeViolation, "a second version message"));
        return;
    }
    Status ok = check_version(v, ctx_.node.params(), ctx_.options.nonce);
    if (!ok.ok()) {
        ctx_.drop(peer, ok);
        return;
    }
    if (!keep_one_of_twins(peer, v.nonce())) return;
    PeerVersion pv;
    pv.nonce = v.nonce();
    pv.protocol_version = v.protocol_version();
    pv.services = v.services();
    pv.user_agent = v.user_agent();
    pv.start_height = v.best_height();
    pv.start_work = consensus::U256::from_be(*hash_from_field(v.best_work()));
    pv.listen_port = static_cast<uint16_t>(v.listen_port());
    peer.version = std::move(pv);
    send_version(peer);
    ctx_.send(peer, wire::Verack());
    maybe_done(peer);
}

void Handshake::on_verack(Peer& peer) {
    if (!peer.version || !peer.version_sent || peer.verack_received) {
        ctx_.misbehaving(peer, Status::error(codes::kHandshakeViolation, "verack out of turn"));
        return;
    }
    peer.verack_received = true;
    maybe_done(peer);
}

void Handshake::maybe_done(Peer& peer) {
    if (peer.handshake_done || !peer.version || !peer.verack_received) return;
    peer.handshake_done = true;
    peer.next_ping_ms = ctx_.now_ms();  // the first ping measures the round trip at once
    ctx_.transport.mark_handshake_done(peer.id);
    log_info("peer ", peer.id, " (", peer.conn.remote.to_string(), ", ",
             peer.conn.inbound ? "inbound" : "outbound", ") connected: ", peer.version->user_agent,
             ", height ", peer.version->start_height);
    on_ready_(peer);
}

void Handshake::on_ping(Peer& peer, const wire::Ping& ping) {
    wire::Pong pong;
    pong.set_nonce(ping.nonce());
    ctx_.send(peer, pong);
}

void Handshake::on_pong(Peer& peer, const wire::Pong& pong) {
    // A pong for no ping or an old one is ignored: the peer may answer late.
    if (!peer.ping_nonce || pong.nonce() != *peer.ping_nonce) return;
    const int64_t rtt = ctx_.now_ms() - peer.ping_sent_ms;
    peer.ping_ms = rtt;
    peer.min_ping_ms = peer.min_ping_ms ? std::min(*peer.min_ping_ms, rtt) : rtt;
    peer.ping_nonce.reset();
    ctx_.transport.note_ping(peer.id,
                             std::chrono::milliseconds(rtt));  // eviction protects fast peers
}

void Handshake::tick(Peer& peer) {
    const int64_t now = ctx_.now_ms();
    if (!peer.handshake_done) {
        if (now - peer.connected_ms >= ms(kHandshakeTimeoutS))
            ctx_.drop(peer, Status::error(codes::kHandshakeTimeout,
                                          "no handshake within " +
                                              std::to_string(kHandshakeTimeoutS) + " s"));
        return;
    }
    if (now - peer.last_receive_ms >= ms(kInactivityTimeoutS)) {
        ctx_.drop(peer, Status::error(
                            codes::kPeerInactive,
                            "nothing received for " + std::to_string(kInactivityTimeoutS) + " s"));
        return;
    }
    if (peer.ping_nonce && now - peer.ping_sent_ms >= ms(kPingTimeoutS)) {
        ctx_.drop(peer, Status::error(codes::kPeerInactive,
                                      "no pong within " + std::to_string(kPingTimeoutS) + " s"));
        return;
    }
    if (!peer.ping_nonce && now >= peer.next_ping_ms) {
        wire::Ping ping;
        ping.set_nonce(ctx_.random());
        peer.ping_nonce = ping.nonce();
        peer.ping_sent_ms = now;
        peer.next_ping_ms = now + ms(kPingIntervalS);
        ctx_.send(peer, ping);
    }
}

}  // namespace step::node::p2p
