// The handshake (version, then verack both ways) and liveness (ping/pong, timeouts).
//
// The dialler sends version first; the other side answers with its own version, and each side
// sends verack on accepting the other's version. The handshake is done when a peer has both
// sent its version and acknowledged ours; only then does the transport read anything but
// version and verack (mark_handshake_done), and only then do sync and relay start. A peer of
// another chain id or genesis is dropped with the reason logged (not punished: another network),
// and so is our own nonce coming back (we dialled ourselves).
#pragma once

#include <functional>

#include "node/p2p/context.h"

namespace step::node::p2p {

// Our version message for the node's current tip.
wire::Version make_version(const PeerContext& ctx);
// Whether we talk to a peer that sent `v`. Errors: kUnsupportedProtocol, kWrongChain,
// kSelfConnection (our_nonce came back).
Status check_version(const wire::Version& v, const consensus::Params& params, uint64_t our_nonce);

class Handshake {
public:
    Handshake(PeerContext& ctx, std::function<void(Peer&)> on_ready)
        : ctx_(ctx), on_ready_(std::move(on_ready)) {}

    void on_connected(Peer& peer);
    void on_version(Peer& peer, const wire::Version& v);
    void on_verack(Peer& peer);
    void on_ping(Peer& peer, const wire::Ping& ping);
    void on_pong(Peer& peer, const wire::Pong& pong);
    // Handshake timeout, periodic pings, ping timeout and inactivity.
    void tick(Peer& peer);

private:
    void send_version(Peer& peer);
    void maybe_done(Peer& peer);
    // When another live peer sent the same version nonce (the same node connected twice),
    // drops one of the two; false when it dropped `peer`.
    bool keep_one_of_twins(Peer& peer, uint64_t nonce);

    PeerContext& ctx_;
    std::function<void(Peer&)> on_ready_;
};

}  // namespace step::node::p2p
