// The market with no person in the loop: a devnet stepd, an owner who submits a small task with
// step-wallet, and the solver and verifier agents (`step-wallet agent`) as child processes. The
// test only mines blocks (`generate`, so the pace does not depend on the miner's luck) until the
// task is done, then checks the ledgers and that the chain's final states are exactly what a
// local build_trace computes. One case (label p2p) has a second node that joins afterwards fetch
// the final states over P2P for the model.
#ifdef STEP_HAVE_WALLET

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <fstream>
#include <iterator>
#include <set>
#include <thread>

#include "common/merkle.h"
#include "common/rpc_methods.h"
#include "consensus/encoding.h"
#include "consensus/params.h"
#include "consensus/proto/chain.pb.h"
#include "consensus/task_spec.h"
#include "consensus/transaction.h"
#include "kernels/backend.h"
#include "kernels/backend_select.h"
#include "kernels/data.h"
#include "kernels/safetensors.h"
#include "kernels/state.h"
#include "tests/functional/market_devnet.h"
#include "tests/functional/market_helpers.h"
#include "tests/functional/stepd_process.h"
#include "tests/functional/wallet_cli.h"
#include "tests/unit/wallet/task_spec_file.h"
#include "verifier/trace.h"
#include "wallet/agent_events.h"
#include "consensus/errors.h"
#include "consensus/market_state.h"
#include "tests/support/status_check.h"

using nlohmann::json;
using step::test::StepdProcess;
using step::test::count_code;
using step::test::events;
using step::test::hash_of;
using step::test::reap;
using step::test::read_file;

namespace ev = step::wallet::agent_events;
using step::test::MarketDevnet;

