// step-wallet against a real stepd: keys, generate, send, balances, tx status. Compiled only
// when the wallet part is in the tree (STEP_HAVE_WALLET, set by tests/functional/CMakeLists.txt).
#ifdef STEP_HAVE_WALLET

#include <csignal>

#include <catch2/catch.hpp>
#include <filesystem>

#include "tests/functional/stepd_process.h"
#include "tests/functional/wallet_cli.h"

using nlohmann::json;
using step::test::StepdProcess;

TEST_CASE("step-wallet mines, sends and reads balances through a real stepd") {
    const std::string root = step::test::make_temp_dir("wallet");
    StepdProcess node(root);
    REQUIRE(node.start());
    const step::test::WalletCli cli(node, root);
    auto common = [&](std::vector<std::string> a) { return cli.run(std::move(a)); };
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
