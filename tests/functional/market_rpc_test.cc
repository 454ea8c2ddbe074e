// A task submitted with step-wallet through a real stepd, then read back with the market RPC
// methods: the wallet's task id names the chain's task, its escrow and its units.
#ifdef STEP_HAVE_WALLET

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "tests/functional/stepd_process.h"
#include "tests/unit/wallet/task_spec_file.h"

using nlohmann::json;
using step::test::StepdProcess;

namespace {

// Runs step-wallet with HOME=home; returns its exit code and stdout.
std::pair<int, std::string> run_wallet_process(const std::string& home, std::vector<std::string> args) {
    const std::string out_path = home + "/wallet-market.out";
    const char* bin_dir = std::getenv("STEP_BIN_DIR");
    args.insert(args.begin(), std::string(bin_dir ? bin_dir : STEP_BINARY_DIR "/bin") + "/step-wallet");
    pid_t pid = ::fork();
    if (pid == 0) {
        if (!std::freopen(out_path.c_str(), "w", stdout)) ::_exit(126);
        ::setenv("HOME", home.c_str(), 1);
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    std::ifstream in(out_path);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1,
            std::string(std::istreambuf_iterator<char>(in), {})};
}

}  // namespace

TEST_CASE("a task submitted with step-wallet reads back through stepd's market RPC") {
    const std::string root = step::test::make_temp_dir("market");
    StepdProcess node(root);
    REQUIRE(node.start());
    const std::string rpc = "http://127.0.0.1:" + std::to_string(node.port());
    const std::string pass = root + "/pass.txt";
    {
        std::ofstream(pass) << "correct horse battery staple\n";
        std::filesystem::permissions(pass, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    }
    auto wallet = [&](std::vector<std::string> a) {
        a.insert(a.end(), {"--network", "devnet", "--rpc", rpc, "--cookie", node.datadir() + "/.cookie",
                           "--passphrase-file", pass, "--output", "json"});
        return run_wallet_process(root, a);
    };
    REQUIRE(wallet({"key", "new", "owner"}).first == 0);
    const std::string owner = json::parse(wallet({"key", "show", "owner"}).second)["address"];
    REQUIRE(wallet({"generate", "2"}).first == 0);

    step::wallet::testing::TempDir specs;
    const auto submitted = wallet({"task", "submit", step::wallet::testing::write_spec(specs), "-y"});
    INFO(submitted.second);
    REQUIRE(submitted.first == 0);
    const std::string task_id = json::parse(submitted.second)["task_id"];
    REQUIRE(wallet({"generate", "1"}).first == 0);

    const json task = node.result("gettask", {{"task_id", task_id}});
    CHECK(task["owner"] == owner);
    CHECK(task["budget"] == "4000000000");
    CHECK(task["escrow"] == "4000000000");
    CHECK(task["rounds"] == 2);
    const json progress = node.result("gettaskprogress", {{"task_id", task_id}});
    CHECK(progress["units_total"] == 4);
    CHECK(progress["units_by_status"]["open"] == 4);
    CHECK(progress["current_round"] == 0);
    const json unit = node.result("getunit", {{"task_id", task_id}, {"round", 1}, {"unit", 1}});
    CHECK(unit["status"] == "open");
    const json ledger = node.result("getledger", {{"address", owner}});
    REQUIRE(ledger["entries"].size() == 1);
    CHECK(ledger["entries"][0]["code"] == "task-escrow");
    CHECK(ledger["entries"][0]["task_id"] == task_id);
    CHECK(node.call("gettask", {{"task_id", std::string(64, '0')}}, false)["error"]["code"] == -32011);
    node.stop(SIGTERM);
    std::filesystem::remove_all(root);
}

#endif  // STEP_HAVE_WALLET
