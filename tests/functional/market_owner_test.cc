// The task owner's side with agents on one devnet node: the owner agent answers a dataset
// challenge and writes the model, and agents without --data fetch the task's records through
// their node (the dataset travels with the task).
#ifdef STEP_HAVE_WALLET

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "consensus/errors.h"
#include "consensus/market_state.h"
#include "consensus/proto/chain.pb.h"
#include "kernels/data.h"
#include "tests/functional/market_devnet.h"
#include "tests/functional/market_helpers.h"
#include "wallet/agent_events.h"

using nlohmann::json;
using step::test::count_code;
using step::test::events;
using step::test::hash_of;
using step::test::MarketDevnet;
using step::test::read_file;
using step::test::reap;

namespace ev = step::wallet::agent_events;

TEST_CASE("the owner agent answers a dataset challenge and writes the model when the task is done") {
    MarketDevnet net;
    net.set_up({{"steps", "8"}, {"budget", "2000000000"}});  // one round of 2 units
    step::test::Forger challenger(net.node(), *net.cli, net.root);
    REQUIRE(net.wallet({"generate", "2", "--from", "forger"}).exit_code == 0);
    const std::string olog = net.root + "/owner.log", slog = net.root + "/solver.log",
                      vlog = net.root + "/verifier.log";
    const pid_t owner = net.agent("owner", olog);
    const pid_t solver = net.agent("solver", slog);
    const pid_t verifier = net.agent("verifier", vlog);
    // DA_WINDOW is 2 blocks on devnet: the owner must be polling before the challenge lands.
    net.wait_until([&] { return events(olog).count(ev::kStarted) == 1; });
    // A record of the dataset is challenged: unanswered, the task would be cancelled and the rest
    // of the owner's escrow burned.
    const step::Hash256 task = hash_of(net.task_id);
    challenger.send([&](step::pb::Transaction& tx) {
        auto* c = tx.mutable_data_challenge();
        c->mutable_unit()->set_task_id(task.data(), task.size());
        c->set_kind(step::pb::DATA_DATASET);
        c->set_record(7);
    });
    REQUIRE(net.wallet({"generate", "1"}).exit_code == 0);
    REQUIRE(net.node().result("gettask", {{"task_id", net.task_id}})["data_challenges"].size() == 1);

    // The pace waits for the owner's answer (a loaded machine must not turn this into a race
    // with the window); the answer itself is the agent's.
    bool answered = false;
    int blocks = 0;
    const json progress = net.drive(150, &blocks, [&] {
        if (answered) return;
        net.wait_until([&] { return events(olog).count(ev::kAnswered) == 1; });
        answered = true;
    });
    INFO("owner log:\n" << read_file(olog) << "\nsolver log:\n" << read_file(slog));
    REQUIRE(progress["done"] == true);
    for (pid_t p : {owner, solver, verifier}) CHECK(reap(p, std::chrono::seconds(20)) == 0);
    const auto events_of_owner = events(olog);
    CHECK(events_of_owner.count(ev::kAnswered) == 1);
    CHECK(events_of_owner.count(ev::kRoundFinal) == 1);
    CHECK(events_of_owner.count(ev::kModel) == 1);
    const json t = net.node().result("gettask", {{"task_id", net.task_id}});
    CHECK(t["cancelled"] == false);
    CHECK(t["data_challenges"].empty());
    // The model the agent wrote is the one `task model` fetches.
    const std::string fetched = net.root + "/fetched.state";
    REQUIRE(net.wallet({"task", "model", net.task_id, fetched}).exit_code == 0);
    CHECK(read_file(net.root + "/owner-state/" + net.task_id + ".model.state") == read_file(fetched));
}

TEST_CASE("agents started without --data fetch the task's dataset through their node") {
    MarketDevnet net;
    net.set_up({{"steps", "8"}, {"budget", "2000000000"}});  // one round of 2 units
    // `task submit` uploaded the records as a blob; the agents find it by the dataset root.
    const std::string slog = net.root + "/solver.log", vlog = net.root + "/verifier.log";
    const pid_t solver = net.agent("solver", slog, "", /*with_data=*/false);
    const pid_t verifier = net.agent("verifier", vlog, "", /*with_data=*/false);
    int blocks = 0;
    const json progress = net.drive(150, &blocks);
    INFO("solver log:\n" << read_file(slog) << "\nverifier log:\n" << read_file(vlog));
    REQUIRE(progress["done"] == true);
    for (pid_t p : {solver, verifier}) CHECK(reap(p, std::chrono::seconds(20)) == 0);
    CHECK(events(slog).count(ev::kDatasetFetched) == 1);
    CHECK(events(vlog).count(ev::kDatasetFetched) == 1);
    CHECK(events(slog).count(ev::kError) == 0);
    // Each keeps a checked copy, named by the dataset root, equal to the records themselves.
    const json task = net.node().result("gettask", {{"task_id", net.task_id}});
    const std::string root = task["spec"]["dataset_root"];
    const auto records = step::kernels::load_records(
        net.data, *step::kernels::record_format(task["spec"]["data_format"].get<std::string>()));
    REQUIRE(records.ok());
    CHECK(read_file(net.root + "/solver-state/" + root + ".dataset") ==
          std::string(records->bytes.begin(), records->bytes.end()));
    CHECK(count_code(net.node().result("getledger", {{"address", net.addr["solver"]}}),
                     step::consensus::reasons::kUnitPay) == 2);
}

#endif  // STEP_HAVE_WALLET
