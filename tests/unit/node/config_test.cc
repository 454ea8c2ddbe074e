#include <catch2/catch.hpp>

#include "node/config.h"
#include "node/net/errors.h"
#include "node/errors.h"
#include "tests/support/status_check.h"

using namespace step::node;

namespace {

ConfigInputs inputs(std::vector<std::string> args, std::map<std::string, std::string> env = {},
                    std::map<std::string, std::string> files = {}) {
    ConfigInputs in;
    in.args = std::move(args);
    in.env = std::move(env);
    in.env.emplace("HOME", "/home/alice");
    in.read_file = [files](const std::string& path) -> std::optional<std::string> {
        auto it = files.find(path);
        if (it == files.end()) return std::nullopt;
        return it->second;
    };
    return in;
}

}  // namespace

TEST_CASE("config defaults derive datadir and port from the network") {
    auto cfg = resolve_config(inputs({}));
    REQUIRE(cfg.ok());
    CHECK(cfg->network == "devnet");
    CHECK(cfg->datadir == "/home/alice/.stepchain/devnet");
    CHECK(cfg->rpc_host == "127.0.0.1");
    CHECK(cfg->rpc_port == 18443);
    CHECK_FALSE(cfg->mine);

    auto testnet = resolve_config(inputs({"--network", "testnet"}));
    REQUIRE(testnet.ok());
    CHECK(testnet->datadir == "/home/alice/.stepchain/testnet");
    CHECK(testnet->rpc_port == 28443);
    auto mainnet = resolve_config(inputs({"--network=mainnet"}));
    REQUIRE(mainnet.ok());
    CHECK(mainnet->rpc_port == 8443);
}

TEST_CASE("config precedence is flags over environment over file over defaults") {
    const std::string file = "network = testnet\nmine = true\nminer-address = step1file\n"
                             "rpc-bind = 0.0.0.0:1000 # comment\nlog-level = debug\n";
    std::map<std::string, std::string> files = {{"/etc/stepd.conf", file}};

    // File alone overrides defaults.
    auto a = resolve_config(inputs({"--config", "/etc/stepd.conf"}, {}, files));
    REQUIRE(a.ok());
    CHECK(a->network == "testnet");
    CHECK(a->mine);
    CHECK(a->miner_address == "step1file");
    CHECK(a->rpc_host == "0.0.0.0");
    CHECK(a->rpc_port == 1000);
    CHECK(a->log_level == LogLevel::kDebug);
    CHECK(a->config_file == "/etc/stepd.conf");

    // Environment overrides the file; STEPD_CONFIG names the file.
    auto b = resolve_config(inputs({}, {{"STEPD_CONFIG", "/etc/stepd.conf"}, {"STEPD_MINE", "0"},
                                        {"STEPD_MINER_ADDRESS", "step1env"}, {"STEPD_RPC_BIND", "127.0.0.1:2000"}},
                                   files));
    REQUIRE(b.ok());
    CHECK(b->network == "testnet");
    CHECK_FALSE(b->mine);
    CHECK(b->miner_address == "step1env");
    CHECK(b->rpc_port == 2000);

    // Flags override both.
    auto c = resolve_config(inputs({"--config=/etc/stepd.conf", "--mine=false", "--miner-address", "step1flag",
                                    "--network", "devnet", "--datadir", "/tmp/x"},
                                   {{"STEPD_MINE", "1"}, {"STEPD_MINER_ADDRESS", "step1env"}}, files));
    REQUIRE(c.ok());
    CHECK(c->network == "devnet");
    CHECK_FALSE(c->mine);
    CHECK(c->miner_address == "step1flag");
    CHECK(c->datadir == "/tmp/x");
    CHECK(c->rpc_port == 1000);  // from the file: nothing above it names a port

    // A bare boolean flag means true.
    auto d = resolve_config(inputs({"--mine"}, {{"STEPD_MINE", "false"}}));
    REQUIRE(d.ok());
    CHECK(d->mine);
}

TEST_CASE("config rejects bad input with specific codes") {
    CHECK(resolve_config(inputs({"--bogus", "1"})).status() == step::node::codes::kUnknownOption);
    CHECK(resolve_config(inputs({"stray"})).status() == step::node::codes::kUnknownOption);
    CHECK(resolve_config(inputs({"--datadir"})).status() == step::node::codes::kMissingValue);
    CHECK(resolve_config(inputs({"--network", "moonnet"})).status() == step::node::codes::kBadNetwork);
    CHECK(resolve_config(inputs({"--rpc-bind", "127.0.0.1:99999"})).status() == step::node::codes::kBadRpcBind);
    CHECK(resolve_config(inputs({"--rpc-bind", "127.0.0.1:"})).status() == step::node::codes::kBadRpcBind);
    CHECK(resolve_config(inputs({"--log-level", "loud"})).status() == step::node::codes::kBadLogLevel);
    CHECK(resolve_config(inputs({"--mine=maybe"})).status() == step::node::codes::kBadBool);
    CHECK(resolve_config(inputs({"--config", "/missing"})).status() == step::node::codes::kBadConfigFile);
    CHECK(resolve_config(inputs({"--config", "/f"}, {}, {{"/f", "color = blue\n"}})).status() ==
          step::node::codes::kBadConfigFile);
    CHECK(resolve_config(inputs({"--config", "/f"}, {}, {{"/f", "just words\n"}})).status() ==
          step::node::codes::kBadConfigFile);

    ConfigInputs no_home;
    CHECK(resolve_config(no_home).status() == step::node::codes::kNoDatadir);
}

