#include "node/net/tcp_transport.h"

#include <atomic>
#include <boost/asio.hpp>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "node/log.h"
#include "node/net/dial_policy.h"
#include "node/net/errors.h"
#include "node/net/eviction.h"

namespace step::node::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using p2p::MessageType;
using p2p::PeerId;

namespace {

// Frames gathered into one write: fewer system calls for a stream of small messages.
constexpr size_t kMaxFramesPerWrite = 64;
// After a failed accept (out of file descriptors, say), wait before the next one rather than spin.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};

struct OutFrame {
    MessageType type{};
    FrameHeader header{};
    std::string payload;
    uint64_t size() const { return header.size() + payload.size(); }
};

Endpoint to_endpoint(const tcp::endpoint& e) {
    asio::ip::address a = e.address();
    if (a.is_v6() && a.to_v6().is_v4_mapped())
        a = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
    return Endpoint{a.to_string(), e.port()};
}

Result<tcp::endpoint> to_tcp(const Endpoint& e) {
    error_code ec;
    const asio::ip::address a = asio::ip::make_address(e.host, ec);
    if (ec) return Status::error(codes::kBadEndpoint, "'" + e.host + "' is not a numeric address");
    return tcp::endpoint(a, e.port);
}

// One peer. The fields under "I/O thread" are touched only there; the rest are safe anywhere.
struct Connection {
    Connection(tcp::socket s, PeerId id_, p2p::ConnectionInfo info_, const Magic& magic,
               bool prefer_evict_)
        : id(id_),
          info(std::move(info_)),
          prefer_evict(prefer_evict_),
          socket(std::move(s)),
          decoder(magic) {}

    const PeerId id;
    const p2p::ConnectionInfo info;
    const Clock::time_point connected = Clock::now();
    const bool prefer_evict;

    // I/O thread
    tcp::socket socket;
    FrameDecoder decoder;
    std::deque<OutFrame> out;  // references stay valid while a write uses the front frames
    std::vector<char> read_buffer = std::vector<char>(p2p::kReadChunkBytes);
    bool reading = false;
    bool writing = false;
    bool closed = false;

    // Any thread
    std::atomic<bool> paused{false};
    std::atomic<uint64_t> queued_bytes{0};  // sent and not yet written, as counted by send()
    std::atomic<bool> over_cap{false};      // a send passed the cap: the peer is being dropped
    mutable std::mutex stats_mutex;
    p2p::PeerTraffic traffic;
    std::optional<std::chrono::microseconds> min_ping;
    std::optional<Clock::time_point> last_block;
    std::optional<Clock::time_point> last_tx;
};
using ConnectionPtr = std::shared_ptr<Connection>;

struct Dial {
    Dial(asio::io_context& io, Endpoint to_) : to(std::move(to_)), socket(io), timer(io) {}
    Endpoint to;
    tcp::socket socket;
    asio::steady_timer timer;
    bool timed_out = false;
};
using DialPtr = std::shared_ptr<Dial>;

}  // namespace

struct TcpTransport::Impl {
    Impl(TcpTransportOptions o, p2p::TransportListener& l)
        : options(std::move(o)), listener(l), acceptor(io), accept_retry(io) {}

    ConnectionPtr find(PeerId peer) const;
    void post(std::function<void()> f) { asio::post(io, std::move(f)); }

    // I/O thread
    void accept_next();
    void admit_inbound(tcp::socket socket);
    bool make_inbound_room(bool discouraged);
    // A discouraged host is admitted at most once per kDiscouragedAcceptIntervalMs.
    bool discouraged_accept_due(const std::string& host);
    void dial(const Endpoint& to);
    void finish_dial(const DialPtr& d, error_code ec);
    void add_connection(tcp::socket socket, const Endpoint& remote, bool inbound,
                        bool prefer_evict);
    void start_read(const ConnectionPtr& c);
    void deliver(const ConnectionPtr& c);
    void start_write(const ConnectionPtr& c);
    void wrote(const ConnectionPtr& c, size_t frames);
    void close(const ConnectionPtr& c, const std::string& why);
    void shut_down();

