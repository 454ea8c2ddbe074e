// What the market's functional tests share: reading agent logs and ledgers, reaping agent
// processes, and a forging solver played by the test (market_agents_test.cc on one node,
// p2p_market_test.cc across three).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "consensus/keys.h"
#include "consensus/proto/chain.pb.h"
#include "tests/functional/stepd_process.h"
#include "tests/functional/wallet_cli.h"
#include "verifier/trace.h"

namespace step::test {

// Waits (bounded) for a child; its exit code, or -1 when it had to be killed.
int reap(pid_t pid, std::chrono::seconds limit);
// SIGKILLs and reaps each child of `pids` still running (not reaped yet): agents a failed check
// left behind.
void kill_unreaped(const std::vector<pid_t>& pids);
// How many entries of a getledger/gettaskledger answer carry `code`.
size_t count_code(const nlohmann::json& ledger, const std::string& code);
// The agent's JSON lines by event name (every line must be JSON).
std::multiset<std::string> events(const std::string& path);
// The agent's JSON lines of event `name`, in order.
std::vector<nlohmann::json> event_records(const std::string& path, const std::string& name);
Hash256 hash_of(const std::string& hex);

// Spec edits (wallet::testing::write_spec's) for a tiny byte-level GPT, gpt{256,64,2,16,2}
// trained by AdamW with clipping by global norm on the committed KJV fixture's text windows
// (tests/fixtures/kjv-genesis-16k-*.rec), so a test runs a GPT task as the others run the MLP's.
// `edits` apply on top.
std::map<std::string, std::string> gpt_spec(const std::map<std::string, std::string>& edits = {});

// A solver played by the test, with a seed it knows, that forges unit 0/0 of a one-round task:
// it commits the honest trace with leaves 1 and 3 changed, so every audit window holds a forged
// leaf, while the checkpoints (leaves 0, 2, 4) are honest and uploaded, so an audit can run.
// Every transaction and blob goes to one node.
class Forger {
public:
    // Imports the forger's key into `cli`'s wallet as "forger"; `node` and `cli` must outlive
    // this object, and `dir` holds its files.
    Forger(const StepdProcess& node, const WalletCli& cli, std::string dir);

    const std::string& address() const { return address_; }
    // Signs and sends a transaction `fill` shaped, with the account's next nonce.
    void send(const std::function<void(pb::Transaction&)>& fill) const;
    // Claims unit 0/0 of `task_id`.
    void claim(const std::string& task_id);
    // Uploads the honest checkpoints (with `step-wallet blob put`) and commits the forged trace
    // of the claimed unit, trained on the records of `data_file`. Returns the honest trace.
    // `forge` false commits the honest trace; `upload` false withholds every checkpoint.
    verifier::UnitTrace commit(const std::string& data_file, bool forge = true, bool upload = true);
    // Opens the forged trace.
    void open() const;

private:
    void set_unit(pb::UnitRef* ref) const;

    const StepdProcess& node_;
    const WalletCli& cli_;
    std::string dir_;
    consensus::SecretSeed seed_{};
    std::string address_;
    Hash256 task_{};
    std::vector<Hash256> forged_;
};

}  // namespace step::test
