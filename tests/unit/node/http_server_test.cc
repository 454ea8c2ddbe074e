// The HTTP server over a real socket on 127.0.0.1 with an ephemeral port.
#include <catch2/catch.hpp>
#include <future>
#include <thread>
#include <nlohmann/json.hpp>

#include "common/rpc_methods.h"
#include "node/datadir.h"
#include "node/http_server.h"
#include "node/rpc/dispatcher.h"
#include "tests/support/mini_http.h"
#include "node/errors.h"
#include "tests/support/status_check.h"

using namespace step::node;
using nlohmann::json;
using step::test::http_request;

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
        if (req.method == "GET" && req.target == "/health/live") return HttpResponse{200, "text/plain", "ok\n", false};
        if (req.method != "POST" || req.target != "/") return HttpResponse{404, "text/plain", "not found\n", false};
        HttpResponse res;
        res.body = dispatcher.handle(req.body, basic_auth_matches(req.authorization, credential), res.status);
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

    auto echo = http_request(port, "POST", "/", R"({"jsonrpc":"2.0","id":1,"method":"echo","params":{"v":"x"}})");
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
// A connected socket that sends nothing: it holds one of the server's connection slots.
int idle_connection(uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}
}  // namespace

TEST_CASE("http server refuses connections over max_connections with 503 and frees slots") {
    HttpServerOptions options;
    options.max_connections = 2;
    auto server = HttpServer::start(options, [](const HttpRequest&) {
        return HttpResponse{200, "text/plain", "live", false};
    });
    REQUIRE(server.ok());
    const uint16_t port = (*server)->port();
    const int a = idle_connection(port), b = idle_connection(port);
    REQUIRE(a >= 0);
    REQUIRE(b >= 0);
    // Accepted in connection order: the two idle sockets hold both slots.
    auto refused = http_request(port, "GET", "/health/live", "", "", 10);
    CHECK(refused.status == 503);
    CHECK(refused.body == "too many connections\n");
    ::close(a);
    // The server sees the close on its next read and gives the slot back; poll for it.
    step::test::MiniResponse ok;
    for (int i = 0; i < 200 && ok.status != 200; ++i) {
        ok = http_request(port, "GET", "/health/live", "", "", 10);
        if (ok.status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    CHECK(ok.status == 200);
    CHECK(ok.body == "live");
    ::close(b);
}
