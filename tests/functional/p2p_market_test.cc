// The market across three stepd processes (issue 10, "Done means" 7; docs/p2p.md "Blobs"): the
// owner's node mines, the solver's and the verifier's nodes --addnode it, and each role's wallet
// (its own HOME and keys) and agent talk only to its own node. The task, the transactions and
// the blocks cross by relay, and every blob an agent or the owner reads from another node's
// store crosses by blob fetch: the verifier's node never receives a chunk by RPC upload, while
// its P2P counters show the chunks it fetched.
//
// Only the owner's node is named to the others (--addnode), as `scripts/devnet.sh --nodes`
// does: the verifier's node finds the solver's by address gossip (the owner's node answers its
// getaddr with the address the solver's node listens on, so the verifier's starts once the
// solver's is the owner's peer), and the test waits for that connection before the task starts.
// It must form: blobs are pulled on demand from a node's own peers, and a node does not fetch
// for a peer, so the owner's node in between answers "not held" for the solver's checkpoints.
#ifdef STEP_HAVE_WALLET

#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <memory>

#include "common/rpc_methods.h"
#include "consensus/market_state.h"
#include "tests/functional/market_helpers.h"
#include "tests/functional/p2p_bed.h"
#include "tests/functional/p2p_market_bed.h"
#include "tests/functional/p2p_nodes.h"
#include "tests/unit/wallet/task_spec_file.h"
#include "wallet/agent_events.h"

using nlohmann::json;
using step::test::StepdProcess;
using step::test::WalletCli;

