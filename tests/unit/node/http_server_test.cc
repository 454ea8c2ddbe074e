// The HTTP server over a real socket on 127.0.0.1 with an ephemeral port.
#include <atomic>
#include <catch2/catch.hpp>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/rpc_methods.h"
#include "node/datadir.h"
#include "node/errors.h"
#include "node/http_same_origin.h"
#include "node/http_server.h"
#include "node/rpc/dispatcher.h"
#include "tests/support/mini_http.h"
#include "tests/support/status_check.h"

using namespace step::node;
using nlohmann::json;
using step::test::http_request;
using step::test::read_until;

TEST_CASE("http server routes requests to the handler and enforces the body limit") {
    RpcDispatcher dispatcher;
    dispatcher.add("echo", false, [](const json& p) { return p; });
    dispatcher.add("secret", true, [](const json&) { return json{{"ok", true}}; });
    const std::string credential = "__cookie__:abcd";

    HttpServerOptions options;
    options.port = 0;
    options.threads = 2;
    options.max_body_bytes = 1024;
    options.too_large_response = HttpResponse{413, "application/json", rpc_too_large_body(), false};
    auto server = HttpServer::start(options, [&](const HttpRequest& req) {
        if (req.method == "GET" && req.target == "/health/live")
            return HttpResponse{200, "text/plain", "ok\n", false};
        if (req.method != "POST" || req.target != "/")
            return HttpResponse{404, "text/plain", "not found\n", false};
        HttpResponse res;
        res.body = dispatcher.handle(req.body, basic_auth_matches(req.authorization, credential),
                                     res.status);
        res.www_authenticate = res.status == 401;
        return res;
    });
    REQUIRE(server.ok());
    const uint16_t port = (*server)->port();
    REQUIRE(port != 0);

    auto live = http_request(port, "GET", "/health/live");
    CHECK(live.status == 200);
    CHECK(live.body == "ok\n");
    CHECK(http_request(port, "GET", "/nowhere").status == 404);

    auto echo = http_request(port, "POST", "/",
                             R"({"jsonrpc":"2.0","id":1,"method":"echo","params":{"v":"x"}})");
    REQUIRE(echo.status == 200);
    CHECK(json::parse(echo.body)["result"]["v"] == "x");

    auto denied = http_request(port, "POST", "/", R"({"jsonrpc":"2.0","id":1,"method":"secret"})");
    CHECK(denied.status == 401);
    CHECK(denied.headers.find("WWW-Authenticate") != std::string::npos);
    CHECK(json::parse(denied.body)["error"]["code"] == step::rpc::kErrUnauthorized);
    auto wrong = http_request(port, "POST", "/", R"({"jsonrpc":"2.0","id":1,"method":"secret"})",
                              "Basic " + base64_encode("__cookie__:abce"));
    CHECK(wrong.status == 401);
    auto allowed = http_request(port, "POST", "/", R"({"jsonrpc":"2.0","id":1,"method":"secret"})",
                                "Basic " + base64_encode(credential));
    CHECK(allowed.status == 200);
    CHECK(json::parse(allowed.body)["result"]["ok"] == true);

    const std::string big = R"({"jsonrpc":"2.0","id":1,"method":"echo","params":{"pad":")" +
                            std::string(4096, 'a') + "\"}}";
    auto too_large = http_request(port, "POST", "/", big);
    CHECK(too_large.status == 413);
    CHECK(json::parse(too_large.body)["error"]["code"] == step::rpc::kErrInvalidRequest);

    // A second server on the same port cannot bind.
    HttpServerOptions clash = options;
    clash.port = port;
    auto second = HttpServer::start(clash, [](const HttpRequest&) { return HttpResponse{}; });
    REQUIRE_FALSE(second.ok());
    CHECK(second.status() == step::node::codes::kRpcBind);

    (*server)->stop();
    CHECK(http_request(port, "GET", "/health/live", "", "", 5).status == 0);
}

TEST_CASE("http server answers GETs while every worker is busy with a long POST") {
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::promise<void> entered;
    HttpServerOptions options;
    options.threads = 1;  // one worker: the long POST occupies all of them
    auto server = HttpServer::start(options, [&](const HttpRequest& req) {
        if (req.method == "POST") {
            entered.set_value();
            released.wait();
            return HttpResponse{200, "text/plain", "slow done", false};
        }
        return HttpResponse{200, "text/plain", "live", false};
    });
    REQUIRE(server.ok());
    const uint16_t port = (*server)->port();
    step::test::MiniResponse slow;
    std::thread poster([&] { slow = http_request(port, "POST", "/", "{}"); });
    entered.get_future().wait();
    auto live = http_request(port, "GET", "/health/live", "", "", 10);
    release.set_value();
    poster.join();
    CHECK(live.status == 200);
    CHECK(live.body == "live");
    CHECK(slow.body == "slow done");
}

