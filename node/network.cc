#include "node/network.h"

#include <algorithm>
#include <cstdio>
#include <random>

#include "node/log.h"
#include "node/net/dial_policy.h"
#include "node/p2p/errors.h"
#include "node/p2p/peers_file.h"

namespace step::node {
namespace {

// The ticker dials what is due this often: a dropped --addnode peer is retried within it.
constexpr auto kTickInterval = std::chrono::seconds(1);

uint64_t random_u64() {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) | rd();
}

net::TcpTransportOptions transport_options(const NetworkOptions& o,
                                           std::function<bool(const net::Endpoint&)> discouraged,
                                           std::function<bool(const net::Endpoint&)> banned) {
    const auto manual = static_cast<uint32_t>(o.connect.size() + o.addnode.size());
    const auto slots = net::split_connection_slots(
        o.max_connections, (o.connect.empty() ? p2p::kDefaultOutboundTarget : 0) + manual);
    net::TcpTransportOptions t;
    t.magic = o.params->p2p_magic;
    t.listen = o.listen;
    t.max_inbound = slots.inbound;
    t.max_outbound = slots.outbound;
    t.loopback_only = o.params->p2p_dial_loopback_only;
    t.eviction_salt = random_u64();
    t.is_discouraged = std::move(discouraged);
    t.is_banned = std::move(banned);
    return t;
}

p2p::ConnectionManagerOptions connection_options(const NetworkOptions& o) {
    p2p::ConnectionManagerOptions c;
    c.connect = o.connect;
    c.addnode = o.addnode;
    c.loopback_only = o.params->p2p_dial_loopback_only;
    c.clock = system_clock_seconds;
    c.random = random_u64;
    return c;
}

}  // namespace

// Declared in the order they are built; each refers only to those above it, except that the
// transport's listener is the connection manager below it (stored, not called, until start).
struct Network::Parts {
    Parts(Node& n, NetworkOptions o)
        : node(n),
          options(std::move(o)),
          transport(transport_options(
                        options,
                        [this](const net::Endpoint& e) {
                            return discouraged.is_discouraged(e, system_clock_seconds());
                        },
                        [this](const net::Endpoint& e) {
                            return banned.is_discouraged(e, system_clock_seconds());
                        }),
                    connections),
          peer_manager(node, transport, discouraged, peer_options(), &book),
          connections(connection_options(options), book, discouraged, transport, peer_manager) {}

    p2p::P2POptions peer_options() {
        p2p::P2POptions p;
        p.user_agent = options.user_agent;
        p.listen_port = options.listen ? options.listen->port : 0;
        p.listener_seen = [this](const net::Endpoint& e, bool connected) {
            connections.note_listener(e, connected);
        };
        return p;
    }

    Node& node;
    const NetworkOptions options;
    net::Discouragement discouraged;  // by the protocol, for misbehaviour
    net::Discouragement banned;       // by the operator (setban)
    p2p::AddressBook book;
    net::TcpTransport transport;
    p2p::PeerManager peer_manager;
    p2p::ConnectionManager connections;
};

Result<std::unique_ptr<Network>> Network::start(Node& node, NetworkOptions options) {
    auto parts = std::make_unique<Parts>(node, std::move(options));
    const std::string peers_path = p2p::peers_file_path(parts->options.datadir);
    const auto report = p2p::load_peers_file(peers_path, parts->book, system_clock_seconds());
    if (report.loaded > 0) log_info("p2p: ", report.loaded, " addresses from ", peers_path);
    if (Status s = parts->transport.start(); !s.ok()) return s;
    if (auto at = parts->transport.listen_endpoint()) parts->connections.set_own_address(*at);
    p2p::PeerManager& pm = parts->peer_manager;
    node.set_tx_accepted_hook([&pm](const Hash256& txid) { pm.tx_accepted(txid); });
    pm.set_blob_store(parts->options.blobs);
    pm.start();
    if (auto at = parts->transport.listen_endpoint())
        log_info("p2p listening on ", at->to_string());
    else
        log_info("p2p: not listening (--no-listen); outbound connections only");
    return std::unique_ptr<Network>(new Network(std::move(parts)));
}

