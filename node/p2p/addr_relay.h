// Address gossip (getaddr/addr) between peers and the address book. An outbound peer is asked
// once for the addresses it knows (getaddr) as soon as the handshake completes; an inbound
// peer's getaddr is answered once per connection (a sample from the book, at most
// kMaxAddrPerGetAddr), so a peer cannot map the book by asking again. Addresses a peer gossips
// pass its AddrTokenBucket first (kAddrTokensPerSecond, a whole message after our getaddr):
// those past its tokens are dropped, and a peer that keeps flooding past them
// (kMaxAddrDroppedPerPeer) is punished (kAddrFlood); an addr message over kMaxAddrPerMessage is
// refused by the codec as malformed. Accepted addresses go to the book with the sender's
// netgroup as their source (the book bounds each source group). A peer that listens (its
// version's listen_port) is itself added as heard of now, and its address is forwarded to
// kAddrForwardFanout other peers, one address per peer per kAddrForwardIntervalMs (the
// receiver's token rate, so forwarding never makes an honest node look like a flooder): nodes
// that connected earlier learn of one that joins later, and can dial it.
#pragma once

#include <optional>

#include "node/p2p/address_book.h"
#include "node/p2p/context.h"

namespace step::node::p2p {

// The wire form of an address, and back. nullopt for bytes that are not 4 or 16 long.
wire::PeerAddress to_wire(const KnownAddress& a);
std::optional<net::Endpoint> endpoint_from_wire(const wire::PeerAddress& a);

class AddrRelay {
public:
    // `book` may be null (unit tests of other jobs): then gossip is rate-checked and dropped.
    AddrRelay(PeerContext& ctx, AddressBook* book) : ctx_(ctx), book_(book) {}

    // The handshake completed: note the peer's listening address, ask an outbound peer.
    void on_ready(Peer& peer);
    void on_getaddr(Peer& peer);
    void on_addr(Peer& peer, const wire::Addr& m);
    // Sends the peer its next forwarded address when its interval has passed.
    void tick(Peer& peer);

private:
    // Queues `address` (heard of from `from`) to up to kAddrForwardFanout other ready peers.
    void forward(const Peer& from, const KnownAddress& address);

    PeerContext& ctx_;
    AddressBook* book_;
};

}  // namespace step::node::p2p
