// The whistleblower agent and missing data on a devnet node (market_devnet.h): a forged trace
// that no drawn verifier catches is proven by a whistleblower that was never drawn, SIGKILLed
// between its ProofCommit and its FraudProof; a checkpoint the solver withholds is challenged
// by the verifier agent, whose missed audit is then excused; and replays held on an agent's
// background thread (a slow machine) do not hold up its loop: a verifier still reveals its
// audit of another unit, a whistleblower still commits and reveals its proof.
#ifdef STEP_HAVE_WALLET

#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/rpc_methods.h"
#include "consensus/market_state.h"
#include "tests/functional/market_devnet.h"
#include "tests/functional/market_helpers.h"
#include "wallet/agent_events.h"

using nlohmann::json;
using step::test::count_code;
using step::test::events;
using step::test::MarketDevnet;
using step::test::read_file;
using step::test::reap;

namespace ev = step::wallet::agent_events;
namespace reasons = step::consensus::reasons;

namespace {

// A whistleblower agent for key "whistle" on a whole core (the test's units replay in
// milliseconds; the default quarter would only slow the first replay by a poll or two).
pid_t start_whistleblower(MarketDevnet& net, const std::string& log) {
    const pid_t pid = net.cli->spawn(
        {"agent", "--role", "whistleblower", "--from", "whistle", "--data", net.data, "--state-dir",
         net.root + "/whistle-state", "--poll-ms", "100", "--cpu-share", "1", "--exit-when-idle"},
        log);
    net.agents.push_back(pid);
    return pid;
}

void add_funded_key(MarketDevnet& net, const std::string& name) {
    REQUIRE(net.wallet({"key", "new", name}).exit_code == 0);
    net.addr[name] = json::parse(net.wallet({"key", "show", name}).out)["address"];
    REQUIRE(net.wallet({"generate", "2", "--from", name}).exit_code == 0);
}

json unit00(const MarketDevnet& net) {
    return net.node().result("getunit", {{"task_id", net.task_id}, {"round", 0}, {"unit", 0}});
}

}  // namespace

TEST_CASE("a whistleblower never drawn proves a forged trace across a SIGKILL and is paid once") {
    MarketDevnet net;
    net.set_up(
        {{"steps", "8"}, {"budget", "2000000000"}});  // one round of 2 units, U/L = 4, C/L = 2
    // The forger's unit 0/0 has leaves 1 and 3 forged; no verifier agent runs, so its drawn
    // verifier misses its audit and only the whistleblower can catch the fraud.
    step::test::Forger forger(net.node(), *net.cli, net.root);
    net.addr["forger"] = forger.address();
    REQUIRE(net.wallet({"generate", "2", "--from", "forger"}).exit_code == 0);
    REQUIRE(net.wallet({"bond", "solver", "20", "--from", "forger", "-y"}).exit_code == 0);
    add_funded_key(net, "whistle");
    forger.claim(net.task_id);
    REQUIRE(net.wallet({"generate", "1"}).exit_code == 0);
    forger.commit(net.data);
    REQUIRE(net.wallet({"generate", "1"}).exit_code == 0);

    const std::string solver_log = net.root + "/solver.log";
    const std::string first_log = net.root + "/whistle-1.log",
                      second_log = net.root + "/whistle-2.log";
    const pid_t solver = net.agent("solver", solver_log);
    const pid_t first = start_whistleblower(net, first_log);
    net.agent_logs.push_back(first_log);
    pid_t second = 0;
    bool opened = false;
    int blocks = 0;
    const json progress = net.drive(100, &blocks, [&] {
        if (!opened) {
            const json u = unit00(net);
            const uint64_t h = net.node().result("getchaininfo")["height"].get<uint64_t>();
            if (u["status"] != step::rpc::kUnitCommitted ||
                h < u["windows"]["reveal_end"].get<uint64_t>())
                return;
            forger.open();
            opened = true;
        }
        // Killed once its ProofCommit is in the mempool and before a block holds it: its
        // FraudProof cannot have left (it waits for the commitment to be in a block).
        if (second == 0 && events(first_log).count(ev::kProofCommitted) == 1) {
            ::kill(first, SIGKILL);
            CHECK(reap(first, std::chrono::seconds(10)) == -1);
            second = start_whistleblower(net, second_log);
        }
    });
    INFO("solver log:\n"
         << read_file(solver_log) << "\nwhistleblower logs:\n"
         << read_file(first_log) << "\n--- restarted ---\n"
         << read_file(second_log));
    REQUIRE(opened);
    REQUIRE(second != 0);
    REQUIRE(progress["done"] == true);
    CHECK(reap(solver, std::chrono::seconds(20)) == 0);
    CHECK(reap(second, std::chrono::seconds(20)) == 0);
    const auto before = events(first_log), after = events(second_log);
    CHECK(before.count(ev::kReplayed) >= 1);
    CHECK(before.count(ev::kFraudFound) == 1);
    CHECK(before.count(ev::kProved) == 0);
    // The restarted agent reveals the proof it committed to: no second commitment, no bond lost.
    CHECK(after.count(ev::kProofCommitted) == 0);
    CHECK(after.count(ev::kProved) == 1);
    const json ledger = net.node().result("getledger", {{"address", net.addr["whistle"]}});
    CHECK(count_code(ledger, reasons::kProofBondReturned) == 1);
    CHECK(count_code(ledger, reasons::kWhistleReward) == 1);
    CHECK(count_code(ledger, reasons::kProofFailedBurn) == 0);
    const json forger_ledger = net.node().result("getledger", {{"address", net.addr["forger"]}});
    CHECK(count_code(forger_ledger, reasons::kFraudProven) == 1);
    // The reset unit was redone by the honest solver.
    CHECK(unit00(net)["solver"] == net.addr["solver"]);
}

