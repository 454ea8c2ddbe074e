// The node's peer-to-peer network as one part: the TCP transport (node/net), the connection
// manager and the protocol (node/p2p), the address book with peers.dat, and the lists of
// discouraged and banned addresses. init.cc starts it once the chain is loaded and stops it
// after HTTP; RPC (node/rpc/net_methods.cc) reads and steers it through this class alone.
//
// Threading: every method is thread-safe. A ticker thread dials what is due (about once a
// second) and saves peers.dat every kPeersFileSaveIntervalS; the transport's I/O thread and the
// peer manager's worker do the rest.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "consensus/params.h"
#include "node/metrics.h"
#include "node/net/discouragement.h"
#include "node/net/endpoint.h"
#include "node/net/tcp_transport.h"
#include "node/node.h"
#include "node/p2p/address_book.h"
#include "node/p2p/connection_manager.h"
#include "node/p2p/peer_manager.h"

namespace step::node {

// peers.dat is saved this often while running (and at stop): a crash loses at most this much
// of what the node learned about addresses, which gossip restores anyway.
inline constexpr uint64_t kPeersFileSaveIntervalS = 15 * 60;
// While the node syncs (its best header is ahead of its tip) it logs one progress line this
// often: the height, the headers' height, the share done and the rate; then one line when it
// has caught up. Often enough to see it move, rare enough that a long sync's log stays short.
inline constexpr uint64_t kSyncLogIntervalS = 10;
inline constexpr char kSyncProgressLog[] = "sync: height ";        // each progress line's start
inline constexpr char kSyncCaughtUpLog[] = "sync: caught up at height ";  // the last line's start

// The user agent stepd sends in its version message.
inline constexpr char kStepdUserAgent[] = "stepd/0.1";

struct NetworkOptions {
    const consensus::Params* params = nullptr;
    std::string datadir;                  // peers.dat lives here
    std::optional<net::Endpoint> listen;  // nullopt: --no-listen
    std::vector<net::Endpoint> connect;   // --connect
    std::vector<net::Endpoint> addnode;   // --addnode
    uint32_t max_connections = p2p::kDefaultMaxConnections;
    std::string user_agent;
    Metrics* metrics = nullptr;  // the P2P series of /metrics, refreshed by the ticker
    BlobStore* blobs = nullptr;  // served to peers and fetched into (findblob); null: no blobs
};

// What getnetworkinfo reports.
struct NetworkSummary {
    std::optional<net::Endpoint> listening;
    size_t inbound = 0;
    size_t outbound = 0;
    size_t known_addresses = 0;
    bool initial_sync = false;  // the best header chain is ahead of the active chain
    uint64_t tip_height = 0;
    uint64_t best_header_height = 0;
    p2p::NetCounters counters;
};

// An address kept from connecting: banned by an operator (setban) or discouraged for
// misbehaviour (by the protocol).
struct BannedAddress {
    net::DiscouragedAddress entry;
    bool manual = false;  // setban; false: discouraged
};

enum class AddNodeCommand { kAdd, kRemove, kOneTry };

class Network {
public:
    // Loads peers.dat (a damaged file is set aside, never fatal), binds the listening port and
    // starts every thread. Errors: net::codes::kBindFailed (the port is taken), ...
    static Result<std::unique_ptr<Network>> start(Node& node, NetworkOptions options);
    ~Network();
    Network(const Network&) = delete;
    Network& operator=(const Network&) = delete;

    // Stops dialling, closes every connection, joins the threads and saves peers.dat. Safe to
    // call twice; the destructor calls it.
    void stop();

    std::optional<net::Endpoint> listen_endpoint() const;
    std::vector<p2p::PeerInfo> peers() const;
    // The peer manager's clock (PeerInfo::connected_ms is on it).
    int64_t now_ms() const;
    NetworkSummary summary() const;
    // What findblob fetches blobs from peers through (any thread).
    p2p::BlobFetcher& blob_fetcher();

    // addnode: kAdd keeps the peer connected (as --addnode), kRemove stops doing so, kOneTry
    // dials once. Errors: net::codes::kDialRefused (devnet and not loopback), p2p::codes::
    // kUnknownAddnode (kRemove of an address never added).
    Status add_node(const net::Endpoint& address, AddNodeCommand command);
    // Closes the connection to a peer, by id or by address. False when no such peer is connected.
    bool disconnect(p2p::PeerId peer);
    bool disconnect(const net::Endpoint& address);
    // setban: a banned host is refused inbound and never dialled until `duration_s` passes; its
    // connections are closed. Removing lifts a ban or a discouragement.
    void ban(const net::Endpoint& address, uint64_t duration_s);
    bool unban(const net::Endpoint& address);
    std::vector<BannedAddress> banned() const;
    void clear_banned();

private:
    struct Parts;
    explicit Network(std::unique_ptr<Parts> parts);
    void ticker();
    Status save_peers() const;
    void publish_metrics() const;
    // The initial-sync progress line (kSyncLogIntervalS), from the ticker thread only.
    void log_sync_progress();

    std::unique_ptr<Parts> parts_;
    std::mutex stop_mutex_;
    std::condition_variable stop_cv_;
    bool stopping_ = false;
    std::thread ticker_;
    // log_sync_progress's last line: when, at which tip height, and whether it was syncing.
    std::chrono::steady_clock::time_point sync_logged_at_{};
    uint64_t sync_logged_height_ = 0;
    bool syncing_ = false;
};

}  // namespace step::node
