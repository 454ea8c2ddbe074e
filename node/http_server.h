// A small HTTP/1.1 server (Boost.Beast behind a pimpl: only http_server.cc includes Beast).
// Requests are handed to one handler function on the server's worker threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/status.h"

namespace step::node {

struct HttpRequest {
    std::string method;         // "GET", "POST", ...
    std::string target;         // path and query, e.g. "/health/live"
    std::string body;
    std::string authorization;  // the Authorization header, empty when absent
};

struct HttpResponse {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    bool www_authenticate = false;  // add 'WWW-Authenticate: Basic realm="stepd"' (for 401)
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerOptions {
    std::string host = "127.0.0.1";
    uint16_t port = 0;  // 0 picks a free port (see HttpServer::port)
    size_t threads = 4;  // workers for POST handlers; GETs are answered on the I/O threads
    // Bodies above this are refused before they are read in full, with this response (413).
    size_t max_body_bytes = 4 * 1024 * 1024;
    HttpResponse too_large_response;
    // Connections open at once; one more is answered with this response (503) and closed, so a
    // client that opens sockets without end cannot exhaust the node's descriptors or memory.
    size_t max_connections = 64;
    HttpResponse busy_response{503, "text/plain", "too many connections\n", false};
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
    // Stops accepting, closes connections, joins the worker threads. Idempotent.
    void stop();

private:
    struct Impl;
    explicit HttpServer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace step::node