    const TcpTransportOptions options;
    p2p::TransportListener& listener;
    asio::io_context io;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
    tcp::acceptor acceptor;
    asio::steady_timer accept_retry;
    std::thread thread;
    std::atomic<bool> stopping{false};
    std::atomic<PeerId> next_id{1};
    std::set<DialPtr> dials;  // I/O thread: cancelled at stop
    // I/O thread: when each discouraged host was last admitted (bounded, see below).
    std::map<std::string, std::chrono::steady_clock::time_point> discouraged_admitted;

    mutable std::mutex mutex;  // guards what follows; never held while calling the listener
    std::map<PeerId, ConnectionPtr> connections;
    uint32_t inbound = 0;
    uint32_t outbound = 0;  // connected, plus dials in progress
    std::optional<Endpoint> bound;
};

ConnectionPtr TcpTransport::Impl::find(PeerId peer) const {
    std::lock_guard lock(mutex);
    auto it = connections.find(peer);
    return it == connections.end() ? nullptr : it->second;
}

void TcpTransport::Impl::accept_next() {
    acceptor.async_accept([this](error_code ec, tcp::socket socket) {
        if (stopping || ec == asio::error::operation_aborted) return;
        if (ec) {
            log_warn("p2p: accept failed: ", ec.message());
            accept_retry.expires_after(kAcceptRetryDelay);
            accept_retry.async_wait([this](error_code wait_ec) {
                if (!wait_ec && !stopping) accept_next();
            });
            return;
        }
        admit_inbound(std::move(socket));
        accept_next();
    });
}

void TcpTransport::Impl::admit_inbound(tcp::socket socket) {
    error_code ec;
    const tcp::endpoint remote_tcp = socket.remote_endpoint(ec);
    if (ec) return;  // already gone
    const Endpoint remote = to_endpoint(remote_tcp);
    if (options.is_banned && options.is_banned(remote)) {
        log_debug("p2p: refused inbound ", remote.to_string(), ": banned");
        return;
    }
    const bool discouraged = options.is_discouraged && options.is_discouraged(remote);
    if (discouraged && !discouraged_accept_due(remote.host)) return;  // closed unread
    if (!make_inbound_room(discouraged)) {
        log_debug("p2p: refused inbound ", remote.to_string(), ": no inbound slot",
                  discouraged ? " (address discouraged)" : "");
        return;  // the socket closes as it goes out of scope
    }
    add_connection(std::move(socket), remote, true, discouraged);
}

bool TcpTransport::Impl::discouraged_accept_due(const std::string& host) {
    const auto now = std::chrono::steady_clock::now();
    const auto interval = std::chrono::milliseconds(p2p::kDiscouragedAcceptIntervalMs);
    if (discouraged_admitted.size() >= p2p::kMaxDiscouragedAddresses)
        std::erase_if(discouraged_admitted,
                      [&](const auto& kv) { return now - kv.second >= interval; });
    auto [it, fresh] = discouraged_admitted.try_emplace(host, now);
    if (!fresh && now - it->second < interval) return false;
    it->second = now;
    return true;
}

// True when a slot is free or one was freed by evicting an unprotected inbound peer; a
// discouraged newcomer never evicts anyone.
bool TcpTransport::Impl::make_inbound_room(bool discouraged) {
    std::vector<EvictionCandidate> candidates;
    {
        std::lock_guard lock(mutex);
        if (inbound < options.max_inbound) return true;
        if (discouraged) return false;
        for (const auto& [id, c] : connections) {
            if (!c->info.inbound) continue;
            std::lock_guard stats(c->stats_mutex);
            candidates.push_back({id, c->connected, netgroup(c->info.remote), c->min_ping,
                                  c->last_block, c->last_tx, c->prefer_evict});
        }
    }
    const auto victim = select_peer_to_evict(std::move(candidates), options.eviction_salt);
    if (!victim) return false;
    if (ConnectionPtr c = find(*victim)) close(c, "evicted: the inbound slots are full");
    return true;
}

