#include "node/p2p/context.h"

#include <chrono>

#include "node/log.h"
#include "node/p2p/misbehavior.h"

namespace step::node::p2p {
namespace {

int64_t steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

P2POptions with_defaults(P2POptions o) {
    std::random_device rd;
    if (o.nonce == 0) o.nonce = (static_cast<uint64_t>(rd()) << 32) | rd() | 1;
    if (o.seed == 0) o.seed = (static_cast<uint64_t>(rd()) << 32) | rd();
    if (!o.now_ms) o.now_ms = steady_ms;
    if (!o.unix_now) o.unix_now = system_clock_seconds;
    return o;
}

}  // namespace

PeerContext::PeerContext(Node& n, Transport& t, net::Discouragement& d, P2POptions o)
    : node(n),
      transport(t),
      discouragement(d),
      options(with_defaults(std::move(o))),
      rng_(options.seed) {}

Peer* PeerContext::find(PeerId id) {
    auto it = peers.find(id);
    return it == peers.end() || it->second.gone ? nullptr : &it->second;
}

void PeerContext::send_payload(Peer& peer, MessageType type, std::string payload) {
    if (peer.gone) return;
    const std::string_view name = message_type_name(type);
    const uint64_t bytes = payload.size() + kFrameHeaderBytes;
    peer.bytes_sent[std::string(name)] += bytes;
    counters.bytes_sent[std::string(name)] += bytes;
    transport.send(peer.id, type, std::move(payload));
}

bool PeerContext::misbehaving(Peer& peer, const Status& failure) {
    if (peer.gone || punishment_for(failure) != Punishment::kDiscourage) return false;
    drop(peer, failure);
    return true;
}

void PeerContext::drop(Peer& peer, const Status& why) {
    if (peer.gone) return;
    peer.gone = true;
    const bool discourage = punishment_for(why) == Punishment::kDiscourage;
    if (discourage) {
        peer.misbehavior = why.to_string();
        discouragement.discourage(peer.conn.remote, why.to_string(), options.unix_now());
        counters.discouraged[why.code()]++;
        log_warn("peer ", peer.id, " (", peer.conn.remote.to_string(),
                 ") misbehaved: ", why.to_string(), "; disconnected and discouraged");
    } else {
        log_info("disconnecting peer ", peer.id, " (", peer.conn.remote.to_string(),
                 "): ", why.to_string());
    }
    transport.disconnect(peer.id);
}

}  // namespace step::node::p2p
