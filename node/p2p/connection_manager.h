// Keeps the node's outbound connections: with --connect, those peers and nothing else; without,
// the --addnode peers (kept connected, retried on net::addnode_retry_delay_s) and
// kDefaultOutboundTarget peers from the address book, chosen by net::choose_outbound (distinct
// netgroups first, discouraged addresses last, devnet on loopback only). It sits between the
// transport and the protocol: it is the transport's listener, notes connections and dial
// outcomes (into the address book), and forwards every event unchanged to the next listener.
//
// Threading: the listener methods run on the transport's I/O thread and forward with no lock of
// this class held; tick() may run on any thread (it calls Transport::connect, which never calls
// back synchronously).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <vector>

#include "node/net/discouragement.h"
#include "node/net/endpoint.h"
#include "node/p2p/address_book.h"
#include "node/p2p/limits.h"
#include "node/p2p/transport.h"

namespace step::node::p2p {

struct ConnectionManagerOptions {
    std::vector<net::Endpoint> connect;  // --connect: dial only these
    std::vector<net::Endpoint> addnode;  // --addnode: kept connected besides the others
    uint32_t outbound_target = kDefaultOutboundTarget;  // peers dialled from the address book
    bool loopback_only = false;                         // consensus::Params::p2p_dial_loopback_only
    std::function<uint64_t()> clock;                    // unix seconds
    std::function<uint64_t()> random;                   // a fresh uniformly random value per call
};

class ConnectionManager final : public TransportListener {
public:
    ConnectionManager(ConnectionManagerOptions options, AddressBook& book,
                      net::Discouragement& discouragement, Transport& transport,
                      TransportListener& next);

    // Dials whatever is due now. Call it about once a second.
    void tick();

    // TransportListener: bookkeeping, then the same call on `next`.
    void on_connected(PeerId peer, const ConnectionInfo& info) override;
    void on_connect_failed(const net::Endpoint& to, const Status& why) override;
    void on_message(PeerId peer, MessageType type, std::string payload) override;
    void on_framing_error(PeerId peer, const Status& why) override;
    void on_disconnected(PeerId peer) override;

    // Our own listening address: never dialled from the address book (gossip brings it back).
    void set_own_address(const net::Endpoint& address);

    // A peer that gave `listening` as its listening address in its version completed its
    // handshake (connected) or left: while connected, that node is neither a manual nor an
    // automatic dial's target (it may be connected inbound). Called by the protocol as the
    // handshake completes, before the address reaches the book, so there is no window in which
    // the node dials back a peer that just connected to it.
    void note_listener(const net::Endpoint& listening, bool connected);

    // addnode add: keeps `address` connected as an --addnode peer (dialled on the next tick).
    // False when it is kept already.
    bool add_manual(const net::Endpoint& address);
    // addnode remove: stops keeping `address` connected (a connection to it stays open). False
    // when it was not kept.
    bool remove_manual(const net::Endpoint& address);

    // Outbound peers dialled from the address book, connected or being dialled.
    size_t automatic_outbound() const;

private:
    // A --connect or --addnode peer.
    struct Manual {
        net::Endpoint address;
        uint32_t failures = 0;      // consecutive failed dials
        uint64_t next_attempt = 0;  // unix seconds
        bool dialling = false;
        std::optional<PeerId> peer;
    };
    struct Peer {
        net::Endpoint remote;
        bool inbound = false;
        bool automatic = false;  // an outbound peer from the address book
    };

    Manual* find_manual_locked(const net::Endpoint& address);
    void schedule_manual_locked(Manual& m, uint64_t now);
    std::vector<net::Endpoint> due_manual_locked(uint64_t now);
    std::vector<net::Endpoint> due_automatic_locked(uint64_t now);
    size_t automatic_outbound_locked() const;

    const ConnectionManagerOptions options_;
    AddressBook& book_;
    net::Discouragement& discouragement_;
    Transport& transport_;
    TransportListener& next_;

    mutable std::mutex mutex_;  // never held while calling the transport or `next`
    std::vector<Manual> manual_;
    std::optional<net::Endpoint> own_address_;
    std::multiset<net::Endpoint> connected_listeners_;  // one entry per connection
    std::set<net::Endpoint> dialling_automatic_;
    std::map<PeerId, Peer> peers_;
};

}  // namespace step::node::p2p
