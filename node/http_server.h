// A small HTTP/1.1 server (Boost.Beast behind a pimpl: only http_server.cc includes Beast).
// Requests are handed to one handler function on the server's worker threads.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "node/rpc_limits.h"

namespace step::node {

struct HttpRequest {
    std::string method;  // "GET", "POST", ...
    std::string target;  // path and query, e.g. "/health/live"
    std::string body;
    std::string authorization;  // the Authorization header, empty when absent
    std::string host;           // the Host header, empty when absent
    std::string origin;         // the Origin header, empty when absent
    std::string content_type;   // the Content-Type header, empty when absent
    std::string if_none_match;  // the If-None-Match header, empty when absent
};

struct HttpResponse {
    HttpResponse() = default;
    HttpResponse(int status_code, std::string type, std::string text, bool authenticate = false)
        : status(status_code),
          content_type(std::move(type)),
          body(std::move(text)),
          www_authenticate(authenticate) {}

    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    bool www_authenticate = false;  // add 'WWW-Authenticate: Basic realm="stepd"' (for 401)
    // More header fields (name, value), e.g. the dashboard's Cache-Control and
    // Content-Security-Policy.
    std::vector<std::pair<std::string, std::string>> headers;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// The defaults are the RPC server's limits (node/rpc_limits.h); tests shrink them.
struct HttpServerOptions {
    std::string host = "127.0.0.1";
    uint16_t port = 0;                          // 0 picks a free port (see HttpServer::port)
    size_t threads = rpc_limits::kHttpThreads;  // workers for POST handlers; GETs are answered on
                                                // the I/O threads
    // Bodies above this are refused before they are read in full, with this response (413).
    size_t max_body_bytes = 4 * 1024 * 1024;
    HttpResponse too_large_response;
    // Bytes of a request's header; more is answered 400 and the connection closed.
    size_t max_header_bytes = rpc_limits::kMaxHeaderBytes;
    // Connections open at once, so a client that opens sockets without end cannot exhaust the
    // node's descriptors or memory. When all are taken, a newcomer takes the slot of the
    // connection that has waited longest for its request to arrive complete (as nginx reuses
    // its idle connections): a flood of slow or silent connections only evicts its own kind,
    // while a client that sends its request at once gets in. Connections whose request is being
    // served are never evicted; when every one is, the newcomer gets this response (503).
    size_t max_connections = rpc_limits::kMaxConnections;
    HttpResponse busy_response{503, "text/plain", "too many connections\n", false};
    // A request's header must arrive complete within header_timeout of the connection opening
    // or of the previous answer; a body or an answer that stops moving for idle_timeout ends the
    // connection.
    std::chrono::milliseconds header_timeout = rpc_limits::kHeaderTimeout;
    std::chrono::milliseconds idle_timeout = rpc_limits::kIdleTimeout;
    // Refuse cross-site browser requests (node/http_same_origin.h) before the handler runs.
    bool same_origin_only = true;
    // A GET of this path (empty: none) opens a Server-Sent Events stream (text/event-stream) that
    // carries what publish() sends. Such a stream gives up its connection slot once its request
    // is read, so streams never take the slots of the requests above; they have their own cap
    // (beyond it: busy_events_response, 503), a comment every event_keepalive so proxies and
    // browsers keep it open, and a bounded queue: a client that reads slower than events come
    // is closed rather than buffered without end (its browser reconnects).
    std::string events_path;
    size_t max_event_streams = rpc_limits::kMaxEventStreams;
    std::chrono::milliseconds event_keepalive = rpc_limits::kEventKeepAlive;
    HttpResponse busy_events_response{503, "text/plain", "too many event streams\n", false};
};

class HttpServer {
public:
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Binds and starts serving. Errors: "rpc-bind" (address in use, bad host, ...).
    static Result<std::unique_ptr<HttpServer>> start(const HttpServerOptions& options,
                                                     HttpHandler handler);
    uint16_t port() const;
    // Sends one event (`event: NAME`, `data: DATA`; DATA one line, e.g. JSON) to every open event
    // stream. Never blocks: each stream's write is queued on its own connection. Thread-safe;
    // does nothing once stopped.
    void publish(const std::string& name, const std::string& data);
    // Event streams open now.
    size_t event_streams() const;
    // Stops accepting, closes connections (event streams included), joins the worker threads.
    // Idempotent.
    void stop();

private:
    struct Impl;
    explicit HttpServer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace step::node