TEST_CASE("config file parser skips comments and blank lines") {
    auto parsed = parse_config_text("# header\n\n  network =  testnet  \nmine=1\n");
    REQUIRE(parsed.ok());
    CHECK(parsed->size() == 2);
    CHECK(parsed->at("network") == "testnet");
    CHECK(parsed->at("mine") == "1");
    auto bad = parse_config_text("network = devnet\nconfig = /x\n");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.status().message().find("line 2") != std::string::npos);
}

TEST_CASE("boolean flags take a bare form, --key=value and --key value") {
    auto spaced = resolve_config(inputs({"--debug-log", "false", "--network", "testnet"}));
    REQUIRE(spaced.ok());
    CHECK_FALSE(spaced->debug_log);
    CHECK(spaced->network == "testnet");
    auto eq = resolve_config(inputs({"--debug-log=no"}));
    REQUIRE(eq.ok());
    CHECK_FALSE(eq->debug_log);
    // A bare boolean followed by another flag stays true and leaves that flag alone.
    auto bare = resolve_config(inputs({"--mine", "--miner-address", "step1xyz", "--debug-log"}));
    REQUIRE(bare.ok());
    CHECK(bare->mine);
    CHECK(bare->debug_log);
}

TEST_CASE("blob-store-mib caps the blob store and rejects what is not a size in range") {
    auto dflt = resolve_config(inputs({}));
    REQUIRE(dflt.ok());
    CHECK_FALSE(dflt->blob_store_mib.has_value());
    auto flag = resolve_config(inputs({"--blob-store-mib", "512"}));
    REQUIRE(flag.ok());
    CHECK(flag->blob_store_mib == 512u);
    auto env = resolve_config(inputs({}, {{"STEPD_BLOB_STORE_MIB", "1024"}}));
    REQUIRE(env.ok());
    CHECK(env->blob_store_mib == 1024u);
    for (const char* bad : {"63", "-1", "12x", "", "1099511627777"})
        CHECK(resolve_config(inputs({std::string("--blob-store-mib=") + bad})).status() ==
              step::node::codes::kBadBlobStoreMib);
}

TEST_CASE("mock-time fixes the chain's clock on devnet only") {
    auto dflt = resolve_config(inputs({}));
    REQUIRE(dflt.ok());
    CHECK_FALSE(dflt->mock_time.has_value());
    auto flag = resolve_config(inputs({"--mock-time", "1767225700"}));
    REQUIRE(flag.ok());
    CHECK(flag->mock_time == 1767225700u);
    for (const char* bad : {"", "-1", "12x", "18446744073709551616"})
        CHECK(resolve_config(inputs({std::string("--mock-time=") + bad})).status() ==
              step::node::codes::kBadMockTime);
    CHECK(resolve_config(inputs({"--network", "testnet", "--mock-time", "1767225700"})).status() ==
          step::node::codes::kBadMockTime);
}

// --- Peer-to-peer options ---

TEST_CASE(
    "config P2P defaults: the network's port, loopback on devnet, every interface elsewhere") {
    auto devnet = resolve_config(inputs({}));
    REQUIRE(devnet.ok());
    REQUIRE(devnet->p2p_bind);
    CHECK(*devnet->p2p_bind == step::node::net::Endpoint{"127.0.0.1", 18444});
    CHECK(devnet->connect.empty());
    CHECK(devnet->addnode.empty());
    CHECK(devnet->max_connections == step::node::p2p::kDefaultMaxConnections);
    auto testnet = resolve_config(inputs({"--network", "testnet"}));
    REQUIRE(testnet.ok());
    CHECK(*testnet->p2p_bind == step::node::net::Endpoint{"0.0.0.0", 28444});
    auto mainnet = resolve_config(inputs({"--network", "mainnet"}));
    REQUIRE(mainnet.ok());
    CHECK(*mainnet->p2p_bind == step::node::net::Endpoint{"0.0.0.0", 8444});
}