TEST_CASE("the solver and verifier agents run a task to the end with no person in the loop") {
    MarketDevnet net;
    // 2 rounds x 2 units of 8 steps, L = 2, C = 4, V = Q = 2 on the 500-digit fixture.
    net.set_up();
    const std::string& root = net.root;
    const std::string& task_id = net.task_id;
    const std::string& data = net.data;
    auto& node = net.node();
    auto& addr = net.addr;
    const std::string solver_log = root + "/solver.log", verifier_log = root + "/verifier.log";
    const pid_t solver = net.agent("solver", solver_log);
    const pid_t verifier = net.agent("verifier", verifier_log);

    int blocks = 0;
    const auto t0 = std::chrono::steady_clock::now();
    const json progress = net.drive(150, &blocks);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    WARN("task done after " << blocks << " blocks, " << secs << " s");
    INFO("solver log:\n" << read_file(solver_log) << "\nverifier log:\n" << read_file(verifier_log));
    REQUIRE(progress["done"] == true);
    CHECK(progress["units_final"] == 4);

    // With the task closed both agents find nothing left and exit cleanly.
    CHECK(reap(solver, std::chrono::seconds(20)) == 0);
    CHECK(reap(verifier, std::chrono::seconds(20)) == 0);

    const json solver_ledger = node.result("getledger", {{"address", addr["solver"]}});
    const json verifier_ledger = node.result("getledger", {{"address", addr["verifier"]}});
    CHECK(count_code(solver_ledger, step::consensus::reasons::kUnitPay) == 4);
    CHECK(count_code(verifier_ledger, step::consensus::reasons::kAuditFee) == 4);
    CHECK(count_code(verifier_ledger, step::consensus::reasons::kAuditMissed) == 0);
    CHECK(count_code(solver_ledger, step::consensus::reasons::kTraceNotOpened) == 0);
    // Every action left its JSON line: each of the 4 units was claimed, trained, uploaded,
    // committed, opened and reported final; the one bonded verifier audited and revealed each.
    const auto slog = events(solver_log), vlog = events(verifier_log);
    // The first line says which backend trains (--backend auto: CUDA exactly when usable).
    const json started = json::parse(read_file(solver_log).substr(0, read_file(solver_log).find('\n')));
    CHECK(started["event"] == ev::kStarted);
    CHECK(started["backend"] == step::kernels::usable_backends().back());
    CHECK_FALSE(started["device"].get<std::string>().empty());
    for (const char* e : {ev::kClaimed, ev::kTrained, ev::kUploaded, ev::kCommitted, ev::kOpened, ev::kFinal}) {
        INFO(e);
        CHECK(slog.count(e) == 4);
    }
    for (const char* e : {ev::kAudited, ev::kRevealed, ev::kVerdict}) {
        INFO(e);
        CHECK(vlog.count(e) == 4);
    }
    CHECK(slog.count(ev::kError) == 0);
    CHECK(vlog.count(ev::kError) == 0);

    // The chain's final leaves are a local honest run's, bit for bit.
    const json task = node.result("gettask", {{"task_id", task_id}});
    auto proto = step::consensus::decode_task_spec(*step::from_hex(task["spec_hex"].get<std::string>()));
    REQUIRE(proto.ok());
    auto spec = step::consensus::spec_from_proto(*proto, 4000000000, 3000000000);
    REQUIRE(spec.ok());
    auto ds = step::kernels::load_records(data, *step::kernels::record_format("mnist-u8"));
    REQUIRE(ds.ok());
    auto backend = step::kernels::make_cpu_backend(step::kernels::Exec{});
    const step::Hash256 id = hash_of(task_id);
    std::vector<step::kernels::TrainState> finals;
    for (uint32_t r = 0; r < 2; ++r) {
        auto start = step::verifier::round_start_state(*spec, r, finals, step::kernels::Exec{});
        REQUIRE(start.ok());
        finals.clear();
        for (uint32_t k = 0; k < 2; ++k) {
            auto tr = step::verifier::build_trace(*backend, step::kernels::Exec{}, *spec, *ds, {id, r, k}, *start);
            REQUIRE(tr.ok());
            const json u = node.result("getunit", {{"task_id", task_id}, {"round", r}, {"unit", k}});
            CHECK(u["status"] == step::rpc::kUnitFinal);
            CHECK(u["solver"] == addr["solver"]);
            CHECK(hash_of(u["final_leaf"]) == tr->leaves.back());
            CHECK(hash_of(u["trace_root"]) == tr->root);
            finals.push_back(tr->final_state);
        }
    }

    // What the owner receives: `task model` fetches round 1's final states from the blob store
    // and writes their mean, bit for bit the local run's model, then evaluates it on test digits.
    auto model = step::kernels::mean_states(finals, step::kernels::Exec{});
    REQUIRE(model.ok());
    const std::string model_path = root + "/model.state";
    const auto fetched = net.wallet({"task", "model", task_id, model_path,
                                     std::string(STEP_SOURCE_DIR) + "/tests/fixtures/mnist-test-200.rec"});
    INFO(fetched.out);
    REQUIRE(fetched.exit_code == 0);
    const json m = json::parse(fetched.out);
    CHECK(m["rounds"] == 2);
    CHECK(m["state_root"] == step::to_hex(step::kernels::state_root(*model, step::kernels::Exec{})));
    CHECK(m["test"]["records"] == 200);
    CHECK(m["test"]["accuracy"].get<double>() > 0.1);  // 16 steps of a tiny MLP: above chance
    const std::string written = read_file(model_path);
    CHECK(step::Bytes(written.begin(), written.end()) == step::kernels::state_to_bytes(*model));
    // An unknown task is the node's error (no file is written for it).
    CHECK(net.wallet({"task", "model", std::string(64, '0'), model_path}).exit_code != 0);
    // --sample generates text from a GPT only: this MLP's model is refused (an error, not usage).
    CHECK(net.wallet({"task", "model", task_id, model_path, "--sample", "8"}).exit_code == 1);
    CHECK(net.wallet({"task", "model", task_id, model_path, "--sample", "x"}).exit_code == 2);

    // The same model as safetensors: a little-endian header length, the JSON header naming each
    // layer's tensors as PyTorch does, then exactly the model's parameters.
    const std::string st_path = root + "/model.safetensors";
    const auto st = net.wallet({"task", "model", task_id, st_path, "--format",
                                std::string(step::kernels::kModelFormatSafetensors)});
    INFO(st.out);
    REQUIRE(st.exit_code == 0);
    const std::string file = read_file(st_path);
    REQUIRE(file.size() > 8);
    uint64_t header_len = 0;
    for (int i = 7; i >= 0; --i) header_len = header_len << 8 | static_cast<uint8_t>(file[i]);
    REQUIRE(8 + header_len <= file.size());
    const json header = json::parse(file.substr(8, header_len));
    CHECK(header["__metadata__"]["task_id"] == task_id);
    CHECK(header["__metadata__"]["state_root"] == m["state_root"]);
    CHECK(header["0.weight"]["dtype"] == "F32");
    CHECK(header["0.weight"]["shape"] == json::array({16, 784}));
    CHECK(header["2.bias"]["shape"] == json::array({10}));
    const std::string tensors = file.substr(8 + header_len);
    REQUIRE(tensors.size() == model->param_count * sizeof(float));
    CHECK(std::memcmp(tensors.data(), model->values.data(), tensors.size()) == 0);
    CHECK(net.wallet({"task", "model", task_id, st_path, "--format", "onnx"}).exit_code == 2);
}

