// Functional tests against real stepd processes (see stepd_process.h).
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <thread>

#include "common/bytes.h"
#include "common/rpc_errors.h"
#include "common/rpc_methods.h"
#include "consensus/encoding.h"
#include "consensus/keys.h"
#include "consensus/params.h"
#include "consensus/proto/chain.pb.h"
#include "consensus/transaction.h"
#include "tests/functional/stepd_process.h"
#include "tests/functional/transfers.h"
#include "tests/support/mini_http.h"
#include "consensus/errors.h"
#include "node/errors.h"
#include "tests/support/status_check.h"

using nlohmann::json;
using step::test::StepdProcess;
namespace cs = step::consensus;

namespace {

using step::test::address;
using step::test::seed_of;
using step::test::transfer_hex;

uint64_t balance(const StepdProcess& n, uint8_t who) {
    return std::stoull(n.result("getaccount", {{"address", address(who)}})["balance"].get<std::string>());
}

// Feeds blocks 1..height of `from` to `to` through submitblock.
void replay(const StepdProcess& from, const StepdProcess& to, uint64_t first, uint64_t last) {
    for (uint64_t h = first; h <= last; ++h) {
        auto block = from.result("getblock", {{"height", h}});
        auto r = to.call("submitblock", {{"block", block["hex"]}});
        INFO("height " << h << ": " << r.dump());
        REQUIRE(r.contains("result"));
    }
}

}  // namespace