Network::Network(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {
    ticker_ = std::thread([this] { ticker(); });
}

Network::~Network() {
    stop();
}

void Network::stop() {
    {
        std::lock_guard lock(stop_mutex_);
        if (stopping_) return;
        stopping_ = true;
    }
    stop_cv_.notify_all();
    if (ticker_.joinable()) ticker_.join();
    parts_->node.set_tx_accepted_hook(nullptr);
    parts_->transport.stop();     // no more events from peers
    parts_->peer_manager.stop();  // then the worker that handles them
    if (Status s = save_peers(); !s.ok()) log_error("p2p: cannot save peers.dat: ", s.to_string());
}

void Network::ticker() {
    auto next_save =
        std::chrono::steady_clock::now() + std::chrono::seconds(kPeersFileSaveIntervalS);
    std::unique_lock lock(stop_mutex_);
    while (!stopping_) {
        lock.unlock();
        parts_->connections.tick();
        publish_metrics();
        log_sync_progress();
        if (std::chrono::steady_clock::now() >= next_save) {
            if (Status s = save_peers(); !s.ok())
                log_warn("p2p: cannot save peers.dat: ", s.to_string());
            next_save += std::chrono::seconds(kPeersFileSaveIntervalS);
        }
        lock.lock();
        stop_cv_.wait_for(lock, kTickInterval, [this] { return stopping_; });
    }
}

Status Network::save_peers() const {
    return p2p::save_peers_file(p2p::peers_file_path(parts_->options.datadir), parts_->book);
}

void Network::log_sync_progress() {
    const auto now = std::chrono::steady_clock::now();
    const uint64_t tip = parts_->node.chain().tip().height;
    const uint64_t best = parts_->node.chain().best_header().height;
    if (best <= tip) {
        if (syncing_) log_info(kSyncCaughtUpLog, tip);
        syncing_ = false;
        return;
    }
    if (!syncing_) {
        syncing_ = true;
        sync_logged_at_ = now;
        sync_logged_height_ = tip;
        log_info(kSyncProgressLog, tip, " of ", best, " headers; downloading blocks");
        return;
    }
    const double seconds = std::chrono::duration<double>(now - sync_logged_at_).count();
    if (seconds < static_cast<double>(kSyncLogIntervalS)) return;
    char line[160];
    std::snprintf(line, sizeof line, "%s%llu of %llu (%.1f%%), %.1f blocks/s", kSyncProgressLog,
                  static_cast<unsigned long long>(tip), static_cast<unsigned long long>(best),
                  100.0 * static_cast<double>(tip) / static_cast<double>(best),
                  static_cast<double>(tip - std::min(tip, sync_logged_height_)) / seconds);
    log_info(line);
    sync_logged_at_ = now;
    sync_logged_height_ = tip;
}

void Network::publish_metrics() const {
    Metrics* m = parts_->options.metrics;
    if (!m) return;
    const NetworkSummary s = summary();
    m->set_gauge("stepd_p2p_peers_inbound", "Connected inbound peers",
                 static_cast<double>(s.inbound));
    m->set_gauge("stepd_p2p_peers_outbound", "Connected outbound peers",
                 static_cast<double>(s.outbound));
    m->set_gauge("stepd_p2p_initial_sync", "1 while the best header chain is ahead of the tip",
                 s.initial_sync ? 1 : 0);
    m->set_counter("stepd_p2p_headers_received_total", "Headers from peers newly stored",
                   s.counters.headers_received);
    m->set_counter("stepd_p2p_blocks_received_total", "Blocks from peers newly stored",
                   s.counters.blocks_received);
    m->set_counter("stepd_p2p_txs_received_total", "Transactions from peers accepted",
                   s.counters.txs_received);
    m->set_counter("stepd_p2p_blob_chunks_received_total",
                   "Blob chunks from peers verified and newly stored",
                   s.counters.blob_chunks_received);
    m->set_counter("stepd_p2p_blob_chunks_sent_total", "Blob chunks served to peers",
                   s.counters.blob_chunks_sent);
    m->set_counter("stepd_p2p_blobs_fetched_total", "Blobs fetched whole from peers",
                   s.counters.blobs_fetched);
    m->set_labeled_counters("stepd_p2p_bytes_received_total",
                            "Bytes received from peers by message type", "type",
                            s.counters.bytes_received);
    m->set_labeled_counters("stepd_p2p_bytes_sent_total", "Bytes sent to peers by message type",
                            "type", s.counters.bytes_sent);
    m->set_labeled_counters("stepd_p2p_peers_discouraged_total",
                            "Peers disconnected and discouraged, by reason code", "reason",
                            s.counters.discouraged);
}

p2p::BlobFetcher& Network::blob_fetcher() {
    return parts_->peer_manager.blob_fetcher();
}

std::optional<net::Endpoint> Network::listen_endpoint() const {
    return parts_->transport.listen_endpoint();
}

int64_t Network::now_ms() const {
    return parts_->peer_manager.now_ms();
}

std::vector<p2p::PeerInfo> Network::peers() const {
    return parts_->peer_manager.peer_info();
}

NetworkSummary Network::summary() const {
    NetworkSummary s;
    s.listening = parts_->transport.listen_endpoint();
    for (const auto& p : parts_->peer_manager.peer_info()) (p.inbound ? s.inbound : s.outbound)++;
    s.known_addresses = parts_->book.size();
    s.tip_height = parts_->node.chain().tip().height;
    s.best_header_height = parts_->node.chain().best_header().height;
    s.initial_sync = s.best_header_height > s.tip_height;
    s.counters = parts_->peer_manager.counters();
    return s;
}

Status Network::add_node(const net::Endpoint& address, AddNodeCommand command) {
    if (Status s = net::check_dial(address, parts_->options.params->p2p_dial_loopback_only);
        !s.ok())
        return s;
    switch (command) {
        case AddNodeCommand::kAdd:
            parts_->connections.add_manual(address);
            return Status::ok_status();
        case AddNodeCommand::kRemove:
            if (!parts_->connections.remove_manual(address))
                return Status::error(p2p::codes::kUnknownAddnode,
                                     address.to_string() + " was not added with addnode");
            return Status::ok_status();
        case AddNodeCommand::kOneTry:
            parts_->transport.connect(address);
            return Status::ok_status();
    }
    return Status::ok_status();
}

bool Network::disconnect(p2p::PeerId peer) {
    for (const auto& c : parts_->transport.connections()) {
        if (c.peer != peer) continue;
        parts_->transport.disconnect(peer);
        return true;
    }
    return false;
}

bool Network::disconnect(const net::Endpoint& address) {
    bool any = false;
    for (const auto& c : parts_->transport.connections()) {
        if (c.info.remote != address) continue;
        parts_->transport.disconnect(c.peer);
        any = true;
    }
    return any;
}

void Network::ban(const net::Endpoint& address, uint64_t duration_s) {
    parts_->banned.discourage(address, "setban", system_clock_seconds(), duration_s);
    for (const auto& c : parts_->transport.connections())
        if (c.info.remote.host == address.host) parts_->transport.disconnect(c.peer);
}

bool Network::unban(const net::Endpoint& address) {
    const bool banned = parts_->banned.remove(address);
    const bool discouraged = parts_->discouraged.remove(address);
    return banned || discouraged;
}

std::vector<BannedAddress> Network::banned() const {
    const uint64_t now = system_clock_seconds();
    std::vector<BannedAddress> out;
    for (auto& e : parts_->banned.list(now)) out.push_back({std::move(e), true});
    for (auto& e : parts_->discouraged.list(now)) out.push_back({std::move(e), false});
    return out;
}

void Network::clear_banned() {
    parts_->banned.clear();
    parts_->discouraged.clear();
}

}  // namespace step::node