TEST_CASE("a node that joins after the task gets its final states over P2P for the model",
          "[p2p]") {
    MarketDevnet net;
    net.set_up();
    const std::string solver_log = net.root + "/solver.log",
                      verifier_log = net.root + "/verifier.log";
    const pid_t solver = net.agent("solver", solver_log);
    const pid_t verifier = net.agent("verifier", verifier_log);
    int blocks = 0;
    const json progress = net.drive(150, &blocks);
    INFO("solver log:\n" << read_file(solver_log) << "\nverifier log:\n" << read_file(verifier_log));
    REQUIRE(progress["done"] == true);
    CHECK(reap(solver, std::chrono::seconds(20)) == 0);
    CHECK(reap(verifier, std::chrono::seconds(20)) == 0);

    // A second node joins, syncs the chain from the first, and holds no blob.
    StepdProcess other(step::test::make_temp_dir("agents-other"));
    REQUIRE(other.start());
    other.result("addnode", {{"address", "127.0.0.1:" + std::to_string(net.node().p2p_port())},
                             {"command", "onetry"}});
    net.wait_until([&] {
        return other.result("getchaininfo")["best_hash"] ==
               net.node().result("getchaininfo")["best_hash"];
    });
    CHECK(other.result("listblobs")["blobs"].empty());

    // The owner asks the new node for the model: it finds each of round 1's final states by
    // (task, round, unit, leaf) and fetches them from the first node, checked against the chain.
    const std::string here = net.root + "/model-here.state",
                      there = net.root + "/model-there.state";
    REQUIRE(net.wallet({"task", "model", net.task_id, here}).exit_code == 0);
    const step::test::WalletCli other_cli(other, net.root);
    const auto fetched = other_cli.run({"task", "model", net.task_id, there});
    INFO(fetched.out);
    REQUIRE(fetched.exit_code == 0);
    CHECK(read_file(there) == read_file(here));
    net.wait_until([&] { return other.result("getnetworkinfo")["blobs_fetched"] == 2; });
    CHECK(other.result("listblobs")["blobs"].size() == 2);
    other.stop(SIGTERM);
}

