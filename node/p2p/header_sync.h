// Headers-first sync: asking peers for headers with a locator, answering their getheaders,
// accepting their headers into the block index, and announcing our new blocks by header.
//
// Headers that connect to nothing we know happen in honest races (a block announced before its
// parent reached us): they are answered with getheaders; only a peer that sends more than
// kMaxNonConnectingHeaders such messages in a row is punished. Side-branch headers (those that
// do not raise our best header chain's work, stored or refused as too light) count against the
// peer: past kSideHeaderAllowance plus one per header of it that did raise our best header
// chain, the peer is punished for header spam (docs/p2p.md "Header spam").
#pragma once

#include <optional>

#include "node/p2p/context.h"

namespace step::node::p2p {

class HeaderSync {
public:
    explicit HeaderSync(PeerContext& ctx) : ctx_(ctx) {}

    // After the handshake: sendheaders, and getheaders to learn what the peer has.
    void start(Peer& peer);
    // getheaders with a locator of our best header chain, or of the chain ending at `from`.
    void request_headers(Peer& peer, const std::optional<Hash256>& from = std::nullopt);
    void on_getheaders(Peer& peer, const wire::GetHeaders& m);
    void on_headers(Peer& peer, const wire::Headers& m);
    // A block announced by inventory: ask for its header when it is new to us.
    void on_block_announced(Peer& peer, const Hash256& hash);
    // Our active tip moved: announce it to each ready peer that does not have it (not while
    // we are still downloading the best header chain's blocks).
    void announce_tip();

private:
    void count_side(Peer& peer, uint64_t n);

    PeerContext& ctx_;
};

}  // namespace step::node::p2p