TEST_CASE("a withheld checkpoint is challenged by the verifier agent, whose audit is excused") {
    MarketDevnet net;
    // One round of 2 units, U/L = 4, C/L = 2; one verifier sampling every leaf, so its audit
    // needs the checkpoint at leaf 2.
    net.set_up({{"steps", "8"},
                {"budget", "2000000000"},
                {"audit.verifiers", "1"},
                {"audit.leaves", "4"}});
    step::test::Forger withholder(net.node(), *net.cli, net.root);
    net.addr["withholder"] = withholder.address();  // its key is "forger" in the wallet
    REQUIRE(net.wallet({"generate", "2", "--from", "forger"}).exit_code == 0);
    REQUIRE(net.wallet({"bond", "solver", "20", "--from", "forger", "-y"}).exit_code == 0);
    withholder.claim(net.task_id);
    REQUIRE(net.wallet({"generate", "1"}).exit_code == 0);
    withholder.commit(net.data, /*forge=*/false, /*upload=*/false);
    REQUIRE(net.wallet({"generate", "1"}).exit_code == 0);

    const std::string solver_log = net.root + "/solver.log",
                      verifier_log = net.root + "/verifier.log";
    const pid_t solver = net.agent("solver", solver_log);
    const pid_t verifier = net.agent("verifier", verifier_log);
    int blocks = 0;
    const json progress = net.drive(100, &blocks);
    INFO("solver log:\n"
         << read_file(solver_log) << "\nverifier log:\n"
         << read_file(verifier_log));
    REQUIRE(progress["done"] == true);
    CHECK(reap(solver, std::chrono::seconds(20)) == 0);
    CHECK(reap(verifier, std::chrono::seconds(20)) == 0);
    const auto vlog = events(verifier_log);
    // One challenge per chunk of the state (its node holds none), settled together.
    const size_t chunks = vlog.count(ev::kDataChallenged);
    CHECK(chunks >= 1);
    CHECK(vlog.count(ev::kChallengeSettled) == 1);
    const json vledger = net.node().result("getledger", {{"address", net.addr["verifier"]}});
    CHECK(count_code(vledger, reasons::kAuditExcused) == 1);
    CHECK(count_code(vledger, reasons::kAuditMissed) == 0);
    CHECK(count_code(vledger, reasons::kChallengeRefund) == chunks);
    const json wledger = net.node().result("getledger", {{"address", net.addr["withholder"]}});
    CHECK(count_code(wledger, reasons::kDataWithheld) == 1);
    CHECK(unit00(net)["solver"] == net.addr["solver"]);
}