TEST_CASE("two solver agents share a task: the second round starts from states in the blob store") {
    MarketDevnet net;
    net.set_up({}, /*mine=*/false, {"solver2"});  // 2 rounds x 2 units
    const std::string log1 = net.root + "/solver.log", log2 = net.root + "/solver2.log";
    const std::string vlog = net.root + "/verifier.log";
    const pid_t s1 = net.agent("solver", log1);
    const pid_t s2 = net.agent("solver", log2, "solver2");
    const pid_t v = net.agent("verifier", vlog);
    int blocks = 0;
    const json progress = net.drive(150, &blocks);
    INFO("solver logs:\n" << read_file(log1) << "\n" << read_file(log2) << "\nverifier log:\n" << read_file(vlog));
    REQUIRE(progress["done"] == true);
    for (pid_t p : {s1, s2, v}) CHECK(reap(p, std::chrono::seconds(20)) == 0);
    size_t paid[2] = {0, 0};
    std::set<std::string> round0_solvers, round1_solvers, round0_finals;
    for (uint32_t r = 0; r < 2; ++r)
        for (uint32_t k = 0; k < 2; ++k) {
            const json u = net.node().result("getunit", {{"task_id", net.task_id}, {"round", r}, {"unit", k}});
            CHECK(u["status"] == step::rpc::kUnitFinal);
            (r == 0 ? round0_solvers : round1_solvers).insert(u["solver"].get<std::string>());
            if (r == 0) round0_finals.insert(u["final_leaf"].get<std::string>());
        }
    paid[0] = count_code(net.node().result("getledger", {{"address", net.addr["solver"]}}), step::consensus::reasons::kUnitPay);
    paid[1] = count_code(net.node().result("getledger", {{"address", net.addr["solver2"]}}), step::consensus::reasons::kUnitPay);
    CHECK(paid[0] + paid[1] == 4);
    CHECK(count_code(net.node().result("getledger", {{"address", net.addr["verifier"]}}), step::consensus::reasons::kAuditFee) == 4);
    // Each solver trains one unit at a time, so both took part.
    CHECK(paid[0] >= 1);
    CHECK(paid[1] >= 1);
    // Every round-1 solver holds every round-0 final state in its state dir (named by its leaf):
    // the ones it did not train were found in the blob store by leaf digest and downloaded.
    for (const std::string& solver : round1_solvers) {
        const std::string key = solver == net.addr["solver"] ? "solver" : "solver2";
        for (const std::string& leaf : round0_finals) {
            INFO(key << " lacks the round-0 final state " << leaf);
            CHECK(std::filesystem::exists(net.root + "/" + key + "-state/" + leaf + ".state"));
        }
    }
    WARN("round 0 trained by " << round0_solvers.size() << " solver(s), round 1 by " << round1_solvers.size());
}

TEST_CASE("the agents finish a task on a devnet node that mines on its own") {
    MarketDevnet net;
    net.set_up({{"steps", "8"}, {"budget", "2000000000"}}, /*mine=*/true);  // one round of 2 units
    const std::string solver_log = net.root + "/solver.log", verifier_log = net.root + "/verifier.log";
    const pid_t solver = net.agent("solver", solver_log);
    const pid_t verifier = net.agent("verifier", verifier_log);
    int blocks = 0;
    const auto t0 = std::chrono::steady_clock::now();
    const json progress = net.drive(60, &blocks);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    WARN("mined task done after " << blocks << " blocks, " << secs << " s");
    INFO("solver log:\n" << read_file(solver_log) << "\nverifier log:\n" << read_file(verifier_log));
    REQUIRE(progress["done"] == true);
    CHECK(reap(solver, std::chrono::seconds(20)) == 0);
    CHECK(reap(verifier, std::chrono::seconds(20)) == 0);
    CHECK(count_code(net.node().result("getledger", {{"address", net.addr["solver"]}}), step::consensus::reasons::kUnitPay) == 2);
    CHECK(count_code(net.node().result("getledger", {{"address", net.addr["verifier"]}}), step::consensus::reasons::kAuditFee) == 2);
}

