#include "node/http_server.h"
#include "node/errors.h"

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <optional>
#include <thread>
#include <vector>

namespace step::node {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// An idle or slow client loses its connection after this long, so it cannot pin a session.
constexpr std::chrono::seconds kIdleTimeout{60};

http::response<http::string_body> to_beast(const HttpResponse& r, unsigned version, bool keep_alive) {
    http::response<http::string_body> res{static_cast<http::status>(r.status), version};
    res.set(http::field::server, "stepd");
    res.set(http::field::content_type, r.content_type);
    if (r.www_authenticate) res.set(http::field::www_authenticate, "Basic realm=\"stepd\"");
    res.keep_alive(keep_alive);
    res.body() = r.body;
    res.prepare_payload();
    return res;
}

class Session : public std::enable_shared_from_this<Session> {
public:
    // `open` counts live sessions: taken by the acceptor, given back when the session ends.
    Session(tcp::socket socket, const HttpHandler& handler, const HttpServerOptions& options,
            asio::thread_pool& workers, std::atomic<size_t>& open)
        : stream_(std::move(socket)), handler_(handler), options_(options), workers_(workers), open_(open) {}
    ~Session() { open_.fetch_sub(1); }

    void run() {
        asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read(); });
    }

private:
    void read() {
        parser_.emplace();
        parser_->body_limit(options_.max_body_bytes);
        stream_.expires_after(kIdleTimeout);
        http::async_read(stream_, buffer_, *parser_,
                         [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
    }

    void on_read(beast::error_code ec) {
        if (ec == http::error::body_limit) {
            // The client still sends; answer and close rather than draining megabytes.
            write(to_beast(options_.too_large_response, parser_->get().version(), false));
            return;
        }
        if (ec) {
            beast::error_code ignored;
            stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
            return;
        }
        auto& req = parser_->get();
        HttpRequest request;
        request.method = std::string(req.method_string());
        request.target = std::string(req.target());
        request.body = std::move(req.body());
        request.authorization = std::string(req[http::field::authorization]);
        const unsigned version = req.version();
        const bool keep_alive = req.keep_alive();
        // GETs (health, metrics) are quick and answered on the I/O thread, so they stay
        // responsive while long POSTs (a big `generate`) occupy the worker pool.
        if (request.method != "POST") {
            write(to_beast(call_handler(request), version, keep_alive));
            return;
        }
        asio::post(workers_, [self = shared_from_this(), request = std::move(request), version, keep_alive] {
            auto res = std::make_shared<HttpResponse>(self->call_handler(request));
            asio::post(self->stream_.get_executor(),
                       [self, res, version, keep_alive] { self->write(to_beast(*res, version, keep_alive)); });
        });
    }

    HttpResponse call_handler(const HttpRequest& request) {
        try {
            return handler_(request);
        } catch (const std::exception& e) {
            return HttpResponse{500, "text/plain", std::string("internal error: ") + e.what(), false};
        }
    }

    void write(http::response<http::string_body> res) {
        auto sp = std::make_shared<http::response<http::string_body>>(std::move(res));
        stream_.expires_after(kIdleTimeout);
        http::async_write(stream_, *sp, [self = shared_from_this(), sp](beast::error_code ec, size_t) {
            if (ec) return;
            if (!sp->keep_alive()) {
                beast::error_code ignored;
                self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
                return;
            }
            self->buffer_.consume(self->buffer_.size());
            self->read();
        });
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    const HttpHandler& handler_;
    const HttpServerOptions& options_;
    asio::thread_pool& workers_;
    std::atomic<size_t>& open_;
};

// Answers a connection over the limit without a session: the reply is a few dozen bytes, which
// the socket's send buffer takes at once, then the socket closes.
void refuse(tcp::socket socket, const HttpResponse& busy) {
    auto res = to_beast(busy, 11, false);
    beast::error_code ec;
    http::write(socket, res, ec);
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
}

}  // namespace

// Members are destroyed bottom-up, and the order matters: destroying `workers`, then `ioc`,
// destroys the handlers still queued on them, and with those the last references to their
// Sessions, whose destructors decrement `open_sessions` and whose sockets belong to `ioc`. So
// what a Session refers to (options, handler, open_sessions) is declared above `ioc`, and
// `workers` below it (its Sessions close their sockets while `ioc` still exists).
struct HttpServer::Impl {
    HttpServerOptions options;
    HttpHandler handler;
    std::atomic<size_t> open_sessions{0};
    asio::io_context ioc;
    tcp::acceptor acceptor{ioc};
    std::vector<std::thread> threads;  // run ioc: network I/O and quick GETs
    std::unique_ptr<asio::thread_pool> workers;  // run POST handlers
    std::atomic<bool> stopped{false};
    uint16_t bound_port = 0;

    void accept() {
        acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
            if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
            if (!ec) {
                if (open_sessions.fetch_add(1) >= options.max_connections) {
                    open_sessions.fetch_sub(1);
                    refuse(std::move(socket), options.busy_response);
                } else {
                    std::make_shared<Session>(std::move(socket), handler, options, *workers, open_sessions)->run();
                }
            }
            accept();
        });
    }
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() { stop(); }

Result<std::unique_ptr<HttpServer>> HttpServer::start(const HttpServerOptions& options, HttpHandler handler) {
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
                                             std::to_string(options.port) + ": " + ec.message());
    impl->bound_port = impl->acceptor.local_endpoint().port();
    const size_t n = options.threads == 0 ? 1 : options.threads;
    impl->workers = std::make_unique<asio::thread_pool>(n);
    impl->accept();
    // Two I/O threads suffice for loopback RPC; handlers run on the worker pool.
    for (size_t i = 0; i < 2; ++i) impl->threads.emplace_back([io = &impl->ioc] { io->run(); });
    return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

uint16_t HttpServer::port() const { return impl_->bound_port; }

void HttpServer::stop() {
    if (!impl_ || impl_->stopped.exchange(true)) return;
    impl_->ioc.stop();
    for (auto& t : impl_->threads)
        if (t.joinable()) t.join();
    // Running handlers finish (long ones watch the caller's stop flag); queued ones are dropped.
    impl_->workers->stop();
    impl_->workers->join();
    // No thread runs the io_context any more: closing here is race-free, and the port stops
    // accepting at once (pending handlers, and their sockets, go with the io_context).
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
}

}  // namespace step::node