TEST_CASE("config P2P addresses go through the one endpoint parser") {
    using step::node::net::Endpoint;
    auto cfg = resolve_config(
        inputs({"--p2p-bind", "[::1]:9000", "--connect", "127.0.0.2", "--connect=127.0.0.3:7",
                "--addnode", "[::1]:8", "--max-connections", "12"}));
    REQUIRE(cfg.ok());
    CHECK(*cfg->p2p_bind == Endpoint{"::1", 9000});
    CHECK(cfg->connect == std::vector<Endpoint>{{"127.0.0.2", 18444}, {"127.0.0.3", 7}});
    CHECK(cfg->addnode == std::vector<Endpoint>{{"::1", 8}});
    CHECK(cfg->max_connections == 12);
    for (const char* bad : {"localhost:1", "127.0.0.1:0", "127.0.0.1:x", "::1:5", ""}) {
        INFO(bad);
        CHECK(resolve_config(inputs({"--connect", bad})).status() ==
              step::node::net::codes::kBadEndpoint);
        CHECK(resolve_config(inputs({"--p2p-bind", bad})).status() ==
              step::node::net::codes::kBadEndpoint);
    }
    // --rpc-bind reads the same syntax (IPv6 in brackets), keeping its own code.
    auto rpc = resolve_config(inputs({"--rpc-bind", "[::1]:7000"}));
    REQUIRE(rpc.ok());
    CHECK(rpc->rpc_host == "::1");
    CHECK(rpc->rpc_port == 7000);
    CHECK(resolve_config(inputs({"--rpc-bind", "127.0.0.1"}))->rpc_port == 18443);
    CHECK(resolve_config(inputs({"--rpc-bind", "localhost:1"})).status() == step::node::codes::kBadRpcBind);
}

TEST_CASE("config --addnode repeats as flags, config-file lines and comma-separated environment") {
    using step::node::net::Endpoint;
    const std::map<std::string, std::string> files = {
        {"/etc/stepd.conf",
         "addnode = 127.0.0.5:1\naddnode = 127.0.0.6:2\nconnect = 127.0.0.9:3\n"}};
    auto file = resolve_config(inputs({"--config", "/etc/stepd.conf"}, {}, files));
    REQUIRE(file.ok());
    CHECK(file->addnode == std::vector<Endpoint>{{"127.0.0.5", 1}, {"127.0.0.6", 2}});
    CHECK(file->connect == std::vector<Endpoint>{{"127.0.0.9", 3}});
    // The environment replaces the file's list as a whole; flags replace both.
    auto env = resolve_config(inputs({"--config", "/etc/stepd.conf"},
                                     {{"STEPD_ADDNODE", "127.0.0.7:4, 127.0.0.8"}}, files));
    REQUIRE(env.ok());
    CHECK(env->addnode == std::vector<Endpoint>{{"127.0.0.7", 4}, {"127.0.0.8", 18444}});
    CHECK(env->connect == std::vector<Endpoint>{{"127.0.0.9", 3}});
    auto flags = resolve_config(inputs({"--addnode", "127.0.0.1:5", "--addnode", "127.0.0.1:6"},
                                       {{"STEPD_ADDNODE", "127.0.0.7:4"}}));
    REQUIRE(flags.ok());
    CHECK(flags->addnode == std::vector<Endpoint>{{"127.0.0.1", 5}, {"127.0.0.1", 6}});
    // A single-valued key given twice keeps its last value, as before.
    auto twice = resolve_config(inputs({"--max-connections", "3", "--max-connections", "4"}));
    REQUIRE(twice.ok());
    CHECK(twice->max_connections == 4);
}

TEST_CASE("config --no-listen and --max-connections") {
    auto off = resolve_config(inputs({"--no-listen"}));
    REQUIRE(off.ok());
    CHECK(!off->p2p_bind);
    auto env =
        resolve_config(inputs({}, {{"STEPD_NO_LISTEN", "true"}, {"STEPD_MAX_CONNECTIONS", "0"}}));
    REQUIRE(env.ok());
    CHECK(!env->p2p_bind);
    CHECK(env->max_connections == 0);
    CHECK(resolve_config(inputs({"--no-listen", "false"}))->p2p_bind.has_value());
    for (const char* bad : {"-1", "x", "", "4097", "99999999999"}) {
        INFO(bad);
        CHECK(resolve_config(inputs({"--max-connections", bad})).status() ==
              codes::kBadMaxConnections);
    }
}

TEST_CASE("config refuses a devnet --connect or --addnode outside 127.0.0.0/8") {
    for (const char* key : {"--connect", "--addnode"}) {
        INFO(key);
        auto s = resolve_config(inputs({key, "10.0.0.1:18444"}));
        CHECK(s.status() == step::node::net::codes::kDialRefused);
        CHECK(s.status().message().find("127.0.0.0/8") != std::string::npos);
        CHECK(resolve_config(inputs({key, "127.9.9.9:18444"})).ok());
        CHECK(resolve_config(inputs({"--network", "testnet", key, "10.0.0.1:18444"})).ok());
    }
}
