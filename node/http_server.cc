#include "node/http_server.h"

#include "node/errors.h"
#include "node/http_same_origin.h"

#include <array>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

namespace step::node {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// Takes the response by value: a handler's answer (up to rpc_limits::kMaxAnswerBytes) is moved,
// not copied, into the message.
http::response<http::string_body> to_beast(HttpResponse r, unsigned version, bool keep_alive) {
    http::response<http::string_body> res{static_cast<http::status>(r.status), version};
    res.set(http::field::server, "stepd");
    res.set(http::field::content_type, r.content_type);
    if (r.www_authenticate) res.set(http::field::www_authenticate, "Basic realm=\"stepd\"");
    for (const auto& [name, value] : r.headers) res.set(name, value);
    res.keep_alive(keep_alive);
    res.body() = std::move(r.body);
    res.prepare_payload();
    return res;
}

// A parser error that the client's bytes caused (conflicting Content-Length, Content-Length with
// chunked, a header over the cap, ...), as opposed to the client going away or timing out: the
// client is told with a 400 before the connection closes.
bool is_framing_error(const beast::error_code& ec) {
    return ec.category() == http::make_error_code(http::error::bad_version).category() &&
           ec != http::error::end_of_stream && ec != http::error::partial_message &&
           ec != http::error::body_limit;
}

class Session;

// The connection slots and who holds them. A session "waits" from the moment it starts reading a
// request until the request has arrived complete; only waiting sessions may be evicted, the one
// waiting longest first (see HttpServerOptions::max_connections). Thread-safe: the acceptor
// admits while sessions, each on its own strand, report their state.
class SlotTable {
public:
    explicit SlotTable(size_t max) : max_(max) {}

    // Gives `session` a slot (it starts waiting). When none is free, the longest-waiting session
    // loses its slot and is returned, for the caller to close; returns false when every slot is
    // held by a session being served (then `session` is refused).
    bool admit(const std::shared_ptr<Session>& session, std::shared_ptr<Session>& evicted) {
        std::lock_guard lock(mutex_);
        if (slots_.size() >= max_) {
            auto oldest = slots_.end();
            for (auto it = slots_.begin(); it != slots_.end(); ++it)
                if (it->second.waiting_since &&
                    (oldest == slots_.end() ||
                     *it->second.waiting_since < *oldest->second.waiting_since))
                    oldest = it;
            if (oldest == slots_.end()) return false;
            evicted = oldest->second.session.lock();  // destroyed by the caller, outside the lock
            slots_.erase(oldest);
        }
        slots_[session.get()] = Slot{session, Clock::now()};
        return true;
    }
    void waiting(const Session* s) { set(s, Clock::now()); }
    void served(const Session* s) { set(s, std::nullopt); }
    void release(const Session* s) {
        std::lock_guard lock(mutex_);
        slots_.erase(s);
    }

private:
    using Clock = std::chrono::steady_clock;
    struct Slot {
        std::weak_ptr<Session> session;
        std::optional<Clock::time_point> waiting_since;  // nullopt: being served
    };
    void set(const Session* s, std::optional<Clock::time_point> since) {
        std::lock_guard lock(mutex_);
        if (auto it = slots_.find(s); it != slots_.end()) it->second.waiting_since = since;
    }
    const size_t max_;
    std::mutex mutex_;
    std::unordered_map<const Session*, Slot> slots_;
};

// The sessions that became event streams, apart from the connection slots (their own cap).
// Thread-safe: sessions join and leave on their strands, publish() reads from any thread.
class EventHub {
public:
    explicit EventHub(size_t max) : max_(max) {}
    bool join(const std::shared_ptr<Session>& session) {
        std::lock_guard lock(mutex_);
        if (streams_.size() >= max_) return false;
        streams_[session.get()] = session;
        return true;
    }
    void leave(const Session* s) {
        std::lock_guard lock(mutex_);
        streams_.erase(s);
    }
    std::vector<std::shared_ptr<Session>> live() {
        std::lock_guard lock(mutex_);
        std::vector<std::shared_ptr<Session>> out;
        for (const auto& [key, weak] : streams_)
            if (auto s = weak.lock()) out.push_back(std::move(s));
        return out;
    }
    size_t size() {
        std::lock_guard lock(mutex_);
        return streams_.size();
    }

private:
    const size_t max_;
    std::mutex mutex_;
    std::unordered_map<const Session*, std::weak_ptr<Session>> streams_;
};

// What every session of one server shares.
struct SessionContext {
    const HttpHandler& handler;
    const HttpServerOptions& options;
    asio::thread_pool& workers;
    SlotTable& slots;
    EventHub& events;
    const net::Endpoint& bound;
};

// The head of an event stream's answer. Its body ends when the connection closes (no
// Content-Length, no chunking), which EventSource reads as it comes.
constexpr char kEventStreamHead[] =
    "HTTP/1.1 200 OK\r\nServer: stepd\r\nContent-Type: text/event-stream\r\n"
    "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n"
    "retry: 3000\n\n";
constexpr char kEventKeepAliveComment[] = ": keep-alive\n\n";

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket socket, const SessionContext& context)
        : stream_(std::move(socket)), ctx_(context) {}
    ~Session() {
        ctx_.slots.release(this);
        ctx_.events.leave(this);
    }

    void run() {
        asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read(); });
    }
    // Answers a connection over the limit before the session starts (so nothing else uses the
    // socket): the reply is a few dozen bytes, which the send buffer takes at once.
    void refuse(const HttpResponse& busy) {
        auto res = to_beast(busy, 11, false);
        beast::error_code ec;
        http::write(stream_.socket(), res, ec);
        stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
        stream_.socket().close(ec);
    }
    // Closes the connection (its slot was given to a newcomer); on the session's own strand.
    void evict() {
        asio::dispatch(stream_.get_executor(),
                       [self = shared_from_this()] { self->stream_.close(); });
    }

    // Queues one event's bytes on this stream, from any thread.
    void post_event(std::shared_ptr<const std::string> text) {
        asio::post(stream_.get_executor(),
                   [self = shared_from_this(), text = std::move(text)] { self->send(*text); });
    }
    // Closes an event stream at stop, when no thread runs the I/O context any more.
    void close_stopped() {
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream_.socket().close(ignored);
    }