TEST_CASE("stepd serves health and RPC, mines, moves balances and requires auth") {
    const std::string root = step::test::make_temp_dir("basic");
    StepdProcess node(root);
    REQUIRE(node.start());
    CHECK(step::test::http_request(node.port(), "GET", "/health/live").status == 200);

    auto info = node.result("getchaininfo");
    CHECK(info["network"] == "devnet");
    CHECK(info["height"] == 0);

    struct stat st {};
    REQUIRE(::stat((node.datadir() + "/.cookie").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);

    // Writes need the cookie: 401 and -32001 without it.
    int status = 0;
    auto denied = node.call("generate", {{"count", 1}, {"address", address(1)}}, false, &status);
    CHECK(status == 401);
    CHECK(denied["error"]["code"] == -32001);
    node.call("sendtransaction", {{"tx", transfer_hex(1, 2, 0, 1)}}, false, &status);
    CHECK(status == 401);

    auto gen = node.result("generate", {{"count", 3}, {"address", address(1)}});
    CHECK(gen["height"] == 3);
    CHECK(gen["hashes"].size() == 3);
    const uint64_t funded = balance(node, 1);
    CHECK(funded == 3 * cs::miner_subsidy_share(cs::block_subsidy(1, cs::devnet_params()), cs::devnet_params()));

    // A transfer: rejected reasons travel in error.data.code, a valid one is mined.
    auto rejected = node.call("sendtransaction", {{"tx", transfer_hex(1, 2, 1000, 1)}});
    CHECK(rejected["error"]["code"] == -32010);
    CHECK(rejected["error"]["data"]["code"] == name_of(step::node::codes::kNonceTooFar));
    CHECK(rejected["error"]["data"]["category"] == "policy");  // a peer is not to blame
    auto poor = node.call("sendtransaction", {{"tx", transfer_hex(4, 2, 0, 1)}});
    CHECK(poor["error"]["data"]["code"] == name_of(step::consensus::codes::kInsufficientFunds));
    CHECK(poor["error"]["data"]["category"] == "consensus");
    CHECK(node.call("sendtransaction", {{"tx", "zz"}})["error"]["code"] == -32602);

    auto sent = node.result("sendtransaction", {{"tx", transfer_hex(1, 2, 0, 123'456)}});
    const std::string txid = sent["txid"];
    CHECK(node.result("gettransaction", {{"txid", txid}})["status"] == "mempool");
    CHECK(node.result("getaccount", {{"address", address(1)}})["next_nonce"] == 1);
    CHECK(node.result("getmempoolinfo")["size"] == 1);
    node.result("generate", {{"count", 1}, {"address", address(3)}});
    auto confirmed = node.result("gettransaction", {{"txid", txid}});
    CHECK(confirmed["status"] == "confirmed");
    CHECK(confirmed["height"] == 4);
    CHECK(confirmed["tx"]["payload"]["type"] == "transfer");
    CHECK(balance(node, 2) == 123'456);
    CHECK(balance(node, 1) == funded - 123'456 - cs::devnet_params().min_fee);
    auto block = node.result("getblock", {{"height", 4}});
    CHECK(block["txs"].size() == 1);
    CHECK(block["header"]["miner"] == address(3));
    CHECK(node.call("getblock", {{"height", 99}})["error"]["code"] == -32011);
    CHECK(node.call("nosuchmethod", json::object())["error"]["code"] == -32601);

    auto proof = node.result("getstateproof", {{"address", address(2)}});
    CHECK(proof["value"].is_string());
    CHECK(proof["state_root"] == node.result("getchaininfo")["state_root"]);

    auto metrics = step::test::http_request(node.port(), "GET", "/metrics");
    CHECK(metrics.status == 200);
    CHECK(metrics.body.find("stepd_chain_height 4") != std::string::npos);

    // A second stepd cannot share the datadir.
    StepdProcess intruder(root);
    CHECK_FALSE(intruder.start());

    // Clean shutdown on SIGTERM: exit 0, cookie removed.
    const int wstatus = node.stop(SIGTERM);
    CHECK(WIFEXITED(wstatus));
    CHECK(WEXITSTATUS(wstatus) == 0);
    CHECK_FALSE(std::filesystem::exists(node.datadir() + "/.cookie"));
    std::filesystem::remove_all(root);
}

// SIGKILL a node while `generate` imports blocks, many times; every restart must come back on a
// consistent tip (stepd refuses to start when the stored state does not match the tip's state
// root), and at the end the node's whole stored state must equal a clean replay of its own
// chain on a fresh node.
TEST_CASE("stepd killed during block import restarts consistent with a clean replay") {
    const std::string root_a = step::test::make_temp_dir("crash-a");
    const std::string root_b = step::test::make_temp_dir("crash-b");
    StepdProcess a(root_a);
    // Fixed by default so a failure replays; STEP_CRASH_SEED explores other schedules.
    const char* seed_env = std::getenv("STEP_CRASH_SEED");
    const unsigned seed = seed_env ? static_cast<unsigned>(std::strtoul(seed_env, nullptr, 10)) : 20261125u;
    INFO("delay seed " << seed);
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> delay_ms(5, 120);

    uint64_t last_height = 0;
    int interrupted = 0;  // generate calls cut off by the kill (no response)
    for (int i = 0; i < 20; ++i) {
        REQUIRE(a.start());
        auto info = a.result("getchaininfo");
        const uint64_t height = info["height"];
        CHECK(height >= last_height);  // nothing that was committed is lost
        auto tip = a.result("getblock", {{"hash", info["best_hash"]}});
        CHECK(tip["header"]["state_root"] == info["state_root"]);
        last_height = height;

        json response;
        std::thread importer([&] { response = a.call("generate", {{"count", 400}, {"address", address(1 + i % 3)}}); });
        std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
        a.stop(SIGKILL);
        importer.join();
        if (response.is_null()) ++interrupted;
    }
    // 400 blocks take far longer than the longest delay: the kills land mid-import.
    CHECK(interrupted > 0);

    REQUIRE(a.start());
    const auto info = a.result("getchaininfo");
    const uint64_t height = info["height"];
    REQUIRE(height > 0);
    StepdProcess b(root_b);
    REQUIRE(b.start());
    replay(a, b, 1, height);
    const auto hash_a = a.result(step::rpc::kGetStateHash);
    const auto hash_b = b.result(step::rpc::kGetStateHash);
    CHECK(hash_a["best_hash"] == hash_b["best_hash"]);
    CHECK(hash_a["state_hash"] == hash_b["state_hash"]);
    CHECK(hash_a["entries"] == hash_b["entries"]);
    // Reading all state under the chain lock is the operator's call alone.
    CHECK(a.call(step::rpc::kGetStateHash, json::object(), false)["error"]["code"] == step::rpc::kErrUnauthorized);
    CHECK(b.result("getchaininfo")["state_root"] == info["state_root"]);
    a.stop(SIGTERM);
    b.stop(SIGTERM);
    std::filesystem::remove_all(root_a);
    std::filesystem::remove_all(root_b);
}

TEST_CASE("stepd reorganises to a heavier branch submitted over RPC") {
    const std::string root_a = step::test::make_temp_dir("reorg-a");
    const std::string root_b = step::test::make_temp_dir("reorg-b");
    StepdProcess a(root_a), b(root_b);
    REQUIRE(a.start());
    REQUIRE(b.start());

    // Shared block 1 funds address 1; then A confirms a transfer in its own block 2.
    a.result("generate", {{"count", 1}, {"address", address(1)}});
    replay(a, b, 1, 1);
    const std::string txid = a.result("sendtransaction", {{"tx", transfer_hex(1, 2, 0, 5'000)}})["txid"];
    a.result("generate", {{"count", 1}, {"address", address(5)}});
    CHECK(balance(a, 2) == 5'000);

    // B mines a longer branch from block 1.
    b.result("generate", {{"count", 3}, {"address", address(6)}});
    replay(b, a, 2, 4);
    CHECK(a.result("getchaininfo")["best_hash"] == b.result("getchaininfo")["best_hash"]);
    CHECK(balance(a, 2) == 0);
    CHECK(a.result("gettransaction", {{"txid", txid}})["status"] == "mempool");
    CHECK(a.result(step::rpc::kGetStateHash)["state_hash"] == b.result(step::rpc::kGetStateHash)["state_hash"]);

    // A mines the returned transaction on top of the new chain.
    a.result("generate", {{"count", 1}, {"address", address(5)}});
    CHECK(a.result("gettransaction", {{"txid", txid}})["status"] == "confirmed");
    CHECK(balance(a, 2) == 5'000);

    // A tampered block is refused with the consensus reason.
    auto block = a.result("getblock", {{"height", 5}});
    std::string hex = block["hex"];
    hex[hex.size() - 1] = hex[hex.size() - 1] == '0' ? '1' : '0';
    auto r = b.call("submitblock", {{"block", hex}});
    CHECK(r["error"]["code"] == -32013);
    CHECK(r["error"].contains("data"));
    a.stop(SIGTERM);
    b.stop(SIGTERM);
    std::filesystem::remove_all(root_a);
    std::filesystem::remove_all(root_b);
}
