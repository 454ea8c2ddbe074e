#include <catch2/catch.hpp>

#include "wallet/cli_args.h"
#include "wallet/errors.h"
#include "tests/support/status_check.h"

using namespace step::wallet;

static Invocation parse_ok(std::vector<std::string> args) {
    auto r = parse_command_line(args);
    INFO(r.status().to_string());
    REQUIRE(r.ok());
    return *r;
}

TEST_CASE("options are accepted before or after the subcommand") {
    Invocation before = parse_ok({"--network", "testnet", "--output=json", "-y", "send", "bob", "1.5"});
    Invocation after = parse_ok({"send", "bob", "1.5", "--network=testnet", "--output", "json", "-y"});
    Invocation middle = parse_ok({"send", "--network", "testnet", "bob", "--output=json", "1.5", "--yes"});
    for (const Invocation* inv : {&before, &after, &middle}) {
        CHECK(inv->words == std::vector<std::string>{"send", "bob", "1.5"});
        CHECK(inv->options.network == Network::kTestnet);
        CHECK(inv->options.output == OutputFormat::kJson);
        CHECK(inv->options.yes);
    }
}

TEST_CASE("every value option is stored") {
    Invocation inv = parse_ok({"--rpc", "http://h:1", "--wallet-dir", "/w", "--cookie", "/c",
                               "--passphrase-file", "/p", "--from", "alice", "--fee", "0.01",
                               "balance"});
    CHECK(*inv.options.rpc_url == "http://h:1");
    CHECK(*inv.options.wallet_dir == "/w");
    CHECK(*inv.options.cookie_file == "/c");
    CHECK(*inv.options.passphrase_file == "/p");
    CHECK(*inv.options.from == "alice");
    CHECK(*inv.options.fee == "0.01");
    CHECK(inv.options.network == Network::kDevnet);
    CHECK(inv.options.output == OutputFormat::kText);
    CHECK_FALSE(inv.options.yes);
}

TEST_CASE("the agent's options are stored, before or after the command") {
    Invocation inv = parse_ok({"--role", "solver", "agent", "--data=/d.rec", "--state-dir", "/s",
                               "--poll-ms", "100", "--exit-when-idle", "--backend", "cpu"});
    CHECK(inv.words == std::vector<std::string>{"agent"});
    CHECK(*inv.options.role == "solver");
    CHECK(*inv.options.data_file == "/d.rec");
    CHECK(*inv.options.state_dir == "/s");
    CHECK(*inv.options.poll_ms == "100");
    CHECK(inv.options.exit_when_idle);
    CHECK(*inv.options.backend == "cpu");
    CHECK_FALSE(parse_ok({"agent"}).options.exit_when_idle);
    CHECK(parse_command_line({"agent", "--role"}).status() == step::wallet::codes::kUsage);
}

TEST_CASE("task model's sampling options are stored") {
    Invocation inv = parse_ok({"task", "model", "--sample", "64", "ID", "OUT", "--prompt=And God",
                               "--temperature", "0.8", "--seed", "7"});
    CHECK(inv.words == std::vector<std::string>{"task", "model", "ID", "OUT"});
    CHECK(*inv.options.sample == "64");
    CHECK(*inv.options.prompt == "And God");
    CHECK(*inv.options.temperature == "0.8");
    CHECK(*inv.options.seed == "7");
    CHECK(parse_command_line({"task", "--sample"}).status() == step::wallet::codes::kUsage);
}

TEST_CASE("negative numbers stay positional and -- ends options") {
    CHECK(parse_ok({"send", "bob", "-5"}).words == std::vector<std::string>{"send", "bob", "-5"});
    CHECK(parse_ok({"key", "new", "--", "--odd"}).words ==
          std::vector<std::string>{"key", "new", "--odd"});
}

TEST_CASE("usage errors: unknown options, missing values, bad enums") {
    for (auto args : std::vector<std::vector<std::string>>{
             {"--bogus"}, {"balance", "--rpc"}, {"--network", "regtest"}, {"--output", "xml"},
             {"-q"}, {"-y=1"}}) {
        auto r = parse_command_line(args);
        REQUIRE_FALSE(r.ok());
        CHECK(r.status() == step::wallet::codes::kUsage);
    }
}