namespace {

using step::test::connect_loopback;
using step::test::raw_exchange;
using step::test::read_until_close;

// A server whose POST handler waits for `release` (so the call holds its connection), and whose
// GETs answer "live" at once.
struct BlockingServer {
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::atomic<int> entered{0};
    std::unique_ptr<HttpServer> server;

    explicit BlockingServer(HttpServerOptions options) {
        auto started = HttpServer::start(options, [this](const HttpRequest& req) {
            if (req.method == "POST") {
                ++entered;
                released.wait();
            }
            return HttpResponse{200, "text/plain", "live", false};
        });
        REQUIRE(started.ok());
        server = std::move(*started);
    }
    uint16_t port() const { return server->port(); }
};

std::string request_text(uint16_t port, const std::string& method, const std::string& headers,
                         const std::string& body = "") {
    return method + " / HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n" + headers +
           "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
           body;
}

int status_of(const std::string& raw) {
    return raw.rfind("HTTP/1.1 ", 0) == 0 ? std::atoi(raw.c_str() + 9) : 0;
}

size_t count_of(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

}  // namespace

TEST_CASE("http server refuses a newcomer with 503 only when every connection is being served") {
    HttpServerOptions options;
    options.max_connections = 2;
    options.threads = 2;
    BlockingServer s(options);
    std::vector<std::thread> posters;
    for (int i = 0; i < 2; ++i)
        posters.emplace_back([&] { step::test::http_request(s.port(), "POST", "/", "{}"); });
    while (s.entered < 2) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    auto refused = http_request(s.port(), "GET", "/health/live", "", "", 10);
    CHECK(refused.status == 503);
    CHECK(refused.body == "too many connections\n");
    s.release.set_value();
    for (auto& t : posters) t.join();
    // The calls are answered and their slots freed; poll until the server has seen them close.
    step::test::MiniResponse ok;
    for (int i = 0; i < 200 && ok.status != 200; ++i) {
        ok = http_request(s.port(), "GET", "/health/live", "", "", 10);
        if (ok.status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    CHECK(ok.status == 200);
}

TEST_CASE("http server answers a normal call while slow header senders hold every slot") {
    HttpServerOptions options;
    options.max_connections = 4;
    BlockingServer s(options);
    // Twice as many slow clients as slots, each stuck in the middle of its header.
    std::vector<int> slow;
    for (int i = 0; i < 8; ++i) {
        const int fd = connect_loopback(s.port(), 5);
        REQUIRE(fd >= 0);
        const std::string part = "GET /health/live HTTP/1.1\r\nHo";
        ::send(fd, part.data(), part.size(), MSG_NOSIGNAL);
        slow.push_back(fd);
    }
    // A generous bound, not a timing assertion: without eviction this waits for a 503.
    auto live = http_request(s.port(), "GET", "/health/live", "", "", 30);
    CHECK(live.status == 200);
    CHECK(live.body == "live");
    // The longest-waiting slow clients lost their slots: the server closed them.
    size_t closed = 0;
    for (int fd : slow) {
        bool timed_out = false;
        read_until_close(fd, &timed_out);
        closed += timed_out ? 0 : 1;
        ::close(fd);
    }
    CHECK(closed >= 5);
    s.release.set_value();
}

TEST_CASE("http server closes a connection whose header does not arrive within header_timeout") {
    HttpServerOptions options;
    options.header_timeout = std::chrono::milliseconds(300);
    BlockingServer s(options);
    const int fd = connect_loopback(s.port(), 30);
    REQUIRE(fd >= 0);
    const std::string part = "GET /health/live HTTP/1.1\r\n";
    ::send(fd, part.data(), part.size(), MSG_NOSIGNAL);
    bool timed_out = false;
    read_until_close(fd, &timed_out);  // well before the 60 s idle timeout
    CHECK_FALSE(timed_out);
    ::close(fd);
    s.release.set_value();
}

TEST_CASE("http server answers every pipelined request of one write") {
    HttpServerOptions options;
    BlockingServer s(options);
    s.release.set_value();
    const std::string host = "Host: 127.0.0.1:" + std::to_string(s.port()) + "\r\n";
    const std::string get = "GET /health/live HTTP/1.1\r\n" + host + "\r\n";
    const std::string post = "POST / HTTP/1.1\r\n" + host +
                             "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
    bool timed_out = false;
    const std::string raw = raw_exchange(
        s.port(), get + post + get + request_text(s.port(), "GET", ""), 20, &timed_out);
    CHECK_FALSE(timed_out);
    CHECK(count_of(raw, "HTTP/1.1 200 OK") == 4);
}

TEST_CASE("http server answers broken framing with 400 before closing") {
    HttpServerOptions options;
    BlockingServer s(options);
    s.release.set_value();
    const std::string json_type = "Content-Type: application/json\r\n";
    const uint16_t port = s.port();
    const std::string host = "Host: 127.0.0.1:" + std::to_string(port) + "\r\n";
    for (const std::string& bytes : std::vector<std::string>{
             "POST / HTTP/1.1\r\n" + host + json_type +
                 "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
             "POST / HTTP/1.1\r\n" + host + json_type +
                 "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}",
             "POST / HTTP/1.1\r\n" + host + json_type +
                 "Transfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n{}",
             request_text(port, "GET",
                          "X-Pad: " + std::string(options.max_header_bytes, 'a') + "\r\n")}) {
        bool timed_out = false;
        const std::string raw = raw_exchange(port, bytes, 20, &timed_out);
        INFO(bytes.substr(0, 120));
        CHECK(status_of(raw) == 400);
        CHECK_FALSE(timed_out);
    }
}

TEST_CASE("http server refuses cross-site browser requests and serves same-origin ones") {
    HttpServerOptions options;
    BlockingServer s(options);
    s.release.set_value();
    const uint16_t port = s.port();
    const std::string p = std::to_string(port);
    const std::string json_type = "Content-Type: application/json\r\n";
    auto status = [&](const std::string& method, const std::string& headers) {
        return status_of(
            raw_exchange(port, request_text(port, method, headers, method == "POST" ? "{}" : "")));
    };
    CHECK(status("POST", json_type) == 200);
    CHECK(status("POST", json_type + "Origin: http://127.0.0.1:" + p + "\r\n") == 200);
    CHECK(status("POST", json_type + "Origin: http://LOCALHOST:" + p + "\r\n") == 200);
    CHECK(status("POST", "Content-Type: Application/JSON; charset=utf-8\r\n") == 200);
    CHECK(status("POST", json_type + "Origin: http://evil.example\r\n") == 403);
    CHECK(status("POST", json_type + "Origin: http://127.0.0.1:" + std::to_string(port + 1) +
                             "\r\n") == 403);
    CHECK(status("POST", json_type + "Origin: null\r\n") == 403);
    CHECK(status("POST", "Content-Type: text/plain\r\n") == 415);
    CHECK(status("POST", "Content-Type: application/x-www-form-urlencoded\r\n") == 415);
    CHECK(status("POST", "") == 415);
    // DNS rebinding: the browser names the attacker's host.
    auto with_host = [&](const std::string& host) {
        return status_of(
            raw_exchange(port, "POST / HTTP/1.1\r\nHost: " + host + "\r\n" + json_type +
                                   "Content-Length: 2\r\nConnection: close\r\n\r\n{}"));
    };
    CHECK(with_host("evil.example:" + p) == 403);
    CHECK(with_host("127.0.0.1") == 403);  // port 80
    CHECK(with_host("localhost:" + p) == 200);
    CHECK(with_host("[::1]:" + p) == 200);
    // Health and metrics (GET) answer whatever name a scraper uses.
    CHECK(status_of(raw_exchange(port, "GET /health/live HTTP/1.1\r\nHost: stepd.internal:" + p +
                                           "\r\nConnection: close\r\n\r\n")) == 200);
}

TEST_CASE("authority_allowed takes loopback and the bound address, with the server's port") {
    const step::node::net::Endpoint local{"127.0.0.1", 18443};
    CHECK(authority_allowed("127.0.0.1:18443", local));
    CHECK(authority_allowed("127.0.0.2:18443", local));
    CHECK(authority_allowed("[::1]:18443", local));
    CHECK(authority_allowed("LocalHost:18443", local));
    CHECK_FALSE(authority_allowed("localhost.evil.example:18443", local));
    CHECK_FALSE(authority_allowed("evil.example:18443", local));
    CHECK_FALSE(authority_allowed("127.0.0.1", local));
    CHECK_FALSE(authority_allowed("10.0.0.1:18443", local));
    CHECK_FALSE(authority_allowed("::1:18443", local));
    const step::node::net::Endpoint lan{"192.168.1.5", 18443};
    CHECK(authority_allowed("192.168.1.5:18443", lan));
    CHECK_FALSE(authority_allowed("192.168.1.6:18443", lan));
    const step::node::net::Endpoint any{"0.0.0.0", 18443};
    CHECK(authority_allowed("10.0.0.1:18443", any));
    CHECK_FALSE(authority_allowed("evil.example:18443", any));
}

TEST_CASE("http server listens on IPv6 loopback and serves Host [::1]:PORT") {
    HttpServerOptions options;
    options.host = "::1";
    auto server = HttpServer::start(options, [](const HttpRequest&) {
        return HttpResponse{200, "text/plain", "v6", false};
    });
    if (!server.ok()) {
        WARN("no IPv6 loopback here: " << server.status().message());
        return;
    }
    const uint16_t port = (*server)->port();
    const int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    timeval tv{20, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in6 addr{};
    addr.sin6_family = AF_INET6;
    addr.sin6_port = htons(port);
    addr.sin6_addr = in6addr_loopback;
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    const std::string req =
        "GET / HTTP/1.1\r\nHost: [::1]:" + std::to_string(port) + "\r\nConnection: close\r\n\r\n";
    ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
    const std::string raw = read_until_close(fd);
    ::close(fd);
    CHECK(status_of(raw) == 200);
    CHECK(raw.ends_with("v6"));
}

namespace {

// Opens an event stream: sends the GET and reads until the head and the first blank line (the
// `retry:` field) have arrived. Returns the socket, or -1.
int open_event_stream(uint16_t port, std::string& head) {
    const int fd = connect_loopback(port, 10);
    if (fd < 0) return -1;
    const std::string req = "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
    char buf[4096];
    while (
        head.find("\r\n\r\n") == std::string::npos ||
        (head.find("200 OK") != std::string::npos && head.find("retry: ") == std::string::npos) ||
        (head.find("200 OK") != std::string::npos && !head.ends_with("\n\n"))) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        head.append(buf, static_cast<size_t>(n));
    }
    return fd;
}

}  // namespace

TEST_CASE("http server event streams have their own cap, carry published events and keep-alives") {
    HttpServerOptions options;
    options.max_connections = 1;  // streams must not need these: one RPC slot suffices below
    options.events_path = "/events";
    options.max_event_streams = 2;
    options.event_keepalive = std::chrono::milliseconds(50);
    auto server = HttpServer::start(options, [](const HttpRequest&) {
        return HttpResponse{200, "text/plain", "live", false};
    });
    REQUIRE(server.ok());
    const uint16_t port = (*server)->port();

    std::vector<int> streams;
    for (int i = 0; i < 2; ++i) {
        std::string head;
        const int fd = open_event_stream(port, head);
        REQUIRE(fd >= 0);
        CHECK(head.find("200 OK") != std::string::npos);
        CHECK(head.find("Content-Type: text/event-stream") != std::string::npos);
        CHECK(head.find("X-Content-Type-Options: nosniff") != std::string::npos);
        streams.push_back(fd);
    }
    // Past the cap: refused, while a plain request still gets the one connection slot.
    std::string refused;
    const int third = open_event_stream(port, refused);
    CHECK(refused.find("503") != std::string::npos);
    CHECK(refused.find("too many event streams") != std::string::npos);
    if (third >= 0) ::close(third);
    CHECK(http_request(port, "GET", "/health/live", "", "", 10).body == "live");
    for (int i = 0; i < 200 && (*server)->event_streams() != 2; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    CHECK((*server)->event_streams() == 2);

    (*server)->publish("block", R"({"height":7})");
    for (int fd : streams) {
        const std::string got = read_until(fd, "\n\n");
        CHECK(got.find("event: block\ndata: {\"height\":7}\n\n") != std::string::npos);
        CHECK(read_until(fd, ": keep-alive\n\n").find(": keep-alive") != std::string::npos);
    }

    // A stream whose client left frees its place for a newcomer.
    ::close(streams.back());
    streams.pop_back();
    std::string head;
    int again = -1;
    for (int i = 0; i < 200 && head.find("200 OK") == std::string::npos; ++i) {
        if (again >= 0) ::close(again);
        head.clear();
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        again = open_event_stream(port, head);
    }
    CHECK(head.find("200 OK") != std::string::npos);
    streams.push_back(again);

    // stop() ends every stream: the client reads to the end instead of timing out.
    (*server)->stop();
    for (int fd : streams) {
        bool timed_out = false;
        read_until_close(fd, &timed_out);
        CHECK_FALSE(timed_out);
        ::close(fd);
    }
}