namespace ev = step::wallet::agent_events;
namespace {

namespace rpc = step::rpc;
namespace reasons = step::consensus::reasons;
namespace kinds = step::consensus::ledger_kinds;

const std::string kData = std::string(STEP_SOURCE_DIR) + "/tests/fixtures/mnist-train-500.rec";
const std::string kTestData = std::string(STEP_SOURCE_DIR) + "/tests/fixtures/mnist-test-200.rec";
// The bound on any one wait for the network: a block every 2 s, a loaded CI machine.
constexpr std::chrono::milliseconds kWait{120'000};
// Units of STEP (base units).
constexpr uint64_t kStep = 1'000'000'000;
// What the owner sends each other party: a 20 STEP bond, a 5 STEP fraud proof bond, fees.
constexpr char kFunds[] = "30";

using Role = step::test::MarketRole;
using step::test::net_counter;
using step::test::putblobchunk_calls;

// Owner (mining), solver and verifier, each on its own node, connected; the solver and the
// verifier funded and bonded, and a task of the owner's in a block all three nodes hold.
struct MarketNet {
    std::string root = step::test::make_temp_dir("p2p-market");
    Role owner, solver, verifier;
    std::string task_id;
    std::vector<pid_t> agents;  // spawned, reaped by the test or by the destructor

    std::vector<const Role*> roles() const { return {&owner, &solver, &verifier}; }

    static void wait(const std::function<bool()>& done) {
        REQUIRE(step::test::wait_until(done, kWait));
    }
    // Until every node holds `done`.
    void wait_all(const std::function<bool(const Role&)>& done) const {
        for (const Role* r : roles()) wait([&] { return done(*r); });
    }

    void make_key(Role& r, const std::string& name) {
        r.home = root + "/" + name;
        std::filesystem::create_directories(r.home);
        const StepdProcess unstarted(r.home);  // the wallet needs a node only to name its RPC
        const WalletCli keys(unstarted, r.home);
        REQUIRE(keys.run({"key", "new", name}).exit_code == 0);
        r.address = json::parse(keys.run({"key", "show", name}).out)["address"];
    }

    void start(Role& r, std::vector<std::string> args) {
        r.node = std::make_unique<StepdProcess>(r.home, std::move(args));
        REQUIRE(r.node->start());
        r.cli = std::make_unique<WalletCli>(*r.node, r.home);
    }

    void set_up(const std::map<std::string, std::string>& spec_edits) {
        make_key(owner, "owner");
        make_key(solver, "solver");
        make_key(verifier, "verifier");
        start(owner, {"--mine", "--miner-address", owner.address});
        start(solver, {"--addnode", step::test::p2p_address(*owner.node)});
        REQUIRE(step::test::wait_for_peer(*owner.node, *solver.node, kWait));
        start(verifier, {"--addnode", step::test::p2p_address(*owner.node)});
        // The verifier's node has both others as peers, the solver's by gossip.
        for (const Role* to : {&owner, &solver})
            REQUIRE(step::test::wait_for_peer(*verifier.node, *to->node, kWait));

        // Enough for the task and three parties (a forger too).
        wait([&] { return owner.balance(owner.address) >= 100 * kStep; });
        for (const Role* r : {&solver, &verifier})
            REQUIRE(owner.wallet({"send", r->address, kFunds, "--from", "owner", "-y"}).exit_code ==
                    0);
        // Each bonds through its own node once its node has seen the funds.
        for (Role* r : {&solver, &verifier}) {
            wait([&] { return r->balance(r->address) > 0; });
            const std::string role = r == &solver ? "solver" : "verifier";
            REQUIRE(r->wallet({"bond", role, "20", "--from", role, "-y"}).exit_code == 0);
        }
        step::wallet::testing::TempDir specs;
        const auto submitted =
            owner.wallet({"task", "submit", step::wallet::testing::write_spec(specs, spec_edits),
                          "-y", "--from", "owner"});
        INFO(submitted.out);
        REQUIRE(submitted.exit_code == 0);
        task_id = json::parse(submitted.out)["task_id"];
        wait_all([&](const Role& r) {
            return r.node->call(rpc::kGetTask, {{"task_id", task_id}}, false).contains("result");
        });
    }

    // `with_data`: pass --data; without it the agent fetches the dataset through its node.
    pid_t agent(const Role& r, const std::string& role, const std::string& log, bool with_data = true) {
        std::vector<std::string> args = {"agent", "--role", role, "--from", role, "--state-dir",
                                         r.home + "/" + role + "-state", "--poll-ms", "100", "--exit-when-idle"};
        if (with_data) args.insert(args.end(), {"--data", kData});
        const pid_t pid = r.cli->spawn(args, log);
        agents.push_back(pid);
        return pid;
    }

    ~MarketNet() {
        step::test::kill_unreaped(agents);
        for (const Role* r : roles())
            if (r->node && r->node->running()) r->node->stop(SIGTERM);
        if (!std::getenv("STEP_KEEP_TEST_DIRS")) std::filesystem::remove_all(root);
    }
};

}  // namespace

TEST_CASE("p2p market: owner, solver and verifier on three nodes run a task to the end", "[p2p]") {
    MarketNet net;
    net.set_up({});  // 2 rounds x 2 units of 8 steps
    const std::string solver_log = net.root + "/solver.log";
    const std::string verifier_log = net.root + "/verifier.log";
    // Without --data: the records `task submit` uploaded to the owner's node reach the solver's
    // and the verifier's nodes over P2P, found by the task's dataset root.
    const pid_t solver = net.agent(net.solver, "solver", solver_log, /*with_data=*/false);
    const pid_t verifier = net.agent(net.verifier, "verifier", verifier_log, /*with_data=*/false);

    const auto t0 = std::chrono::steady_clock::now();
    // The task ends within a bounded number of blocks (each a bounded wait) on every node.
    uint64_t height = 0;
    for (int blocks = 0; blocks < 150; ++blocks) {
        const json progress = net.owner.call(rpc::kGetTaskProgress, {{"task_id", net.task_id}});
        if (progress["done"] == true) break;
        height = progress["height"].get<uint64_t>();
        net.wait([&] { return net.owner.call(rpc::kGetChainInfo)["height"] > height; });
    }
    INFO("solver log:\n"
         << step::test::read_file(solver_log) << "\nverifier log:\n"
         << step::test::read_file(verifier_log));
    net.wait_all([&](const Role& r) {
        return r.call(rpc::kGetTaskProgress, {{"task_id", net.task_id}})["done"] == true;
    });
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    WARN("three-node task done in " << secs << " s");
    CHECK(step::test::reap(solver, std::chrono::seconds(30)) == 0);
    CHECK(step::test::reap(verifier, std::chrono::seconds(30)) == 0);

    // The ledgers, the same on every node: the solver paid for 4 units, the verifier for 4
    // audits, nobody slashed and nothing burned.
    for (const Role* r : net.roles()) {
        const json s = r->call(rpc::kGetLedger, {{"address", net.solver.address}});
        const json v = r->call(rpc::kGetLedger, {{"address", net.verifier.address}});
        const json t = r->call(rpc::kGetTaskLedger, {{"task_id", net.task_id}});
        CHECK(step::test::count_code(s, reasons::kUnitPay) == 4);
        CHECK(step::test::count_code(v, reasons::kAuditFee) == 4);
        CHECK(step::test::count_code(v, reasons::kAuditMissed) == 0);
        for (const json& e : t["entries"]) {
            INFO(e.dump());
            CHECK(e["kind"] != kinds::kSlash);
            CHECK(e["kind"] != kinds::kBurn);
        }
    }
    const auto slog = step::test::events(solver_log), vlog = step::test::events(verifier_log);
    for (const char* e : {ev::kClaimed, ev::kCommitted, ev::kOpened, ev::kFinal}) CHECK(slog.count(e) == 4);
    for (const char* e : {ev::kAudited, ev::kRevealed, ev::kVerdict}) CHECK(vlog.count(e) == 4);

    // The blobs came over P2P: only the owner's node (the dataset) and the solver's (its states)
    // received chunks by RPC upload; the verifier's fetched the dataset, the checkpoints and the
    // round starts it replayed from its peers, and each agent checked the dataset it was given.
    CHECK(putblobchunk_calls(*net.owner.node) > 0);
    CHECK(putblobchunk_calls(*net.solver.node) > 0);
    CHECK(putblobchunk_calls(*net.verifier.node) == 0);
    CHECK(slog.count(ev::kDatasetFetched) == 1);
    CHECK(vlog.count(ev::kDatasetFetched) == 1);
    CHECK(net_counter(*net.verifier.node, "blob_chunks_received") > 0);
    CHECK(net_counter(*net.verifier.node, "blobs_fetched") > 0);
    CHECK(!net.verifier.call(rpc::kListBlobs)["blobs"].empty());

    // The owner gets the model from its own node, which fetches round 1's final states from the
    // solver's: the same bytes as the model read from the node the states were uploaded to.
    const uint64_t fetched_before = net_counter(*net.owner.node, "blobs_fetched");
    const uint64_t owner_uploads = putblobchunk_calls(*net.owner.node);  // the dataset's
    const std::string here = net.root + "/model-owner.state";
    const auto model = net.owner.wallet({"task", "model", net.task_id, here, kTestData});
    INFO(model.out);
    REQUIRE(model.exit_code == 0);
    CHECK(json::parse(model.out)["rounds"] == 2);
    CHECK(json::parse(model.out)["test"]["accuracy"].get<double>() > 0.1);
    const std::string there = net.root + "/model-solver.state";
    REQUIRE(net.solver.wallet({"task", "model", net.task_id, there}).exit_code == 0);
    CHECK(step::test::read_file(here) == step::test::read_file(there));
    CHECK(putblobchunk_calls(*net.owner.node) == owner_uploads);
    net.wait([&] { return net_counter(*net.owner.node, "blobs_fetched") >= fetched_before + 2; });
}

TEST_CASE("p2p market: a forged trace committed on one node is proven by a verifier on another",
          "[p2p]") {
    MarketNet net;
    // One round of 2 units, U/L = 4 and C/L = 2. Every leaf is audited, so the audit replays
    // from the checkpoint at leaf 2, which only the solver's node holds.
    net.set_up({{"steps", "8"}, {"budget", "2000000000"}, {"audit.leaves", "4"}});
    const std::string verifier_log = net.root + "/verifier.log";
    const pid_t verifier = net.agent(net.verifier, "verifier", verifier_log);

    // A forging solver played by the test on the solver's node: its key in the solver's wallet,
    // its transactions and checkpoints sent to that node only.
    step::test::Forger forger(*net.solver.node, *net.solver.cli, net.solver.home);
    REQUIRE(
        net.owner.wallet({"send", forger.address(), kFunds, "--from", "owner", "-y"}).exit_code ==
        0);
    net.wait([&] { return net.solver.balance(forger.address()) > 0; });
    REQUIRE(net.solver.wallet({"bond", "solver", "20", "--from", "forger", "-y"}).exit_code == 0);
    const json unit00 = {{"task_id", net.task_id}, {"round", 0}, {"unit", 0}};
    auto unit_status = [&](const Role& r) { return r.call(rpc::kGetUnit, unit00)["status"]; };
    net.wait([&] {
        return std::stoull(
                   net.solver.call(rpc::kGetAccount, {{"address", forger.address()}})["solver_bond"]
                       .get<std::string>()) > 0;
    });
    forger.claim(net.task_id);
    net.wait([&] { return unit_status(net.solver) == rpc::kUnitClaimed; });
    forger.commit(kData);
    net.wait([&] { return unit_status(net.solver) == rpc::kUnitCommitted; });

    // Once the audit windows are over, the forger opens its trace; the verifier, whose audit
    // disagreed, commits to a fraud proof and reveals it.
    const json windows = net.solver.call(rpc::kGetUnit, unit00)["windows"];
    net.wait([&] {
        return net.solver.call(rpc::kGetChainInfo)["height"].get<uint64_t>() >=
               windows["reveal_end"].get<uint64_t>();
    });
    forger.open();
    INFO("verifier log:\n" << step::test::read_file(verifier_log));
    // Proven, slashed and paid, on every node.
    net.wait_all([&](const Role& r) {
        return step::test::count_code(r.call(rpc::kGetLedger, {{"address", net.verifier.address}}),
                                      reasons::kWhistleReward) == 1;
    });
    for (const Role* r : net.roles()) {
        const json f = r->call(rpc::kGetLedger, {{"address", forger.address()}});
        size_t slashed = 0;
        for (const json& e : f["entries"])
            if (e["kind"] == kinds::kSlash && e["code"] == reasons::kFraudProven) ++slashed;
        CHECK(slashed == 1);
        const json v = r->call(rpc::kGetLedger, {{"address", net.verifier.address}});
        CHECK(step::test::count_code(v, reasons::kProofBondReturned) == 1);
        CHECK(step::test::count_code(v, reasons::kAuditUnproven) == 0);
        CHECK(unit_status(*r) == rpc::kUnitOpen);  // reset for another solver
    }
    ::kill(verifier, SIGTERM);
    CHECK(step::test::reap(verifier, std::chrono::seconds(30)) == 0);
    const auto vlog = step::test::events(verifier_log);
    CHECK(vlog.count(ev::kProofCommitted) == 1);
    CHECK(vlog.count(ev::kProved) == 1);

    // The verifier's node fetched the checkpoint it replayed from the solver's over P2P.
    CHECK(putblobchunk_calls(*net.solver.node) > 0);
    CHECK(putblobchunk_calls(*net.verifier.node) == 0);
    CHECK(net_counter(*net.verifier.node, "blob_chunks_received") > 0);
}

#endif  // STEP_HAVE_WALLET
