// The RPC server against bad input from anyone who can reach its port (issue 11): each case sends
// what an attacker on the machine, or a page in the operator's browser, would, to a real stepd.
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "common/rpc_errors.h"
#include "common/rpc_methods.h"
#include "node/rpc_limits.h"
#include "tests/functional/stepd_process.h"
#include "tests/support/mini_http.h"
#include "tests/support/status_check.h"

using nlohmann::json;
using step::test::http_request;
using step::test::StepdProcess;

TEST_CASE("stepd refuses JSON nested 150,000 deep without the cookie and keeps serving") {
    const std::string root = step::test::make_temp_dir("rpc-deep");
    StepdProcess node(root);
    REQUIRE(node.start());
    const size_t depth = 150000;
    const std::string deep = std::string(depth, '[') + "1" + std::string(depth, ']');
    for (const std::string& body :
         {R"({"jsonrpc":"2.0","id":)" + deep + R"(,"method":"getchaininfo"})",
          std::string(R"({"jsonrpc":"2.0","id":1,"method":"getchaininfo","params":)") + deep +
              "}"}) {
        auto res = http_request(node.port(), "POST", "/", body);
        CHECK(res.status == 400);
        const json answer = json::parse(res.body, nullptr, false);
        REQUIRE(answer.is_object());
        CHECK(answer["error"]["code"] == step::rpc::kErrLimit);
        CHECK(answer["error"]["data"]["code"] == name_of(step::rpc::codes::kJsonTooDeep));
    }
    CHECK(node.result("getchaininfo")["height"] == 0);
    step::test::stop_cleanly(node);
}

TEST_CASE("stepd answers a call while 64 slow clients trickle their headers a byte a second") {
    const std::string root = step::test::make_temp_dir("rpc-slow-flood");
    StepdProcess node(root);
    REQUIRE(node.start());
    // One more slow client than the node has slots, each sending its header a byte at a time.
    std::vector<int> slow;
    for (size_t i = 0; i <= step::node::rpc_limits::kMaxConnections; ++i) {
        const int fd = step::test::connect_loopback(node.port(), 5);
        REQUIRE(fd >= 0);
        slow.push_back(fd);
    }
    std::atomic<bool> done{false};
    std::thread trickle([&] {
        const std::string header =
            "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n";
        for (size_t at = 0; !done && at < header.size(); ++at) {
            for (int fd : slow) ::send(fd, header.data() + at, 1, MSG_NOSIGNAL);
            for (int i = 0; i < 10 && !done; ++i)
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    // A generous bound, not a timing assertion: before the fix this answered 503.
    auto res = http_request(node.port(), "POST", "/",
                            R"({"jsonrpc":"2.0","id":1,"method":"getchaininfo"})", "", 30);
    CHECK(res.status == 200);
    CHECK(json::parse(res.body, nullptr, false)["result"]["height"] == 0);
    done = true;
    trickle.join();
    for (int fd : slow) ::close(fd);
    step::test::stop_cleanly(node);
}

TEST_CASE("stepd answers pipelined calls, broken framing and cross-site requests as HTTP says") {
    const std::string root = step::test::make_temp_dir("rpc-framing");
    StepdProcess node(root);
    REQUIRE(node.start());
    const uint16_t port = node.port();
    const std::string host = "Host: 127.0.0.1:" + std::to_string(port) + "\r\n";
    const std::string call = R"({"jsonrpc":"2.0","id":1,"method":"getchaininfo"})";
    auto post = [&](const std::string& headers, const std::string& body) {
        return "POST / HTTP/1.1\r\n" + host + headers +
               "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    };
    const std::string json_type = "Content-Type: application/json\r\n";
    // Three calls in one write: all three answered, then the close the last one asked for.
    bool timed_out = false;
    std::string raw = step::test::raw_exchange(port,
                                               post(json_type, call) + post(json_type, call) +
                                                   post(json_type + "Connection: close\r\n", call),
                                               30, &timed_out);
    CHECK_FALSE(timed_out);
    size_t answers = 0;
    for (size_t at = raw.find("HTTP/1.1 200"); at != std::string::npos;
         at = raw.find("HTTP/1.1 200", at + 1))
        ++answers;
    CHECK(answers == 3);
    // Framing the parser cannot trust: 400, then close.
    raw = step::test::raw_exchange(port, post(json_type + "Content-Length: 3\r\n", call), 30,
                                   &timed_out);
    CHECK(raw.rfind("HTTP/1.1 400", 0) == 0);
    raw = step::test::raw_exchange(port, post(json_type + "Transfer-Encoding: chunked\r\n", call),
                                   30, &timed_out);
    CHECK(raw.rfind("HTTP/1.1 400", 0) == 0);
    // What a page in the operator's browser can send without asking: refused before it runs.
    raw = step::test::raw_exchange(port, post("Content-Type: text/plain\r\n", call));
    CHECK(raw.rfind("HTTP/1.1 415", 0) == 0);
    raw = step::test::raw_exchange(port, post(json_type + "Origin: http://evil.example\r\n", call));
    CHECK(raw.rfind("HTTP/1.1 403", 0) == 0);
    raw = step::test::raw_exchange(
        port, "POST / HTTP/1.1\r\nHost: evil.example:" + std::to_string(port) + "\r\n" + json_type +
                  "Content-Length: " + std::to_string(call.size()) + "\r\n\r\n" + call);
    CHECK(raw.rfind("HTTP/1.1 403", 0) == 0);
    CHECK(node.result("getchaininfo")["height"] == 0);
    step::test::stop_cleanly(node);
}