void TcpTransport::Impl::dial(const Endpoint& to) {
    auto target = to_tcp(to);
    if (stopping || !target.ok()) {
        {
            std::lock_guard lock(mutex);
            --outbound;
        }
        if (!stopping) listener.on_connect_failed(to, target.status());
        return;
    }
    auto d = std::make_shared<Dial>(io, to);
    dials.insert(d);
    d->timer.expires_after(options.connect_timeout);
    d->timer.async_wait([d](error_code ec) {
        if (ec) return;  // cancelled: the connect finished first
        d->timed_out = true;
        error_code ignored;
        d->socket.close(ignored);  // completes async_connect with operation_aborted
    });
    d->socket.async_connect(*target, [this, d](error_code ec) { finish_dial(d, ec); });
}

void TcpTransport::Impl::finish_dial(const DialPtr& d, error_code ec) {
    d->timer.cancel();
    dials.erase(d);
    {
        std::lock_guard lock(mutex);
        --outbound;
    }
    if (stopping) return;
    if (ec || d->timed_out) {
        const std::string why = d->timed_out ? "timed out" : ec.message();
        listener.on_connect_failed(
            d->to, Status::error(codes::kConnectFailed, d->to.to_string() + ": " + why));
        return;
    }
    add_connection(std::move(d->socket), d->to, false, false);
}

void TcpTransport::Impl::add_connection(tcp::socket socket, const Endpoint& remote, bool is_inbound,
                                        bool prefer_evict) {
    error_code ec;
    socket.set_option(tcp::no_delay(true), ec);  // small messages (ping, inv) go out at once
    p2p::ConnectionInfo info;
    info.remote = remote;
    const tcp::endpoint local = socket.local_endpoint(ec);
    if (!ec) info.local = to_endpoint(local);
    info.inbound = is_inbound;
    auto c = std::make_shared<Connection>(std::move(socket), next_id++, std::move(info),
                                          options.magic, prefer_evict);
    {
        std::lock_guard lock(mutex);
        connections.emplace(c->id, c);
        ++(is_inbound ? inbound : outbound);
    }
    listener.on_connected(c->id, c->info);
    start_read(c);
}

void TcpTransport::Impl::start_read(const ConnectionPtr& c) {
    if (c->reading || c->closed || c->paused || c->decoder.waiting_for_handshake()) return;
    c->reading = true;
    c->socket.async_read_some(asio::buffer(c->read_buffer), [this, c](error_code ec, size_t n) {
        c->reading = false;
        if (c->closed) return;
        if (ec) {
            close(c,
                  ec == asio::error::eof ? "closed by the peer" : "read failed: " + ec.message());
            return;
        }
        c->decoder.feed(std::string_view(c->read_buffer.data(), n));
        deliver(c);
    });
}

// Hands every whole message to the listener, then reads on unless paused or waiting for the
// handshake.
void TcpTransport::Impl::deliver(const ConnectionPtr& c) {
    while (!c->closed && !c->paused) {
        auto next = c->decoder.next();
        if (!next.ok()) {
            listener.on_framing_error(c->id, next.status());
            close(c, next.status().to_string());
            return;
        }
        if (!*next) break;
        Frame frame = std::move(**next);
        {
            std::lock_guard stats(c->stats_mutex);
            c->traffic.bytes_received[frame.type] += p2p::kFrameHeaderBytes + frame.payload.size();
        }
        listener.on_message(c->id, frame.type, std::move(frame.payload));
    }
    start_read(c);
}

void TcpTransport::Impl::start_write(const ConnectionPtr& c) {
    if (c->writing || c->closed || c->out.empty()) return;
    c->writing = true;
    const size_t frames = std::min(c->out.size(), kMaxFramesPerWrite);
    std::vector<asio::const_buffer> buffers;
    for (size_t i = 0; i < frames; ++i) {
        buffers.push_back(asio::buffer(c->out[i].header));
        if (!c->out[i].payload.empty()) buffers.push_back(asio::buffer(c->out[i].payload));
    }
    asio::async_write(c->socket, buffers, [this, c, frames](error_code ec, size_t) {
        c->writing = false;
        if (c->closed) return;
        if (ec) {
            close(c, "write failed: " + ec.message());
            return;
        }
        wrote(c, frames);
        start_write(c);
    });
}

