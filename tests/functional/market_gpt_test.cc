// A GPT through the market (issue 14): the agents and chain of market_agents_test.cc with a tiny
// byte-level GPT task on the committed KJV fixture (market_helpers.h gpt_spec). The owner's model
// is checked bit for bit against step-train run locally on the same spec. Its forged-segment
// twin is adversary case 1g (adversary_test.cc).
#ifdef STEP_HAVE_WALLET

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <string>

#include "consensus/market_state.h"
#include "tests/functional/market_devnet.h"
#include "tests/functional/market_helpers.h"
#include "tests/unit/wallet/task_spec_file.h"
#include "tests/unit/wallet/temp_dir.h"
#include "wallet/agent_events.h"

namespace {

using nlohmann::json;
using step::test::count_code;
using step::test::events;
using step::test::read_file;
using step::test::reap;
namespace ev = step::wallet::agent_events;
namespace reasons = step::consensus::reasons;

// step-train SPEC run here, its final model to `model_path`: its JSON summary line.
json step_train(const std::string& spec, const std::string& model_path, const std::string& log) {
    const char* bin_dir = std::getenv("STEP_BIN_DIR");
    const std::string cmd = std::string(bin_dir ? bin_dir : STEP_BINARY_DIR "/bin") +
                            "/step-train " + spec +
                            " --threads 1 --quiet --output json --checkpoint " + model_path + " >" +
                            log + " 2>" + log + ".err";
    INFO(cmd << "\n" << read_file(log + ".err"));
    REQUIRE(std::system(cmd.c_str()) == 0);
    return json::parse(read_file(log));
}

}  // namespace

TEST_CASE("the solver and verifier agents train a GPT task to the end: the model is step-train's") {
    step::test::MarketDevnet net;
    // 2 rounds x 2 units of 8 steps of gpt{256,64,2,16,2}, L = 2, C = 4, V = Q = 2.
    const auto spec = step::test::gpt_spec();
    net.set_up(spec);
    const std::string solver_log = net.root + "/solver.log",
                      verifier_log = net.root + "/verifier.log";
    const pid_t solver = net.agent("solver", solver_log);
    const pid_t verifier = net.agent("verifier", verifier_log);
    int blocks = 0;
    const auto t0 = std::chrono::steady_clock::now();
    const json progress = net.drive(150, &blocks);
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    WARN("GPT task done after " << blocks << " blocks, " << secs << " s");
    INFO("solver log:\n"
         << read_file(solver_log) << "\nverifier log:\n"
         << read_file(verifier_log));
    REQUIRE(progress["done"] == true);
    CHECK(progress["units_final"] == 4);
    CHECK(reap(solver, std::chrono::seconds(20)) == 0);
    CHECK(reap(verifier, std::chrono::seconds(20)) == 0);

    const json solver_ledger = net.node().result("getledger", {{"address", net.addr["solver"]}});
    const json verifier_ledger =
        net.node().result("getledger", {{"address", net.addr["verifier"]}});
    CHECK(count_code(solver_ledger, reasons::kUnitPay) == 4);
    CHECK(count_code(verifier_ledger, reasons::kAuditFee) == 4);
    CHECK(count_code(verifier_ledger, reasons::kAuditMissed) == 0);
    for (const std::string& log : {solver_log, verifier_log})
        CHECK(events(log).count(ev::kError) == 0);

    // The owner's model (the mean of round 1's final states, from the blob store) is, bit for
    // bit, what step-train computes from the same spec, and evaluates to the same loss.
    const std::string chain_model = net.root + "/model.state",
                      local_model = net.root + "/local.state";
    const std::string validation = step::test::gpt_spec().at("data.test");
    const auto fetched = net.wallet(
        {"task", "model", net.task_id, chain_model, validation.substr(1, validation.size() - 2)});
    INFO(fetched.out);
    REQUIRE(fetched.exit_code == 0);
    step::wallet::testing::TempDir dir;
    const json local = step_train(step::wallet::testing::write_spec(dir, spec), local_model,
                                  net.root + "/train.log");
    CHECK(local["steps"] == 16);
    const std::string a = read_file(chain_model), b = read_file(local_model);
    REQUIRE_FALSE(a.empty());
    CHECK(a == b);
    CHECK(json::parse(fetched.out)["test"]["loss"] == local["test_loss"]);
}

#endif  // STEP_HAVE_WALLET
