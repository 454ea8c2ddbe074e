// Restart safety of the market agents (docs/market.md "Agents"; issue 12, adversary case 11):
// agents SIGKILLed at random moments and started again over the same state dir finish what they
// promised, no honest party loses anything for it, and the supply invariant holds. Random kill
// times come from a seed the test prints; STEP_RESTART_SEED=N replays one.
#ifdef STEP_HAVE_WALLET

#include <signal.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/rpc_methods.h"
#include "consensus/market_state.h"
#include "consensus/params.h"
#include "consensus/proto/chain.pb.h"
#include "consensus/task_spec.h"
#include "kernels/backend.h"
#include "kernels/data.h"
#include "kernels/state.h"
#include "tests/functional/adversary_bed.h"
#include "tests/functional/market_devnet.h"
#include "tests/functional/market_helpers.h"
#include "verifier/trace.h"
#include "wallet/agent_events.h"

using nlohmann::json;
using step::test::count_code;
using step::test::events;
using step::test::hash_of;
using step::test::MarketDevnet;
using step::test::read_file;
using step::test::reap;

namespace ev = step::wallet::agent_events;
namespace reasons = step::consensus::reasons;
namespace kinds = step::consensus::ledger_kinds;
using Clock = std::chrono::steady_clock;

namespace {

// One agent the test kills and starts again: every run logs to its own file, over the same
// state dir (MarketDevnet::agent keys it by the key's name).
struct Restartable {
    Restartable(MarketDevnet& n, std::string r) : net(n), role(std::move(r)) {}

    MarketDevnet& net;
    std::string role;
    pid_t pid = -1;
    std::vector<std::string> logs;
    int kills = 0;

    void start() {
        logs.push_back(net.root + "/" + role + "-" + std::to_string(logs.size()) + ".log");
        pid = net.agent(role, logs.back());
    }
    void wait_started() const {
        net.wait_until([&] { return events(logs.back()).count(ev::kStarted) == 1; });
    }
    void kill_now() {
        REQUIRE(::kill(pid, SIGKILL) == 0);
        CHECK(reap(pid, std::chrono::seconds(10)) == -1);  // killed, not exited
        ++kills;
    }
    size_t count(const char* event) const {
        size_t n = 0;
        for (const std::string& log : logs) n += events(log).count(event);
        return n;
    }
    std::string all_logs() const {
        std::string out;
        for (const std::string& log : logs) out += "--- " + log + "\n" + read_file(log);
        return out;
    }
};

uint64_t seed_for_this_run() {
    if (const char* s = std::getenv("STEP_RESTART_SEED")) return std::strtoull(s, nullptr, 10);
    return std::random_device{}();
}

// What an honest party's ledger must never hold: anything taken from it or burned.
size_t losses(const json& ledger) {
    return step::test::count_kind(ledger, kinds::kSlash) +
           step::test::count_kind(ledger, kinds::kBurn);
}

// A DataChallenge signed by the test's challenger (MarketDevnet's Forger key).
void challenge(const step::test::Forger& challenger, const std::string& task_id,
               step::pb::DataKind kind, uint32_t unit_leaf, uint64_t index) {
    const step::Hash256 task = hash_of(task_id);
    challenger.send([&](step::pb::Transaction& tx) {
        auto* c = tx.mutable_data_challenge();
        c->mutable_unit()->set_task_id(task.data(), task.size());
        c->set_kind(kind);
        if (kind == step::pb::DATA_DATASET) {
            c->set_record(index);
            return;
        }
        c->mutable_unit()->set_round(0);
        c->mutable_unit()->set_unit(0);
        c->set_leaf(unit_leaf);
        c->set_chunk_index(index);
    });
}

}  // namespace