private:
    // Bytes of a pipelined next request may already be in buffer_: the parser reads them first.
    void read() {
        ctx_.slots.waiting(this);
        parser_.emplace();
        parser_->header_limit(static_cast<uint32_t>(ctx_.options.max_header_bytes));
        parser_->body_limit(ctx_.options.max_body_bytes);
        stream_.expires_after(ctx_.options.header_timeout);
        http::async_read_header(
            stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
                if (ec) return self->on_error(ec);
                self->stream_.expires_after(self->ctx_.options.idle_timeout);
                http::async_read(self->stream_, self->buffer_, *self->parser_,
                                 [self](beast::error_code ec, size_t) { self->on_read(ec); });
            });
    }

    void on_error(beast::error_code ec) {
        const unsigned version = parser_->is_header_done() ? parser_->get().version() : 11;
        if (ec == http::error::body_limit) {
            // The client still sends; answer and close rather than draining megabytes.
            write(to_beast(ctx_.options.too_large_response, version, false));
        } else if (is_framing_error(ec)) {
            write(to_beast(
                HttpResponse{400, "text/plain", "bad request: " + ec.message() + "\n", false},
                version, false));
        } else {
            beast::error_code ignored;
            stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        }
    }

    void on_read(beast::error_code ec) {
        if (ec) return on_error(ec);
        ctx_.slots.served(this);
        auto& req = parser_->get();
        HttpRequest request;
        request.method = std::string(req.method_string());
        request.target = std::string(req.target());
        request.body = std::move(req.body());
        request.authorization = std::string(req[http::field::authorization]);
        request.host = std::string(req[http::field::host]);
        request.origin = std::string(req[http::field::origin]);
        request.content_type = std::string(req[http::field::content_type]);
        request.if_none_match = std::string(req[http::field::if_none_match]);
        const unsigned version = req.version();
        const bool keep_alive = req.keep_alive();
        if (ctx_.options.same_origin_only) {
            if (auto refused = refuse_cross_site(request, ctx_.bound)) {
                write(to_beast(*refused, version, false));
                return;
            }
        }
        if (is_events_request(request)) return start_events(version);
        // GETs (health, metrics) are quick and answered on the I/O thread, so they stay
        // responsive while long POSTs (a big `generate`) occupy the worker pool.
        if (request.method != "POST") {
            write(to_beast(call_handler(request), version, keep_alive));
            return;
        }
        asio::post(ctx_.workers,
                   [self = shared_from_this(), request = std::move(request), version, keep_alive] {
                       auto res = std::make_shared<HttpResponse>(self->call_handler(request));
                       asio::post(self->stream_.get_executor(), [self, res, version, keep_alive] {
                           self->write(to_beast(std::move(*res), version, keep_alive));
                       });
                   });
    }

    HttpResponse call_handler(const HttpRequest& request) {
        try {
            return ctx_.handler(request);
        } catch (const std::exception& e) {
            return HttpResponse{500, "text/plain", std::string("internal error: ") + e.what(),
                                false};
        }
    }

    void write(http::response<http::string_body> res) {
        auto sp = std::make_shared<http::response<http::string_body>>(std::move(res));
        stream_.expires_after(ctx_.options.idle_timeout);
        http::async_write(
            stream_, *sp, [self = shared_from_this(), sp](beast::error_code ec, size_t) {
                if (ec) return;
                if (!sp->keep_alive()) {
                    beast::error_code ignored;
                    self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
                    return;
                }
                self->read();
            });
    }

    bool is_events_request(const HttpRequest& r) const {
        return !ctx_.options.events_path.empty() && r.method == "GET" &&
               r.target.substr(0, r.target.find('?')) == ctx_.options.events_path;
    }

    // Gives the connection slot back and serves the rest of the connection as an event stream.
    void start_events(unsigned version) {
        ctx_.slots.release(this);
        if (!ctx_.events.join(shared_from_this())) {
            write(to_beast(ctx_.options.busy_events_response, version, false));
            return;
        }
        streaming_ = true;
        stream_.expires_never();
        send(kEventStreamHead);
        watch_close();
        keep_alive();
    }

    // Reads until the client closes: nothing is expected from it, and the read's end is how a
    // closed tab is noticed between events.
    void watch_close() {
        stream_.async_read_some(asio::buffer(probe_),
                                [self = shared_from_this()](beast::error_code ec, size_t) {
                                    if (ec) return self->end_stream();
                                    self->watch_close();
                                });
    }

    void keep_alive() {
        keepalive_.expires_after(ctx_.options.event_keepalive);
        keepalive_.async_wait([self = shared_from_this()](beast::error_code ec) {
            if (ec || !self->streaming_) return;
            self->send(kEventKeepAliveComment);
            self->keep_alive();
        });
    }

    // On the strand. A stream whose client has let kMaxQueuedEvents pile up is closed.
    void send(std::string text) {
        if (!streaming_) return;
        if (pending_.size() >= rpc_limits::kMaxQueuedEvents) return end_stream();
        pending_.push_back(std::move(text));
        if (pending_.size() == 1) flush();
    }

    void flush() {
        asio::async_write(stream_, asio::buffer(pending_.front()),
                          [self = shared_from_this()](beast::error_code ec, size_t) {
                              // After end_stream the queue is left as it was: this write's
                              // buffer is its front until the aborted write returns here.
                              if (ec || !self->streaming_) return self->end_stream();
                              self->pending_.pop_front();
                              if (!self->pending_.empty()) self->flush();
                          });
    }

    void end_stream() {
        if (!streaming_) return;
        streaming_ = false;
        keepalive_.cancel();
        ctx_.events.leave(this);
        stream_.close();
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    const SessionContext& ctx_;
    // Event stream state (start_events), used on the session's strand only.
    bool streaming_ = false;
    std::deque<std::string> pending_;  // front: being written
    asio::steady_timer keepalive_{stream_.get_executor()};
    std::array<char, 256> probe_{};
};

}  // namespace

