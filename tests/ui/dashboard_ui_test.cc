// The dashboard in a real browser (labels ui and functional; binary test-ui): a devnet stepd with a
// task in flight (the solver and verifier agents running), then tests/ui/dashboard_ui.py drives
// headless Chromium over WebDriver through every page. Skips (ctest SKIP, via the "SKIP:" line)
// when chromium or chromedriver is missing; scripts/setup.sh --tests installs them.
#ifdef STEP_HAVE_WALLET

#include <sys/wait.h>

#include <array>
#include <catch2/catch.hpp>
#include <cstdio>
#include <string>

#include "node/dashboard.h"
#include "node/rpc_limits.h"
#include "tests/functional/market_devnet.h"
#include "tests/functional/p2p_messages.h"
#include "tests/functional/p2p_test_peer.h"
#include "tests/support/mini_http.h"

using nlohmann::json;
using step::test::MarketDevnet;

namespace {

constexpr int kSkipped = 77;  // dashboard_ui.py's exit status when the browser is missing
// A peer's user agent is its own text (getpeerinfo): the peers page must show it, not run it.
constexpr char kMarkupAgent[] = "<img src=x onerror=window.__xss=3>";

// Runs `command`, returning its exit status and, in `out`, what it printed.
int run_captured(const std::string& command, std::string& out) {
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    if (!pipe) return -1;
    std::array<char, 4096> buf{};
    while (fgets(buf.data(), buf.size(), pipe)) out += buf.data();
    const int status = ::pclose(pipe);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

// Runs a solver and a verifier agent and mines until `units` units of the task are final:
// committed losses, audits and settlements to show.
void finish_units(MarketDevnet& net, int units) {
    net.agent("solver", net.root + "/solver.log");
    net.agent("verifier", net.root + "/verifier.log");
    for (const std::string& log : net.agent_logs)
        net.wait_until([&] {
            return step::test::events(log).count(step::wallet::agent_events::kStarted) >= 1;
        });
    json progress;
    for (int blocks = 0; blocks < 40 * units; ++blocks) {
        progress = net.node().result("gettaskprogress", {{"task_id", net.task_id}});
        if (progress["units_final"].get<int>() >= units) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(400));
        net.node().result("generate", {{"count", 1}, {"address", net.addr.at("owner")}});
    }
    REQUIRE(progress["units_final"].get<int>() >= units);
}

// dashboard_ui.py against `net`'s node; its exit status and output.
int run_driver(const MarketDevnet& net, const std::string& extra, std::string& out) {
    const std::string shots = std::string(STEP_BINARY_DIR) + "/ui-screenshots";
    const std::string command =
        "/usr/bin/python3 " + std::string(STEP_SOURCE_DIR) +
        "/tests/ui/dashboard_ui.py --url http://127.0.0.1:" + std::to_string(net.node().port()) +
        " --cookie " + net.node().datadir() + "/.cookie --task " + net.task_id + " --account " +
        net.addr.at("solver") + " --miner " + net.addr.at("owner") + " --shots " + shots + extra;
    return run_captured(command, out);
}

TEST_CASE("the dashboard shows a task in flight, updates live and renders data as text", "[ui]") {
    // Asked first, so a machine without the browser skips before the task is set up.
    std::string probe;
    if (run_captured("/usr/bin/python3 " + std::string(STEP_SOURCE_DIR) +
                         "/tests/ui/dashboard_ui.py --browser-present",
                     probe) == kSkipped) {
        WARN("SKIP: chromium or chromedriver not installed (scripts/setup.sh --tests)");
        return;
    }
    MarketDevnet net;
    net.set_up();
    finish_units(net, 2);

    // A peer whose user agent carries markup, connected while the browser looks.
    step::test::P2pTestPeer peer = step::test::devnet_peer(net.node().p2p_port());
    auto version = step::test::devnet_version();
    version.set_user_agent(kMarkupAgent);
    REQUIRE(step::test::send(peer, version));
    REQUIRE(step::test::send(peer, step::node::p2p::wire::Verack()));
    REQUIRE(step::test::await_message(peer, step::node::p2p::MessageType::kVerack));

    std::string out;
    const int status = run_driver(net, std::string(" --peer-agent '") + kMarkupAgent + "'", out);
    if (status == kSkipped) {
        WARN(out);
        return;
    }
    INFO(out);
    CHECK(status == 0);
    CHECK(out.find("PASS") != std::string::npos);
    WARN(out);
}

// Without a browser, so it runs wherever stepd does: the page and its policy at GET /, an event on
// GET /events for each block `generate` mines, and streams past kMaxEventStreams refused while
// JSON-RPC still answers.
TEST_CASE("stepd serves the dashboard and sends an event per new block on /events", "[ui]") {
    const std::string root = step::test::make_temp_dir("dash");
    step::test::StepdProcess node(root);
    REQUIRE(node.start());
    const auto page = step::test::http_request(node.port(), "GET", "/");
    CHECK(page.status == 200);
    CHECK(page.headers.find(step::node::kDashboardCsp) != std::string::npos);
    CHECK(page.body.find("/static/app.js") != std::string::npos);

    std::vector<int> streams;
    for (size_t i = 0; i < step::node::rpc_limits::kMaxEventStreams + 1; ++i) {
        const int fd = step::test::connect_loopback(node.port(), 30);
        REQUIRE(fd >= 0);
        const std::string req = "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
        const std::string head = step::test::read_until(fd, "\r\n\r\n");
        INFO(head);
        if (i < step::node::rpc_limits::kMaxEventStreams) {
            CHECK(head.find("text/event-stream") != std::string::npos);
            streams.push_back(fd);
        } else {
            CHECK(head.find(" 503 ") != std::string::npos);  // over the cap
            ::close(fd);
        }
    }
    // The streams hold no connection slot: calls are answered while all of them are open.
    const json mined = node.result(
        "generate",
        {{"count", 1}, {"address", node.result("getblock", {{"height", 0}})["header"]["miner"]}});
    const std::string want = "event: block\ndata: {\"height\":1,\"hash\":\"" +
                             mined["hashes"][0].get<std::string>() + "\"}\n\n";
    for (int fd : streams) {
        const std::string got = step::test::read_until(fd, want);
        CHECK(got.find(want) != std::string::npos);
    }
    // Stopping the node ends every stream (the browser then reconnects).
    step::test::stop_cleanly(node);
    for (int fd : streams) {
        bool timed_out = false;
        step::test::read_until_close(fd, &timed_out);
        CHECK_FALSE(timed_out);
        ::close(fd);
    }
    std::filesystem::remove_all(root);
}

// docs/benchmarks.md "Dashboard": the task page of a 64-unit task (32 rounds of 2 units, its first
// rounds final, so the loss chart has points) loaded afresh: time to first render, to the chart
// and bytes downloaded. Hidden (not run by ctest): build/bin/test-ui "[.bench]".
TEST_CASE("the dashboard's task page for 64 units: first render and bytes", "[.bench]") {
    MarketDevnet net;
    net.set_up({{"steps", "256"}, {"budget", "32000000000"}});
    finish_units(net, 4);
    // Measured with the node idle: the agents' training is not the page's cost.
    step::test::kill_unreaped(net.agents);
    net.agents.clear();
    std::string out;
    const int status = run_driver(net, " --measure", out);
    INFO(out);
    CHECK(status != 1);
    WARN(out);
}

#endif