void TcpTransport::Impl::wrote(const ConnectionPtr& c, size_t frames) {
    uint64_t bytes = 0;
    {
        std::lock_guard stats(c->stats_mutex);
        for (size_t i = 0; i < frames; ++i) {
            c->traffic.bytes_sent[c->out[i].type] += c->out[i].size();
            bytes += c->out[i].size();
        }
    }
    c->out.erase(c->out.begin(), c->out.begin() + static_cast<std::ptrdiff_t>(frames));
    c->queued_bytes -= bytes;
}

void TcpTransport::Impl::close(const ConnectionPtr& c, const std::string& why) {
    if (c->closed) return;
    c->closed = true;
    error_code ignored;
    c->socket.close(ignored);
    c->out.clear();
    {
        std::lock_guard lock(mutex);
        connections.erase(c->id);
        --(c->info.inbound ? inbound : outbound);
    }
    log_debug("p2p: peer ", c->id, " (", c->info.remote.to_string(), ") disconnected: ", why);
    listener.on_disconnected(c->id);
}

void TcpTransport::Impl::shut_down() {
    stopping = true;
    error_code ignored;
    acceptor.close(ignored);
    accept_retry.cancel();
    for (const DialPtr& d : dials) {
        d->timer.cancel();
        d->socket.close(ignored);
    }
    std::map<PeerId, ConnectionPtr> all;
    {
        std::lock_guard lock(mutex);
        all = connections;
    }
    for (const auto& [id, c] : all) close(c, "the node is stopping");
    work.reset();
}

TcpTransport::TcpTransport(TcpTransportOptions options, p2p::TransportListener& listener)
    : impl_(std::make_unique<Impl>(std::move(options), listener)) {}

TcpTransport::~TcpTransport() {
    stop();
}

Status TcpTransport::start() {
    Impl& m = *impl_;
    if (m.options.listen) {
        auto at = to_tcp(*m.options.listen);
        if (!at.ok()) return Status::error(codes::kBindFailed, at.status().message());
        error_code ec;
        m.acceptor.open(at->protocol(), ec);
        if (!ec) m.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
        if (!ec) m.acceptor.bind(*at, ec);
        if (!ec) m.acceptor.listen(asio::socket_base::max_listen_connections, ec);
        if (ec)
            return Status::error(
                codes::kBindFailed,
                "cannot listen on " + m.options.listen->to_string() + ": " + ec.message());
        {
            std::lock_guard lock(m.mutex);
            m.bound = to_endpoint(m.acceptor.local_endpoint());
        }
        m.accept_next();
    }
    m.work.emplace(asio::make_work_guard(m.io));
    m.thread = std::thread([&m] { m.io.run(); });
    return Status();
}

void TcpTransport::stop() {
    Impl& m = *impl_;
    if (!m.thread.joinable()) return;
    m.post([&m] { m.shut_down(); });
    m.thread.join();
}

std::optional<Endpoint> TcpTransport::listen_endpoint() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->bound;
}

std::vector<ConnectionSnapshot> TcpTransport::connections() const {
    std::vector<ConnectionSnapshot> out;
    std::lock_guard lock(impl_->mutex);
    for (const auto& [id, c] : impl_->connections) {
        ConnectionSnapshot s;
        s.peer = id;
        s.info = c->info;
        s.connected = c->connected;
        s.send_queue_bytes = c->queued_bytes;
        std::lock_guard stats(c->stats_mutex);
        s.traffic = c->traffic;
        out.push_back(std::move(s));
    }
    return out;
}