// Members are destroyed bottom-up, and the order matters: destroying `workers`, then `ioc`,
// destroys the handlers still queued on them, and with those the last references to their
// Sessions, whose destructors release their slots and whose sockets belong to `ioc`. So what a
// Session refers to (options, handler, slots, bound, context) is declared above `ioc`, and
// `workers` below it (its Sessions close their sockets while `ioc` still exists).
struct HttpServer::Impl {
    HttpServerOptions options;
    HttpHandler handler;
    std::unique_ptr<SlotTable> slots;
    std::unique_ptr<EventHub> events;
    net::Endpoint bound;  // the listening address and port, for the same-origin rule
    std::unique_ptr<SessionContext> context;
    asio::io_context ioc;
    tcp::acceptor acceptor{ioc};
    std::vector<std::thread> threads;            // run ioc: network I/O and quick GETs
    std::unique_ptr<asio::thread_pool> workers;  // run POST handlers
    std::atomic<bool> stopped{false};

    void accept() {
        acceptor.async_accept(asio::make_strand(ioc),
                              [this](beast::error_code ec, tcp::socket socket) {
                                  if (ec == asio::error::operation_aborted || !acceptor.is_open())
                                      return;
                                  if (!ec) admit(std::move(socket));
                                  accept();
                              });
    }

