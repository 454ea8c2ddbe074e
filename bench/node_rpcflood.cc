// rpc_slow_flood: latency of a normal JSON-RPC call while slow clients try to hold every RPC
// connection slot (issue 11, defect 5). An in-process HTTP server with the node's RPC limits
// (node/rpc_limits.h) and its dispatcher serves a trivial method, so the figure is the server's
// own cost, not a method's.
//   step-bench rpc_slow_flood [CALLS=200] [SLOW_CLIENTS=128]
// The flood: SLOW_CLIENTS connections (twice the slots by default) each send their header a byte
// a second, and any the server closes reconnects at once (a reconnecting attacker).
#include <fcntl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "bench/bench_json.h"
#include "node/http_server.h"
#include "node/rpc/dispatcher.h"
#include "tests/support/mini_http.h"

namespace step::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Latencies {
    std::vector<double> ms;
    size_t failed = 0;  // not answered 200 (refused 503, or no answer)
    double percentile(double p) {
        if (ms.empty()) return 0;
        std::sort(ms.begin(), ms.end());
        return ms[std::min(ms.size() - 1, static_cast<size_t>(p * static_cast<double>(ms.size())))];
    }
};

Latencies time_calls(uint16_t port, size_t calls) {
    Latencies out;
    const std::string body = R"({"jsonrpc":"2.0","id":1,"method":"ping"})";
    for (size_t i = 0; i < calls; ++i) {
        const auto start = Clock::now();
        auto res = step::test::http_request(port, "POST", "/", body, "", 30);
        const std::chrono::duration<double, std::milli> took = Clock::now() - start;
        if (res.status == 200)
            out.ms.push_back(took.count());
        else
            ++out.failed;
    }
    return out;
}

// Keeps `count` slow connections open until `stop`: a byte of a header each second, and a new
// connection for each one the server closes. Counts the reconnections.
void slow_flood(uint16_t port, size_t count, const std::atomic<bool>& stop,
                std::atomic<size_t>& reconnects) {
    const std::string header =
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-Pad: " +
        std::string(1000, 'a');
    struct Slow {
        int fd = -1;
        size_t sent = 0;
    };
    auto open = [&] {
        Slow s{step::test::connect_loopback(port, 1), 0};
        if (s.fd >= 0) ::fcntl(s.fd, F_SETFL, O_NONBLOCK);
        return s;
    };
    std::vector<Slow> conns(count);
    for (auto& c : conns) c = open();
    auto next_byte = Clock::now();
    while (!stop) {
        const bool send_now = Clock::now() >= next_byte;
        if (send_now) next_byte += std::chrono::seconds(1);
        for (auto& c : conns) {
            char b;
            if (c.fd < 0 || ::recv(c.fd, &b, 1, MSG_DONTWAIT) == 0) {  // closed by the server
                if (c.fd >= 0) ::close(c.fd);
                c = open();
                ++reconnects;
            }
            if (send_now && c.fd >= 0 && c.sent < header.size())
                c.sent +=
                    std::max<ssize_t>(0, ::send(c.fd, header.data() + c.sent, 1, MSG_NOSIGNAL));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    for (auto& c : conns)
        if (c.fd >= 0) ::close(c.fd);
}

}  // namespace

int node_rpc_slow_flood(const std::vector<std::string>& args) {
    using namespace step::node;
    const size_t calls = args.size() > 0 ? std::stoul(args[0]) : 200;
    const size_t slow = args.size() > 1 ? std::stoul(args[1]) : 2 * rpc_limits::kMaxConnections;
    RpcDispatcher dispatcher;
    dispatcher.add("ping", false, [](const nlohmann::json&) {
        return nlohmann::json{{"pong", true}};
    });
    HttpServerOptions options;  // the node's limits
    auto server = HttpServer::start(options, [&](const HttpRequest& req) {
        HttpResponse res;
        res.body = dispatcher.handle(req.body, false, res.status);
        return res;
    });
    if (!server.ok()) return 1;
    const uint16_t port = (*server)->port();

    Latencies quiet = time_calls(port, calls);
    std::atomic<bool> stop{false};
    std::atomic<size_t> reconnects{0};
    std::thread flood([&] { slow_flood(port, slow, stop, reconnects); });
    std::this_thread::sleep_for(std::chrono::seconds(2));  // every slot taken, reconnects under way
    Latencies flooded = time_calls(port, calls);
    stop = true;
    flood.join();

    const std::string note = std::to_string(calls) + " calls; " + std::to_string(slow) +
                             " slow clients, " + std::to_string(reconnects.load()) +
                             " reconnects; " + std::to_string(rpc_limits::kMaxConnections) +
                             " slots";
    emit({"rpc_call_ms_p50_quiet", quiet.percentile(0.5), "ms", "", 0, note});
    emit({"rpc_call_ms_p50_slow_flood", flooded.percentile(0.5), "ms", "quiet",
          quiet.percentile(0.5), note});
    emit({"rpc_call_ms_p99_slow_flood", flooded.percentile(0.99), "ms", "quiet",
          quiet.percentile(0.99), note});
    emit({"rpc_calls_failed_slow_flood", static_cast<double>(flooded.failed), "calls", "quiet",
          static_cast<double>(quiet.failed), note});
    return flooded.failed == 0 ? 0 : 1;
}

}  // namespace step::bench
