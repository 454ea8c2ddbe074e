// step-wallet task watch on a task the agents run to the end: one JSON line per change, units
// final only growing, the last line done, exit 0 when the task is done.
#ifdef STEP_HAVE_WALLET

#include <catch2/catch.hpp>
#include <chrono>
#include <sstream>
#include <string>

#include "tests/functional/market_devnet.h"
#include "tests/functional/market_helpers.h"

using nlohmann::json;
using step::test::MarketDevnet;
using step::test::read_file;
using step::test::reap;

TEST_CASE("task watch follows a task to the end, one JSON line per change") {
    MarketDevnet net;
    net.set_up({{"steps", "8"}, {"budget", "2000000000"}});  // one round of 2 units
    const std::string wlog = net.root + "/watch.log";
    net.agent("solver", net.root + "/solver.log");
    net.agent("verifier", net.root + "/verifier.log");
    const pid_t watch = net.cli->spawn({"task", "watch", net.task_id, "--poll-ms", "100"}, wlog);
    int blocks = 0;
    const json progress = net.drive(150, &blocks);
    REQUIRE(progress["done"] == true);
    CHECK(reap(watch, std::chrono::seconds(20)) == 0);  // it exits by itself once done
    std::istringstream lines(read_file(wlog));
    std::string line;
    std::vector<json> views;
    while (std::getline(lines, line)) views.push_back(json::parse(line));
    INFO(read_file(wlog));
    REQUIRE(views.size() >= 2);
    for (size_t i = 1; i < views.size(); ++i) {
        CHECK(views[i]["units_final"] >= views[i - 1]["units_final"]);
        CHECK(views[i]["height"] >= views[i - 1]["height"]);
    }
    CHECK(views.front()["task_id"] == net.task_id);
    CHECK(views.back()["done"] == true);
    CHECK(views.back()["units_final"] == 2);
    CHECK(views.back()["losses"].size() == 2);  // both units' reported losses
    bool saw_deadline = false;
    for (const json& v : views) saw_deadline = saw_deadline || v.contains("next_deadline");
    CHECK(saw_deadline);  // a committed unit waits for its audit and opening windows
    // A task id that is not one: the usage of a task id, before any node call.
    CHECK(net.wallet({"task", "watch", "nothex"}).exit_code != 0);
}

#endif  // STEP_HAVE_WALLET