void TcpTransport::send(PeerId peer, MessageType type, std::string payload) {
    Impl& m = *impl_;
    ConnectionPtr c = m.find(peer);
    if (!c) return;
    if (payload.size() > p2p::max_payload_bytes(type)) {
        // Our own bug: the peer would refuse the frame and drop us, so it is not sent.
        log_error("p2p: not sending ", p2p::message_type_name(type), " of ", payload.size(),
                  " bytes to peer ", peer, ": over its cap of ", p2p::max_payload_bytes(type));
        return;
    }
    OutFrame frame{type, encode_frame_header(m.options.magic, type, payload), std::move(payload)};
    const uint64_t size = frame.size();
    if (c->queued_bytes.fetch_add(size) + size > m.options.max_send_queue_bytes) {
        c->queued_bytes -= size;                 // not queued: the count stays within the cap
        if (c->over_cap.exchange(true)) return;  // already being dropped
        m.post([&m, c] {
            log_info("p2p: disconnecting peer ", c->id, " (", c->info.remote.to_string(),
                     "): ", codes::kSendQueueFull.name, ": it reads too slowly");
            m.close(c, std::string(codes::kSendQueueFull.name));
        });
        return;
    }
    m.post([&m, c, f = std::move(frame)]() mutable {
        if (c->closed) return;
        c->out.push_back(std::move(f));
        m.start_write(c);
    });
}

void TcpTransport::disconnect(PeerId peer) {
    if (ConnectionPtr c = impl_->find(peer))
        impl_->post([this, c] { impl_->close(c, "disconnected by the node"); });
}

void TcpTransport::mark_handshake_done(PeerId peer) {
    if (ConnectionPtr c = impl_->find(peer))
        impl_->post([this, c] {
            c->decoder.set_handshake_done();
            impl_->deliver(c);
        });
}

void TcpTransport::set_receive_paused(PeerId peer, bool paused) {
    ConnectionPtr c = impl_->find(peer);
    if (!c) return;
    c->paused = paused;  // at once: the delivery loop stops before the next message
    if (!paused) impl_->post([this, c] { impl_->deliver(c); });
}

uint64_t TcpTransport::send_queue_bytes(PeerId peer) const {
    ConnectionPtr c = impl_->find(peer);
    return c ? c->queued_bytes.load() : 0;
}

void TcpTransport::connect(const Endpoint& to) {
    Impl& m = *impl_;
    Status refused = check_dial(to, m.options.loopback_only);
    if (refused.ok() && m.options.is_banned && m.options.is_banned(to))
        refused = Status::error(codes::kAddressBanned, to.to_string() + " is banned (setban)");
    if (refused.ok()) {
        std::lock_guard lock(m.mutex);
        if (m.outbound >= m.options.max_outbound)
            refused = Status::error(
                codes::kNoConnectionSlot,
                "all " + std::to_string(m.options.max_outbound) + " outbound slots are taken");
        else
            ++m.outbound;
    }
    if (!refused.ok()) {
        m.post([&m, to, refused] {
            if (!m.stopping) m.listener.on_connect_failed(to, refused);
        });
        return;
    }
    m.post([&m, to] { m.dial(to); });
}

void TcpTransport::note_ping(PeerId peer, std::chrono::microseconds rtt) {
    if (ConnectionPtr c = impl_->find(peer)) {
        std::lock_guard stats(c->stats_mutex);
        if (!c->min_ping || rtt < *c->min_ping) c->min_ping = rtt;
    }
}

void TcpTransport::note_useful_block(PeerId peer) {
    if (ConnectionPtr c = impl_->find(peer)) {
        std::lock_guard stats(c->stats_mutex);
        c->last_block = Clock::now();
    }
}

void TcpTransport::note_useful_tx(PeerId peer) {
    if (ConnectionPtr c = impl_->find(peer)) {
        std::lock_guard stats(c->stats_mutex);
        c->last_tx = Clock::now();
    }
}

std::optional<p2p::PeerTraffic> TcpTransport::traffic(PeerId peer) const {
    ConnectionPtr c = impl_->find(peer);
    if (!c) return std::nullopt;
    std::lock_guard stats(c->stats_mutex);
    return c->traffic;
}

}  // namespace step::node::net
