#include <catch2/catch.hpp>

#include "wallet/paths.h"
#include "wallet/errors.h"
#include "tests/support/status_check.h"

using namespace step::wallet;

TEST_CASE("default wallet and cookie paths derive from HOME and the network") {
    CHECK(*default_wallet_dir(std::string("/home/a"), Network::kDevnet) ==
          "/home/a/.stepchain/wallet/devnet");
    CHECK(*default_wallet_dir(std::string("/home/a"), Network::kMainnet) ==
          "/home/a/.stepchain/wallet/mainnet");
    CHECK(*default_cookie_path(std::string("/home/a"), Network::kTestnet) ==
          "/home/a/.stepchain/testnet/.cookie");
}

TEST_CASE("two HOMEs never share a wallet dir or a cookie") {
    for (Network n : {Network::kDevnet, Network::kTestnet, Network::kMainnet}) {
        CHECK(*default_wallet_dir(std::string("/tmp/h1"), n) !=
              *default_wallet_dir(std::string("/tmp/h2"), n));
        CHECK(*default_cookie_path(std::string("/tmp/h1"), n) !=
              *default_cookie_path(std::string("/tmp/h2"), n));
    }
}

TEST_CASE("the wallet dir sits outside the node datadir") {
    // Wiping $HOME/.stepchain/<network> (the node's datadir) must not delete keys.
    std::string wallet = *default_wallet_dir(std::string("/h"), Network::kDevnet);
    CHECK(wallet.rfind("/h/.stepchain/devnet/", 0) != 0);
}

TEST_CASE("an unset HOME is an error naming the option to use instead") {
    auto w = default_wallet_dir(std::nullopt, Network::kDevnet);
    REQUIRE_FALSE(w.ok());
    CHECK(w.status() == step::wallet::codes::kHomeUnset);
    CHECK(w.status().message().find("--wallet-dir") != std::string::npos);
    auto c = default_cookie_path(std::nullopt, Network::kDevnet);
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().message().find("--cookie") != std::string::npos);
}

TEST_CASE("default RPC URLs use each network's port") {
    CHECK(default_rpc_url(Network::kDevnet) == "http://127.0.0.1:18443");
    CHECK(default_rpc_url(Network::kTestnet) == "http://127.0.0.1:28443");
    CHECK(default_rpc_url(Network::kMainnet) == "http://127.0.0.1:8443");
}