TEST_CASE(
    "agents of every role SIGKILLed ten times each during a task finish it, and no honest party "
    "loses",
    "[adversary]") {
    const uint64_t seed = seed_for_this_run();
    WARN("kill seed " << seed << " (replay with STEP_RESTART_SEED=" << seed << ")");
    INFO("kill seed " << seed);
    std::mt19937_64 rng(seed);

    MarketDevnet net;
    net.set_up();  // 2 rounds x 2 units of 8 steps: the task takes about 20 blocks
    step::test::Forger challenger(net.node(), *net.cli, net.root);
    REQUIRE(net.wallet({"generate", "2", "--from", "forger"}).exit_code == 0);
    std::vector<Restartable> agents = {{net, "owner"}, {net, "solver"}, {net, "verifier"}};
    for (Restartable& a : agents) a.start();
    for (Restartable& a : agents) a.wait_started();

    // Ten kills of each agent, at distinct blocks among the first 12 and a random moment (0 to
    // 400 ms) after the block, while the agents act on it. Blocks wait while a killed agent
    // starts again: what it saved, not how fast it starts, is under test.
    constexpr int kKills = 10, kKillBlocks = 12;
    using Kills = std::vector<std::pair<int, Restartable*>>;  // (ms after the block, agent)
    std::vector<Kills> plan(kKillBlocks);
    const Kills none;
    for (Restartable& a : agents) {
        std::vector<int> blocks(kKillBlocks);
        for (int b = 0; b < kKillBlocks; ++b) blocks[b] = b;
        std::shuffle(blocks.begin(), blocks.end(), rng);
        for (int i = 0; i < kKills; ++i)
            plan[blocks[i]].emplace_back(static_cast<int>(rng() % 400), &a);
    }
    for (auto& kills : plan) std::sort(kills.begin(), kills.end());
    // The owner's and the solver's obligations come up too: a dataset challenge at a random
    // early block, a checkpoint challenge once unit 0/0 is committed.
    const int dataset_block = static_cast<int>(rng() % 8);
    bool dataset_challenged = false, checkpoint_challenged = false;
    auto owner_answers = [&] { return agents[0].count(ev::kAnswered); };
    auto solver_answers = [&] { return agents[1].count(ev::kAnswered); };

    json progress;
    int block = 0;
    for (; block < 150; ++block) {
        progress = net.node().result("gettaskprogress", {{"task_id", net.task_id}});
        if (progress["done"] == true) break;
        const auto mined = Clock::now();
        std::vector<Restartable*> killed;
        for (auto [ms, agent] : block < kKillBlocks ? plan[block] : none) {
            std::this_thread::sleep_until(mined + std::chrono::milliseconds(ms));
            agent->kill_now();
            killed.push_back(agent);
        }
        for (Restartable* a : killed) a->start();
        for (Restartable* a : killed) a->wait_started();
        // A challenge's window is DA_WINDOW = 2 blocks: the pace waits for the answer, which
        // is the agents' (and may need a restarted one).
        if (dataset_challenged && owner_answers() == 0)
            net.wait_until([&] { return owner_answers() >= 1; });
        if (checkpoint_challenged && solver_answers() == 0)
            net.wait_until([&] { return solver_answers() >= 1; });
        std::this_thread::sleep_for(std::chrono::milliseconds(400));
        if (block == dataset_block && !dataset_challenged) {
            challenge(challenger, net.task_id, step::pb::DATA_DATASET, 0, 7);
            dataset_challenged = true;
        }
        if (!checkpoint_challenged &&
            net.node().result("getunit",
                              {{"task_id", net.task_id}, {"round", 0}, {"unit", 0}})["status"] ==
                step::rpc::kUnitCommitted) {
            challenge(challenger, net.task_id, step::pb::DATA_CHECKPOINT, 2, 1);
            checkpoint_challenged = true;
        }
        net.node().result("generate", {{"count", 1}, {"address", net.addr.at("owner")}});
    }
    WARN("task done after " << block << " blocks and "
                            << agents[0].kills + agents[1].kills + agents[2].kills << " kills");
    INFO("owner logs:\n"
         << agents[0].all_logs() << "\nsolver logs:\n"
         << agents[1].all_logs() << "\nverifier logs:\n"
         << agents[2].all_logs());
    REQUIRE(progress["done"] == true);
    CHECK(progress["units_final"] == 4);
    for (Restartable& a : agents) {
        INFO(a.role);
        CHECK(a.kills == kKills);
        CHECK(reap(a.pid, std::chrono::seconds(20)) == 0);  // the last run finished and exited
    }
    CHECK(dataset_challenged);
    CHECK(checkpoint_challenged);

    // Nobody honest lost anything; every unit was paid to the solver and every audit agreed.
    const json task = net.node().result("gettask", {{"task_id", net.task_id}});
    CHECK(task["cancelled"] == false);
    for (const std::string who : {"owner", "solver", "verifier"}) {
        INFO(who);
        CHECK(losses(net.node().result("getledger", {{"address", net.addr[who]}})) == 0);
    }
    const json solver = net.node().result("getledger", {{"address", net.addr["solver"]}});
    const json verifier = net.node().result("getledger", {{"address", net.addr["verifier"]}});
    CHECK(count_code(solver, reasons::kUnitPay) == 4);
    CHECK(count_code(solver, reasons::kClaimTimeout) == 0);
    CHECK(count_code(solver, reasons::kTraceNotOpened) == 0);
    CHECK(count_code(solver, reasons::kDataWithheld) == 0);
    CHECK(count_code(verifier, reasons::kAuditFee) == 4);
    CHECK(count_code(verifier, reasons::kAuditMissed) == 0);
    CHECK(count_code(verifier, reasons::kAuditUnproven) == 0);
    const json ledger = net.node().result("gettaskledger", {{"task_id", net.task_id}});
    CHECK(count_code(ledger, reasons::kDatasetWithheld) == 0);
    CHECK(count_code(ledger, reasons::kChallengeAnswered) == 2);

    // The owner's last run wrote the model, the one `task model` fetches.
    const std::string fetched = net.root + "/fetched.state";
    REQUIRE(net.wallet({"task", "model", net.task_id, fetched}).exit_code == 0);
    CHECK(read_file(net.root + "/owner-state/" + net.task_id + ".model.state") ==
          read_file(fetched));
    step::test::check_supply_after_stop(net);
}

