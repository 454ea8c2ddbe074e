// The single-node market bed of the agents' functional tests (market_agents_test.cc,
// market_owner_test.cc): a devnet stepd, keys for each party, a submitted task, agents as child
// processes, and a pace of blocks.
#pragma once

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "common/hash.h"
#include "consensus/keys.h"
#include "tests/functional/market_helpers.h"
#include "tests/functional/stepd_process.h"
#include "tests/functional/wallet_cli.h"
#include "tests/unit/wallet/task_spec_file.h"
#include "wallet/agent_events.h"

namespace step::test {


// A devnet node with an owner, a bonded solver and a bonded verifier (keys in one HOME), and a
// submitted task in a block. The node either mines on its own (`mining`, to the owner) or the
// test mines with `generate`.
struct MarketDevnet {
    using json = nlohmann::json;

    std::string root = step::test::make_temp_dir("agents");
    std::unique_ptr<StepdProcess> node_ptr;
    std::unique_ptr<step::test::WalletCli> cli;
    std::map<std::string, std::string> addr;
    std::string task_id;
    // The training records the agents read (--data): set_up takes a spec edit "data.train".
    std::string data = std::string(STEP_SOURCE_DIR) + "/tests/fixtures/mnist-train-500.rec";
    bool mining = false;
    // Set before set_up for a seeded bed (the adversary suite): keys from fixed seeds and a node
    // on --mock-time, so the chain up to the agents' first action is the same on every run.
    std::optional<uint64_t> mock_time;
    std::vector<std::string> extra_verifiers;  // bonded like "verifier"
    std::vector<std::string> extra_keys;       // funded, no bond (a challenger, a miner)
    std::string miner = "owner";               // the key drive() mines to
    std::vector<pid_t> agents;  // spawned, reaped by the test or by the destructor
    std::vector<std::string> agent_logs;  // their logs, in spawn order

    StepdProcess& node() const { return *node_ptr; }
    step::test::WalletRun wallet(std::vector<std::string> a) const { return cli->run(std::move(a)); }

    uint64_t balance(const std::string& who) const {
        const json a = node().result("getaccount", {{"address", addr.at(who)}});
        return std::stoull(a["balance"].get<std::string>());
    }