TEST_CASE("a verifier reveals an audit while its fraud-proof search of another unit runs") {
    MarketDevnet net;
    // One round of 2 units, U/L = 4, C/L = 2; one verifier sampling every leaf, drawn for both.
    net.set_up({{"steps", "8"},
                {"budget", "2000000000"},
                {"audit.verifiers", "1"},
                {"audit.leaves", "4"}});
    step::test::Forger forger(net.node(), *net.cli, net.root);
    net.addr["forger"] = forger.address();
    REQUIRE(net.wallet({"generate", "2", "--from", "forger"}).exit_code == 0);
    REQUIRE(net.wallet({"bond", "solver", "20", "--from", "forger", "-y"}).exit_code == 0);
    auto mine = [&] { REQUIRE(net.wallet({"generate", "1"}).exit_code == 0); };
    forger.claim(net.task_id);
    mine();
    forger.commit(net.data);
    mine();

    // The verifier is a slow machine (step-deviant hold-proof-search): its search for the forged
    // unit's wrong leaf holds its background thread until the test writes `release`.
    const std::string release = net.root + "/release";
    const std::string solver_log = net.root + "/solver.log",
                      verifier_log = net.root + "/verifier.log";
    const pid_t verifier = net.agent("verifier", verifier_log, "", true,
                                     {"--deviation", "hold-proof-search", "--until", release});
    auto wait_for = [&](const std::string& log, const char* event, size_t n) {
        net.wait_until([&] { return events(log).count(event) >= n; });
    };
    wait_for(verifier_log, ev::kStarted, 1);
    // Lock-step, so that unit 1's reveal window opens in the block that opens the forged trace:
    // the verifier's pass then starts the search and owes the reveal at once.
    mine();
    const pid_t solver = net.agent("solver", solver_log);
    wait_for(solver_log, ev::kClaimed, 1);
    mine();
    wait_for(solver_log, ev::kCommitted, 1);
    wait_for(verifier_log, ev::kAudited, 1);
    mine();
    wait_for(verifier_log, ev::kRevealed, 1);
    mine();
    wait_for(verifier_log, ev::kAudited, 2);
    const json w0 = unit00(net)["windows"];
    const json w1 = net.node().result(
        "getunit", {{"task_id", net.task_id}, {"round", 0}, {"unit", 1}})["windows"];
    INFO("unit 0 windows " << w0.dump() << ", unit 1 windows " << w1.dump());
    REQUIRE(w1["commit_end"].get<uint64_t>() == w0["reveal_end"].get<uint64_t>() + 1);
    while (net.node().result("getchaininfo")["height"].get<uint64_t>() <
           w0["reveal_end"].get<uint64_t>())
        mine();
    forger.open();
    mine();  // the forged trace opens: the search is due, and so is unit 1's reveal

    INFO("verifier log:\n"
         << read_file(verifier_log) << "\nsolver log:\n"
         << read_file(solver_log));
    net.wait_until([&] { return std::filesystem::exists(release + ".held"); });
    wait_for(verifier_log, ev::kRevealed, 2);  // while the search is held
    CHECK(events(verifier_log).count(ev::kProofCommitted) == 0);
    std::ofstream(release) << "go\n";
    int blocks = 0;
    REQUIRE(net.drive(100, &blocks)["done"] == true);
    CHECK(reap(solver, std::chrono::seconds(20)) == 0);
    CHECK(reap(verifier, std::chrono::seconds(20)) == 0);
    const auto vlog = events(verifier_log);
    CHECK(vlog.count(ev::kProofCommitted) == 1);
    CHECK(vlog.count(ev::kProved) == 1);
    const json vledger = net.node().result("getledger", {{"address", net.addr["verifier"]}});
    CHECK(count_code(vledger, reasons::kWhistleReward) == 1);
    CHECK(count_code(vledger, reasons::kAuditMissed) == 0);
    CHECK(count_code(vledger, reasons::kAuditFee) >= 2);  // unit 1, and unit 0 redone
    const json fledger = net.node().result("getledger", {{"address", net.addr["forger"]}});
    CHECK(count_code(fledger, reasons::kFraudProven) == 1);
}