    void admit(tcp::socket socket) {
        auto session = std::make_shared<Session>(std::move(socket), *context);
        std::shared_ptr<Session> evicted;
        if (!slots->admit(session, evicted)) {
            session->refuse(options.busy_response);
            return;
        }
        if (evicted) evicted->evict();
        session->run();
    }
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() {
    stop();
}

Result<std::unique_ptr<HttpServer>> HttpServer::start(const HttpServerOptions& options,
                                                      HttpHandler handler) {
    auto impl = std::make_unique<Impl>();
    impl->options = options;
    impl->handler = std::move(handler);
    beast::error_code ec;
    auto address = asio::ip::make_address(options.host, ec);
    if (ec) {
        // Accept host names such as "localhost" by resolving them.
        tcp::resolver resolver(impl->ioc);
        auto results = resolver.resolve(options.host, std::to_string(options.port), ec);
        if (ec || results.empty())
            return Status::error(codes::kRpcBind, "cannot resolve RPC host '" + options.host + "'");
        address = results.begin()->endpoint().address();
    }
    tcp::endpoint endpoint(address, options.port);
    impl->acceptor.open(endpoint.protocol(), ec);
    if (!ec) impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) impl->acceptor.bind(endpoint, ec);
    if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
        return Status::error(codes::kRpcBind, "cannot listen on " + options.host + ":" +
                                                  std::to_string(options.port) + ": " +
                                                  ec.message());
    const tcp::endpoint local = impl->acceptor.local_endpoint();
    impl->bound = net::Endpoint{local.address().to_string(), local.port()};
    const size_t n = options.threads == 0 ? 1 : options.threads;
    impl->workers = std::make_unique<asio::thread_pool>(n);
    impl->slots = std::make_unique<SlotTable>(options.max_connections);
    impl->events = std::make_unique<EventHub>(options.max_event_streams);
    impl->context = std::make_unique<SessionContext>(SessionContext{
        impl->handler, impl->options, *impl->workers, *impl->slots, *impl->events, impl->bound});
    impl->accept();
    // Two I/O threads suffice for loopback RPC; handlers run on the worker pool.
    for (size_t i = 0; i < 2; ++i) impl->threads.emplace_back([io = &impl->ioc] { io->run(); });
    return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

uint16_t HttpServer::port() const {
    return impl_->bound.port;
}

void HttpServer::publish(const std::string& name, const std::string& data) {
    if (impl_->stopped) return;
    auto text = std::make_shared<const std::string>("event: " + name + "\ndata: " + data + "\n\n");
    for (const auto& session : impl_->events->live()) session->post_event(text);
}

size_t HttpServer::event_streams() const {
    return impl_->events->size();
}

void HttpServer::stop() {
    if (!impl_ || impl_->stopped.exchange(true)) return;
    impl_->ioc.stop();
    for (auto& t : impl_->threads)
        if (t.joinable()) t.join();
    // Running handlers finish (long ones watch the caller's stop flag); queued ones are dropped.
    impl_->workers->stop();
    impl_->workers->join();
    // Browsers see their event streams end now (and retry), not when the server is destroyed.
    for (const auto& session : impl_->events->live()) session->close_stopped();
    // No thread runs the io_context any more: closing here is race-free, and the port stops
    // accepting at once (pending handlers, and their sockets, go with the io_context).
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
}

}  // namespace step::node