TEST_CASE("a solver SIGKILLed while it trains resumes from its last checkpoint and commits in time",
          "[adversary]") {
    constexpr uint64_t kBudget = 300'000'000, kUnitBond = 4'000'000'000;
    MarketDevnet net;
    // One unit of 256 steps on batches of 250 records (most of a second of training), L = 16,
    // C = 64: four pieces, each ending in a saved checkpoint.
    net.set_up({{"steps", "256"},
                {"split.steps_per_unit", "256"},
                {"split.units", "1"},
                {"batch", "250"},
                {"leaf_interval", "16"},
                {"checkpoint_interval", "64"},
                {"budget", std::to_string(kBudget)},
                {"unit_bond", std::to_string(kUnitBond)}});
    const std::string vlog = net.root + "/verifier.log";
    Restartable solver{net, "solver"};
    solver.start();
    const pid_t verifier = net.agent("verifier", vlog);
    solver.wait_started();
    const std::string progress_file = net.root + "/solver-state/" + net.task_id + "-0-0.progress";
    auto checkpoints_saved = [&] {
        const json p = json::parse(read_file(progress_file), nullptr, false);
        return p.is_object() && p.contains("leaves") ? p["leaves"].size() - 1 : 0;
    };

    // Blocks come every BLOCK_TIME (2 s on devnet) until the unit is committed, so the solver
    // claims it (training fits CLAIM_TIMEOUT's 6 blocks twice over down to 51 steps/s, where this
    // machine trains some 300), and keep coming while it is killed and starts again; then every
    // 400 ms to the end.
    json progress;
    int blocks = 0;
    auto next_block = Clock::now();
    while (blocks < 100) {
        progress = net.node().result("gettaskprogress", {{"task_id", net.task_id}});
        if (progress["done"] == true) break;
        const json u =
            net.node().result("getunit", {{"task_id", net.task_id}, {"round", 0}, {"unit", 0}});
        if (solver.kills == 0 && checkpoints_saved() >= 4 && solver.count(ev::kTrained) == 0) {
            solver.kill_now();  // at least one piece saved, the unit not trained yet
            solver.start();
        }
        if (Clock::now() >= next_block) {
            net.node().result("generate", {{"count", 1}, {"address", net.addr.at("owner")}});
            ++blocks;
            const bool training =
                u["status"] == step::rpc::kUnitOpen || u["status"] == step::rpc::kUnitClaimed;
            next_block = Clock::now() + std::chrono::milliseconds(training ? 2000 : 400);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    INFO("solver logs:\n" << solver.all_logs() << "\nverifier log:\n" << read_file(vlog));
    REQUIRE(progress["done"] == true);
    REQUIRE(solver.kills == 1);
    CHECK(reap(solver.pid, std::chrono::seconds(20)) == 0);
    CHECK(reap(verifier, std::chrono::seconds(20)) == 0);
    // The first run trained part of the unit and died; the second resumed from a checkpoint.
    CHECK(events(solver.logs[0]).count(ev::kCommitted) == 0);
    const std::string second = read_file(solver.logs[1]);
    CHECK(second.find("\"resumed_from\"") != std::string::npos);
    CHECK(events(solver.logs[1]).count(ev::kCommitted) == 1);

    // Committed before CLAIM_TIMEOUT, paid, and audited right: the resumed trace is the one a
    // single run trains, bit for bit.
    const json u =
        net.node().result("getunit", {{"task_id", net.task_id}, {"round", 0}, {"unit", 0}});
    CHECK(u["commit_height"].get<uint64_t>() - u["claim_height"].get<uint64_t>() <=
          step::consensus::devnet_params().claim_timeout);
    const json sledger = net.node().result("getledger", {{"address", net.addr["solver"]}});
    CHECK(losses(sledger) == 0);
    CHECK(count_code(sledger, reasons::kClaimTimeout) == 0);
    CHECK(count_code(sledger, reasons::kUnitPay) == 1);
    CHECK(count_code(net.node().result("getledger", {{"address", net.addr["verifier"]}}),
                     reasons::kAuditFee) == 1);
    const json task = net.node().result("gettask", {{"task_id", net.task_id}});
    auto proto =
        step::consensus::decode_task_spec(*step::from_hex(task["spec_hex"].get<std::string>()));
    REQUIRE(proto.ok());
    auto spec = step::consensus::spec_from_proto(*proto, kBudget, kUnitBond);
    REQUIRE(spec.ok());
    auto ds = step::kernels::load_records(net.data, *step::kernels::record_format("mnist-u8"));
    REQUIRE(ds.ok());
    auto backend = step::kernels::make_cpu_backend(step::kernels::Exec{});
    auto trace = step::verifier::build_trace(*backend, step::kernels::Exec{}, *spec, *ds,
                                             {hash_of(net.task_id), 0, 0},
                                             *step::kernels::init_state(*spec));
    REQUIRE(trace.ok());
    CHECK(hash_of(u["trace_root"]) == trace->root);
    step::test::check_supply_after_stop(net);
}

#endif  // STEP_HAVE_WALLET
