// step-wallet against a real stepd: keys, generate, send, balances, tx status. Compiled only
// when the wallet part is in the tree (STEP_HAVE_WALLET, set by tests/functional/CMakeLists.txt).
#ifdef STEP_HAVE_WALLET

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "tests/functional/stepd_process.h"

using nlohmann::json;
using step::test::StepdProcess;

namespace {

struct Run {
    int exit_code = -1;
    std::string out;
};

// Runs step-wallet with HOME=home and the given arguments; captures stdout.
Run wallet(const std::string& home, std::vector<std::string> args) {
    const std::string out_path = home + "/wallet.out";
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
    Run r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::ifstream in(out_path);
    r.out.assign(std::istreambuf_iterator<char>(in), {});
    return r;
}

}  // namespace

TEST_CASE("step-wallet mines, sends and reads balances through a real stepd") {
    const std::string root = step::test::make_temp_dir("wallet");
    StepdProcess node(root);
    REQUIRE(node.start());
    const std::string rpc = "http://127.0.0.1:" + std::to_string(node.port());
    const std::string pass = root + "/pass.txt";
    {
        std::ofstream(pass) << "correct horse battery staple\n";
        std::filesystem::permissions(pass, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    }
    auto common = [&](std::vector<std::string> a) {
        a.insert(a.end(), {"--network", "devnet", "--rpc", rpc, "--cookie", node.datadir() + "/.cookie",
                           "--passphrase-file", pass, "--output", "json"});
        return wallet(root, a);
    };
    REQUIRE(common({"key", "new", "alice"}).exit_code == 0);
    REQUIRE(common({"key", "new", "bob"}).exit_code == 0);
    auto bob = common({"key", "show", "bob"});
    REQUIRE(bob.exit_code == 0);
    const std::string bob_address = json::parse(bob.out)["address"];

    REQUIRE(common({"generate", "2", "--from", "alice"}).exit_code == 0);
    CHECK(node.result("getchaininfo")["height"] == 2);
    auto sent = common({"send", bob_address, "1.5", "--from", "alice", "-y"});
    INFO(sent.out);
    REQUIRE(sent.exit_code == 0);
    const std::string txid = json::parse(sent.out)["txid"];
    CHECK(node.result("gettransaction", {{"txid", txid}})["status"] == "mempool");
    REQUIRE(common({"generate", "1", "--from", "alice"}).exit_code == 0);
    CHECK(node.result("gettransaction", {{"txid", txid}})["status"] == "confirmed");
    auto balance = common({"balance", "bob"});
    REQUIRE(balance.exit_code == 0);
    CHECK(json::parse(balance.out)["balance"] == "1.5");
    CHECK(node.result("getaccount", {{"address", bob_address}})["balance"] == "1500000000");
    node.stop(SIGTERM);
    std::filesystem::remove_all(root);
}

#endif  // STEP_HAVE_WALLET