    // Waits (bounded) for the mining node to include what is pending.
    void wait_until(const std::function<bool()>& done) const {
        for (int i = 0; i < 600 && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        REQUIRE(done());
    }

    void set_up(const std::map<std::string, std::string>& spec_edits = {}, bool mine = false,
                const std::vector<std::string>& extra_solvers = {}) {
        mining = mine;
        if (auto train = spec_edits.find("data.train"); train != spec_edits.end())
            data = train->second.substr(1, train->second.size() - 2);  // a quoted TOML string
        {
            // Keys first (no node needed): a mining node needs the owner's address at start.
            StepdProcess unstarted(root);
            const step::test::WalletCli keys(unstarted, root);
            std::vector<std::string> names = {"owner", "solver", "verifier"};
            names.insert(names.end(), extra_solvers.begin(), extra_solvers.end());
            names.insert(names.end(), extra_verifiers.begin(), extra_verifiers.end());
            names.insert(names.end(), extra_keys.begin(), extra_keys.end());
            for (const std::string& name : names) {
                REQUIRE(new_key(keys, name));
                addr[name] = json::parse(keys.run({"key", "show", name}).out)["address"];
            }
        }
        std::vector<std::string> args;
        if (mine) args = {"--mine", "--miner-address", addr["owner"]};
        if (mock_time) args.insert(args.end(), {"--mock-time", std::to_string(*mock_time)});
        node_ptr = std::make_unique<StepdProcess>(root, args);
        REQUIRE(node().start());
        cli = std::make_unique<step::test::WalletCli>(node(), root);
        if (mine) {
            wait_until([&] { return balance("owner") >= 60 * 1000000000ull; });
            REQUIRE(wallet({"send", "solver", "25", "--from", "owner", "-y"}).exit_code == 0);
            REQUIRE(wallet({"send", "verifier", "25", "--from", "owner", "-y"}).exit_code == 0);
            wait_until([&] { return balance("verifier") > 0 && balance("solver") > 0; });
        } else {
            for (const auto& [name, address] : addr)
                REQUIRE(wallet({"generate", "3", "--from", name}).exit_code == 0);
        }
        REQUIRE(wallet({"bond", "solver", "20", "--from", "solver", "-y"}).exit_code == 0);
        for (const std::string& name : extra_solvers)
            REQUIRE(wallet({"bond", "solver", "20", "--from", name, "-y"}).exit_code == 0);
        REQUIRE(wallet({"bond", "verifier", "20", "--from", "verifier", "-y"}).exit_code == 0);
        for (const std::string& name : extra_verifiers)
            REQUIRE(wallet({"bond", "verifier", "20", "--from", name, "-y"}).exit_code == 0);
        step::wallet::testing::TempDir specs;
        const auto submitted =
            wallet({"task", "submit", step::wallet::testing::write_spec(specs, spec_edits), "-y", "--from", "owner"});
        INFO(submitted.out);
        REQUIRE(submitted.exit_code == 0);
        task_id = json::parse(submitted.out)["task_id"];
        if (mine) {
            wait_until([&] { return node().call("gettask", {{"task_id", task_id}}, false).contains("result"); });
        } else {
            REQUIRE(wallet({"generate", "1"}).exit_code == 0);
        }
    }

    // `with_data`: pass --data; without it the agent fetches the dataset through the node.
    // `deviation`: step-deviant's options (tests/adversary): the agent runs with that deviation.
    // `extra`: more options (e.g. --fee).
    pid_t agent(const std::string& role, const std::string& log, const std::string& key = "",
                bool with_data = true, const std::vector<std::string>& deviation = {},
                const std::vector<std::string>& extra = {}) {
        const std::string from = key.empty() ? role : key;
        std::vector<std::string> args = deviation;
        args.insert(args.end(), {"agent", "--role", role, "--from", from, "--state-dir",
                                 root + "/" + from + "-state", "--poll-ms", "100", "--exit-when-idle"});
        if (with_data) args.insert(args.end(), {"--data", data});
        args.insert(args.end(), extra.begin(), extra.end());
        const pid_t pid = cli->spawn(args, log, deviation.empty() ? "step-wallet" : "step-deviant");
        agent_logs.push_back(log);
        agents.push_back(pid);
        return pid;
    }

    // Until the task is done or `limit` blocks (the test then fails rather than hangs): the test
    // mines one block every 400 ms, or with a mining node waits for the next block.
    // `before_block` may pause the pace. Returns the last progress.
    json drive(int limit, int* blocks, const std::function<void()>& before_block = {}) const {
        // Every agent polls before the first block: one still loading its key on a loaded machine
        // would miss 2-block windows, or find every unit claimed by another.
        for (const std::string& log : agent_logs)
            wait_until([&] { return events(log).count(step::wallet::agent_events::kStarted) >= 1; });
        json progress;
        for (*blocks = 0; *blocks < limit; ++*blocks) {
            progress = node().result("gettaskprogress", {{"task_id", task_id}});
            if (progress["done"] == true) break;
            if (mining) {
                const uint64_t h = progress["height"].get<uint64_t>();
                wait_until([&] { return node().result("getchaininfo")["height"].get<uint64_t>() > h; });
                continue;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(400));
            if (before_block) before_block();
            node().result("generate", {{"count", 1}, {"address", addr.at(miner)}});
        }
        return progress;
    }

    // The seed a seeded bed derives a key from (so a test can sign as any party).
    static step::consensus::SecretSeed key_seed(const std::string& name) {
        const std::string tagged = "stepchain seeded devnet key " + name;
        const step::Hash256 h = step::sha256(
            step::ByteSpan(reinterpret_cast<const uint8_t*>(tagged.data()), tagged.size()));
        step::consensus::SecretSeed seed{};
        std::copy(h.begin(), h.end(), seed.begin());
        return seed;
    }

    // A seeded bed imports each key from key_seed(name); otherwise a fresh key.
    bool new_key(const step::test::WalletCli& keys, const std::string& name) const {
        if (!mock_time) return keys.run({"key", "new", name}).exit_code == 0;
        const std::string file = root + "/" + name + ".seed";
        std::ofstream(file) << step::to_hex(key_seed(name)) << "\n";
        return keys.run({"key", "import", name, file}).exit_code == 0;
    }

    ~MarketDevnet() {
        step::test::kill_unreaped(agents);
        if (node_ptr && node_ptr->running()) node_ptr->stop(SIGTERM);
        if (!std::getenv("STEP_KEEP_TEST_DIRS")) std::filesystem::remove_all(root);
    }
};

}  // namespace step::test