TEST_CASE("a verifier agent restarted between its audit commit and reveal still reveals and is paid") {
    MarketDevnet net;
    net.set_up({{"steps", "8"}, {"budget", "2000000000"}});  // one round of 2 units, 1 STEP each
    const std::string solver_log = net.root + "/solver.log", verifier_log = net.root + "/verifier.log";
    const std::string second_log = net.root + "/verifier2.log";
    const pid_t solver = net.agent("solver", solver_log);
    pid_t verifier = net.agent("verifier", verifier_log);
    bool restarted = false;
    int blocks = 0;
    // Blocks stop while the verifier restarts: its saved salt, not the clock, is under test.
    const json progress = net.drive(100, &blocks, [&] {
        if (restarted || events(verifier_log).count(ev::kAudited) == 0) return;
        ::kill(verifier, SIGTERM);
        CHECK(reap(verifier, std::chrono::seconds(10)) == 0);
        verifier = net.agent("verifier", second_log);
        for (int i = 0; i < 200 && events(second_log).count(ev::kStarted) == 0; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
        restarted = true;
    });
    INFO("solver log:\n" << read_file(solver_log) << "\nverifier logs:\n" << read_file(verifier_log) << "\n"
                          << read_file(second_log));
    REQUIRE(restarted);
    REQUIRE(progress["done"] == true);
    CHECK(reap(solver, std::chrono::seconds(20)) == 0);
    CHECK(reap(verifier, std::chrono::seconds(20)) == 0);
    // The first run committed and stopped; the second revealed with the saved salt.
    CHECK(events(verifier_log).count(ev::kStopped) == 1);
    CHECK(events(second_log).count(ev::kRevealed) >= 1);
    const json ledger = net.node().result("getledger", {{"address", net.addr["verifier"]}});
    CHECK(count_code(ledger, step::consensus::reasons::kAuditFee) == 2);
    CHECK(count_code(ledger, step::consensus::reasons::kAuditMissed) == 0);
}

TEST_CASE("the solver agent answers a data challenge on its checkpoint in time") {
    MarketDevnet net;
    net.set_up({{"steps", "8"}, {"budget", "2000000000"}});  // one round of 2 units
    // A challenger whose seed the test knows, so it can sign the DataChallenge itself (the
    // wallet has no command for one).
    step::consensus::SecretSeed seed{};
    seed.fill(0x42);
    {
        std::ofstream(net.root + "/challenger.hex") << step::to_hex(seed) << "\n";
    }
    REQUIRE(net.wallet({"key", "import", "challenger", net.root + "/challenger.hex"}).exit_code == 0);
    net.addr["challenger"] = json::parse(net.wallet({"key", "show", "challenger"}).out)["address"];
    REQUIRE(net.wallet({"generate", "2", "--from", "challenger"}).exit_code == 0);

    const std::string solver_log = net.root + "/solver.log", verifier_log = net.root + "/verifier.log";
    const pid_t solver = net.agent("solver", solver_log);
    const pid_t verifier = net.agent("verifier", verifier_log);
    bool challenged = false;
    int blocks = 0;
    const json progress = net.drive(100, &blocks, [&] {
        if (challenged) return;
        const json u = net.node().result("getunit", {{"task_id", net.task_id}, {"round", 0}, {"unit", 0}});
        if (u["status"] != step::rpc::kUnitCommitted) return;
        // Chunk 1 of unit 0/0's checkpoint at leaf C/L = 2.
        const json acc = net.node().result("getaccount", {{"address", net.addr["challenger"]}});
        step::pb::Transaction tx;
        const auto& p = step::consensus::devnet_params();
        tx.set_chain_id(p.chain_id);
        tx.set_nonce(acc["next_nonce"].get<uint64_t>());
        tx.set_fee(p.min_fee);
        auto* c = tx.mutable_data_challenge();
        const step::Hash256 id = hash_of(net.task_id);
        c->mutable_unit()->set_task_id(id.data(), id.size());
        c->mutable_unit()->set_round(0);
        c->mutable_unit()->set_unit(0);
        c->set_leaf(2);
        c->set_chunk_index(1);
        c->set_kind(step::pb::DATA_CHECKPOINT);
        step::consensus::sign_transaction(tx, seed);
        net.node().result("sendtransaction", {{"tx", step::to_hex(step::consensus::encode_tx(tx))}});
        challenged = true;
    });
    INFO("solver log:\n" << read_file(solver_log) << "\nverifier log:\n" << read_file(verifier_log));
    REQUIRE(challenged);
    REQUIRE(progress["done"] == true);
    CHECK(progress["units_final"] == 2);
    CHECK(reap(solver, std::chrono::seconds(20)) == 0);
    CHECK(reap(verifier, std::chrono::seconds(20)) == 0);
    CHECK(events(solver_log).count(ev::kAnswered) == 1);
    const json ledger = net.node().result("getledger", {{"address", net.addr["solver"]}});
    // Answering earns nothing; the challenger's bond returns.
    CHECK(count_code(ledger, step::consensus::reasons::kChallengeAnswered) == 0);
    const json cledger = net.node().result("getledger", {{"address", net.addr["challenger"]}});
    CHECK(count_code(cledger, step::consensus::reasons::kChallengeAnswered) == 1);
    CHECK(count_code(ledger, step::consensus::reasons::kDataWithheld) == 0);
    CHECK(count_code(ledger, step::consensus::reasons::kUnitPay) == 2);
}

TEST_CASE("the verifier agent proves a forged trace it disagreed with, and the unit is redone") {
    MarketDevnet net;
    net.set_up({{"steps", "8"}, {"budget", "2000000000"}});  // one round of 2 units, U/L = 4, C/L = 2
    // A forging solver played by the test: leaves 1 and 3 of its trace are forged.
    step::test::Forger forger(net.node(), *net.cli, net.root);
    net.addr["forger"] = forger.address();
    REQUIRE(net.wallet({"generate", "2", "--from", "forger"}).exit_code == 0);
    REQUIRE(net.wallet({"bond", "solver", "20", "--from", "forger", "-y"}).exit_code == 0);
    forger.claim(net.task_id);
    REQUIRE(net.wallet({"generate", "1"}).exit_code == 0);
    const step::verifier::UnitTrace tr = forger.commit(net.data);
    REQUIRE(net.wallet({"generate", "1"}).exit_code == 0);
    REQUIRE(net.node().result("getunit", {{"task_id", net.task_id}, {"round", 0}, {"unit", 0}})["status"] == step::rpc::kUnitCommitted);

    const std::string solver_log = net.root + "/solver.log", verifier_log = net.root + "/verifier.log";
    const pid_t solver = net.agent("solver", solver_log);
    const pid_t verifier = net.agent("verifier", verifier_log);
    bool opened = false;
    int blocks = 0;
    const json progress = net.drive(100, &blocks, [&] {
        if (opened) return;
        const json u = net.node().result("getunit", {{"task_id", net.task_id}, {"round", 0}, {"unit", 0}});
        const uint64_t h = net.node().result("getchaininfo")["height"].get<uint64_t>();
        if (u["status"] != step::rpc::kUnitCommitted || h < u["windows"]["reveal_end"].get<uint64_t>()) return;
        forger.open();
        opened = true;
    });
    INFO("solver log:\n" << read_file(solver_log) << "\nverifier log:\n" << read_file(verifier_log));
    REQUIRE(opened);
    REQUIRE(progress["done"] == true);
    CHECK(reap(solver, std::chrono::seconds(20)) == 0);
    CHECK(reap(verifier, std::chrono::seconds(20)) == 0);
    const auto vlog = events(verifier_log);
    CHECK(vlog.count(ev::kProofCommitted) == 1);
    CHECK(vlog.count(ev::kProved) == 1);
    const json vledger = net.node().result("getledger", {{"address", net.addr["verifier"]}});
    CHECK(count_code(vledger, step::consensus::reasons::kWhistleReward) == 1);
    CHECK(count_code(vledger, step::consensus::reasons::kAuditUnproven) == 0);
    // The reset unit was claimed again by the honest agent and finished: both units are its.
    const json sledger = net.node().result("getledger", {{"address", net.addr["solver"]}});
    CHECK(count_code(sledger, step::consensus::reasons::kUnitPay) == 2);
    const json u0 = net.node().result("getunit", {{"task_id", net.task_id}, {"round", 0}, {"unit", 0}});
    CHECK(u0["solver"] == net.addr["solver"]);
    CHECK(hash_of(u0["final_leaf"]) == tr.leaves.back());
}

TEST_CASE("a refused transaction is logged with the node's code and the agent carries on") {
    MarketDevnet net;
    net.set_up();
    // The verifier's key has no solver bond: every claim it sends as a solver is refused.
    const std::string log = net.root + "/unbonded-solver.log";
    const pid_t pid = net.cli->spawn({"agent", "--role", "solver", "--from", "verifier", "--data", net.data,
                                      "--state-dir", net.root + "/unbonded", "--poll-ms", "50"},
                                     log);
    auto refusals = [&] {
        size_t n = 0;
        std::ifstream in(log);
        for (std::string line; std::getline(in, line);) {
            const json j = json::parse(line, nullptr, false);
            if (j.is_object() && j.value("event", "") == "error" && j.value("action", "") == "claim" &&
                j.value("code", "") == name_of(step::consensus::codes::kInsufficientBond))
                ++n;
        }
        return n;
    };
    // Two blocks, two refusals: it retries once per block and is still running after each.
    for (int block = 1; block <= 2; ++block) {
        for (int i = 0; i < 200 && refusals() < static_cast<size_t>(block); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
        INFO(read_file(log));
        REQUIRE(refusals() == static_cast<size_t>(block));
        int status = 0;
        CHECK(::waitpid(pid, &status, WNOHANG) == 0);
        net.node().result("generate", {{"count", 1}, {"address", net.addr.at("owner")}});
    }
    ::kill(pid, SIGINT);
    CHECK(reap(pid, std::chrono::seconds(10)) == 0);
    // Nothing was claimed.
    const json u = net.node().result("getunit", {{"task_id", net.task_id}, {"round", 0}, {"unit", 0}});
    CHECK(u["status"] == step::rpc::kUnitOpen);
}

TEST_CASE("an agent stops cleanly on SIGTERM and refuses a bad role") {
    const std::string root = step::test::make_temp_dir("agent-signal");
    StepdProcess node(root);
    REQUIRE(node.start());
    const step::test::WalletCli cli(node, root);
    REQUIRE(cli.run({"key", "new", "v"}).exit_code == 0);
    const std::string data = std::string(STEP_SOURCE_DIR) + "/tests/fixtures/mnist-train-500.rec";
    CHECK(cli.run({"agent", "--role", "miner", "--data", data}).exit_code == 2);
    CHECK(cli.run({"agent", "--role", "solver", "--backend", "gpu"}).exit_code == 2);
    const std::string log = root + "/agent.log";
    const pid_t pid = cli.spawn({"agent", "--role", "verifier", "--data", data, "--poll-ms", "50"}, log);
    // Wait for its first line, so the signal meets the running loop, not the start-up.
    for (int i = 0; i < 200 && read_file(log).find("\"started\"") == std::string::npos; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    REQUIRE(read_file(log).find("\"started\"") != std::string::npos);
    ::kill(pid, SIGTERM);
    CHECK(reap(pid, std::chrono::seconds(10)) == 0);
    CHECK(read_file(log).find("\"stopped\"") != std::string::npos);
    node.stop(SIGTERM);
    std::filesystem::remove_all(root);
}

#endif  // STEP_HAVE_WALLET