TEST_CASE("a whistleblower commits and reveals its proof while a replay of another unit runs") {
    MarketDevnet net;
    // One round of 2 units, U/L = 4, C/L = 2; one verifier sampling every leaf, so its audit of
    // the forged unit disagrees and the whistleblower replays that unit's segments first.
    net.set_up({{"steps", "8"},
                {"budget", "2000000000"},
                {"audit.verifiers", "1"},
                {"audit.leaves", "4"}});
    step::test::Forger forger(net.node(), *net.cli, net.root);
    net.addr["forger"] = forger.address();
    REQUIRE(net.wallet({"generate", "2", "--from", "forger"}).exit_code == 0);
    REQUIRE(net.wallet({"bond", "solver", "20", "--from", "forger", "-y"}).exit_code == 0);
    add_funded_key(net, "whistle");
    forger.claim(net.task_id);
    REQUIRE(net.wallet({"generate", "1"}).exit_code == 0);
    forger.commit(net.data);
    REQUIRE(net.wallet({"generate", "1"}).exit_code == 0);

    // Slow machines (step-deviant): the verifier's search for the wrong leaf is held until
    // `search`, so the whistleblower proves the unit once the verifier's grace is over; the
    // whistleblower's replays of the honest unit are held until `replays`.
    const std::string search = net.root + "/search", replays = net.root + "/replays";
    const std::string solver_log = net.root + "/solver.log",
                      verifier_log = net.root + "/verifier.log",
                      whistle_log = net.root + "/whistle.log";
    const pid_t solver = net.agent("solver", solver_log);
    const pid_t verifier = net.agent("verifier", verifier_log, "", true,
                                     {"--deviation", "hold-proof-search", "--until", search});
    const pid_t whistle =
        net.agent("whistleblower", whistle_log, "whistle", true,
                  {"--deviation", "hold-replays", "--until", replays}, {"--cpu-share", "1"});
    bool opened = false, held_before_commit = false;
    int blocks = 0;
    const json progress = net.drive(100, &blocks, [&] {
        const json u = unit00(net);
        const uint64_t h = net.node().result("getchaininfo")["height"].get<uint64_t>();
        if (!opened && u["status"] == step::rpc::kUnitCommitted &&
            h >= u["windows"]["reveal_end"].get<uint64_t>()) {
            forger.open();
            opened = true;
        }
        // The whistleblower commits once the verifier's grace (2 blocks after open_end) is over:
        // by then a replay of the honest unit must be held.
        if (opened && u["status"] == step::rpc::kUnitOpened &&
            h + 1 >= u["windows"]["open_end"].get<uint64_t>() + 2) {
            net.wait_until([&] { return std::filesystem::exists(replays + ".held"); });
            held_before_commit =
                held_before_commit || events(whistle_log).count(ev::kProofCommitted) == 0;
        }
        if (events(whistle_log).count(ev::kProved) == 1 && !std::filesystem::exists(replays)) {
            std::ofstream(replays) << "go\n";
            std::ofstream(search) << "go\n";
        }
    });
    INFO("whistleblower log:\n"
         << read_file(whistle_log) << "\nverifier log:\n"
         << read_file(verifier_log));
    REQUIRE(progress["done"] == true);
    CHECK(held_before_commit);
    CHECK(std::filesystem::exists(replays));  // released only once the proof was revealed
    for (pid_t pid : {solver, verifier, whistle}) CHECK(reap(pid, std::chrono::seconds(20)) == 0);
    const json wledger = net.node().result("getledger", {{"address", net.addr["whistle"]}});
    CHECK(count_code(wledger, reasons::kWhistleReward) == 1);
    CHECK(count_code(wledger, reasons::kProofBondReturned) == 1);
    const json fledger = net.node().result("getledger", {{"address", net.addr["forger"]}});
    CHECK(count_code(fledger, reasons::kFraudProven) == 1);
}

#endif  // STEP_HAVE_WALLET
