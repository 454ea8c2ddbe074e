// A task submitted with step-wallet through a real stepd, then read back with the market RPC
// methods: the wallet's task id names the chain's task, its escrow and its units.
#ifdef STEP_HAVE_WALLET

#include <csignal>

#include <catch2/catch.hpp>
#include <filesystem>

#include "common/rpc_methods.h"
#include "tests/functional/stepd_process.h"
#include "tests/functional/wallet_cli.h"
#include "tests/unit/wallet/task_spec_file.h"
#include "consensus/market_state.h"

using nlohmann::json;
using step::test::StepdProcess;

TEST_CASE("a task submitted with step-wallet reads back through stepd's market RPC") {
    const std::string root = step::test::make_temp_dir("market");
    StepdProcess node(root);
    REQUIRE(node.start());
    const step::test::WalletCli cli(node, root);
    auto wallet = [&](std::vector<std::string> a) { return cli.run(std::move(a)); };
    REQUIRE(wallet({"key", "new", "owner"}).exit_code == 0);
    const std::string owner = json::parse(wallet({"key", "show", "owner"}).out)["address"];
    REQUIRE(wallet({"generate", "2"}).exit_code == 0);

    step::wallet::testing::TempDir specs;
    const auto submitted = wallet({"task", "submit", step::wallet::testing::write_spec(specs), "-y"});
    INFO(submitted.out);
    REQUIRE(submitted.exit_code == 0);
    const std::string task_id = json::parse(submitted.out)["task_id"];
    REQUIRE(wallet({"generate", "1"}).exit_code == 0);

    const json task = node.result("gettask", {{"task_id", task_id}});
    CHECK(task["owner"] == owner);
    CHECK(task["budget"] == "4000000000");
    CHECK(task["escrow"] == "4000000000");
    CHECK(task["rounds"] == 2);
    // listtasks scans the task records in stepd's LevelDB state.
    const json listed = node.result("listtasks", json::object());
    REQUIRE(listed["tasks"].size() == 1);
    CHECK(listed["tasks"][0]["task_id"] == task_id);
    CHECK(listed["tasks"][0]["escrow"] == "4000000000");
    CHECK(listed["more"] == false);
    // The wallet's view of the same: task list pages through listtasks, task show joins
    // gettask and gettaskprogress, amounts in STEP.
    const auto list = wallet({"task", "list"});
    INFO(list.out);
    REQUIRE(list.exit_code == 0);
    const json wl = json::parse(list.out);
    REQUIRE(wl["tasks"].size() == 1);
    CHECK(wl["tasks"][0]["task_id"] == task_id);
    CHECK(wl["tasks"][0]["budget"] == "4");
    const auto show = wallet({"task", "show", task_id});
    REQUIRE(show.exit_code == 0);
    const json ws = json::parse(show.out);
    CHECK(ws["escrow"] == "4");
    CHECK(ws["progress"]["units_total"] == 4);
    // The escrow's runway: it pays every unit not yet final (each unit's pay holds its audit fees).
    CHECK(ws["runway"]["units_paid_by_escrow"] == 4);
    CHECK(ws["runway"]["units_left"] == 4);
    CHECK(ws["runway"]["short"] == false);
    CHECK(wallet({"task", "show", std::string(64, '0')}).exit_code != 0);
    // No round is final yet: there is no model to fetch.
    const auto no_model = wallet({"task", "model", task_id, root + "/model.state"});
    CHECK(no_model.exit_code == 1);
    CHECK_FALSE(std::filesystem::exists(root + "/model.state"));
    const json progress = node.result("gettaskprogress", {{"task_id", task_id}});
    CHECK(progress["units_total"] == 4);
    CHECK(progress["units_by_status"][step::rpc::kUnitOpen] == 4);
    CHECK(progress["current_round"] == 0);
    const json unit = node.result("getunit", {{"task_id", task_id}, {"round", 1}, {"unit", 1}});
    CHECK(unit["status"] == step::rpc::kUnitOpen);
    const json ledger = node.result("getledger", {{"address", owner}});
    REQUIRE(ledger["entries"].size() == 1);
    CHECK(ledger["entries"][0]["code"] == step::consensus::reasons::kTaskEscrow);
    CHECK(ledger["entries"][0]["task_id"] == task_id);
    CHECK(node.call("gettask", {{"task_id", std::string(64, '0')}}, false)["error"]["code"] == -32011);
    node.stop(SIGTERM);
    std::filesystem::remove_all(root);
}

#endif  // STEP_HAVE_WALLET
