// step-wallet end to end through run_wallet (what main() runs): real keystore files under a
// temporary HOME, a real loopback socket standing in for stepd's JSON-RPC answers.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <cctype>
#include <deque>
#include <map>
#include <filesystem>
#include <sstream>

#include <nlohmann/json.hpp>

#include "consensus/encoding.h"
#include "consensus/params.h"
#include "consensus/proto/chain.pb.h"
#include "consensus/transaction.h"
#include "consensus/market_state.h"
#include "consensus/task_spec.h"
#include "loopback_server.h"
#include "task_spec_file.h"
#include "temp_dir.h"
#include "wallet/app.h"
#include "wallet/secure_file.h"
#include "wallet/task_spec_check.h"
#include "wallet/errors.h"
#include "common/merkle.h"
#include "consensus/errors.h"
#include "kernels/data.h"
#include "tests/support/status_check.h"

using namespace step;
using namespace step::wallet;
using namespace step::wallet::testing;
using nlohmann::json;

namespace {

// Answers prompts from a script, as a person at a terminal would.
class ScriptedTerminal : public Terminal {
public:
    bool is_interactive = false;
    std::deque<std::string> answers;
    std::vector<std::string> prompts;

    bool interactive() const override { return is_interactive; }
    Result<std::string> read_secret(const std::string& prompt) override { return next(prompt); }
    Result<bool> confirm(const std::string& prompt) override {
        auto a = next(prompt);
        if (!a.ok()) return a.status();
        return *a == "y";
    }

private:
    Result<std::string> next(const std::string& prompt) {
        prompts.push_back(prompt);
        if (!is_interactive || answers.empty()) return Status::error(step::wallet::codes::kNoTty, "no answer");
        std::string a = answers.front();
        answers.pop_front();
        return a;
    }
};

// Points $HOME at a temporary directory for one test and restores it after.
class ScopedHome {
public:
    explicit ScopedHome(const std::string& home) {
        if (const char* old = std::getenv("HOME")) old_ = old;
        ::setenv("HOME", home.c_str(), 1);
        ::setenv("STEP_WALLET_INSECURE_SCRYPT_LOG2N", "4", 1);
    }
    ~ScopedHome() {
        if (old_) ::setenv("HOME", old_->c_str(), 1);
        else ::unsetenv("HOME");
    }

private:
    std::optional<std::string> old_;
};

struct Run {
    int code;
    std::string out, err;
    json out_json() const { return json::parse(out); }
};

Run run(std::vector<std::string> args, Terminal& terminal) {
    std::ostringstream out, err;
    int code = run_wallet(args, terminal, out, err);
    return Run{code, out.str(), err.str()};
}

Run run(std::vector<std::string> args) {
    ScriptedTerminal t;
    return run(std::move(args), t);
}

const std::string kCookie = "__cookie__:" + std::string(64, 'c');

// A stand-in for stepd's RPC: canned results per method, every call recorded.
class FakeNode {
public:
    std::map<std::string, json> results;
    std::vector<json> calls;
    std::vector<bool> authed;

    FakeNode()
        : server_([this](const std::string& raw) {
              json req = json::parse(raw.substr(raw.find("\r\n\r\n") + 4));
              std::lock_guard<std::mutex> lock(mu_);
              calls.push_back(req);
              authed.push_back(raw.find("Authorization: Basic") != std::string::npos);
              std::string method = req["method"];
              json reply = {{"jsonrpc", "2.0"}, {"id", req["id"]}};
              if (method == "sendtransaction") {
                  auto bytes = from_hex(req["params"]["tx"].get<std::string>());
                  auto tx = consensus::decode_tx(*bytes);
                  reply["result"] = {{"txid", to_hex(consensus::txid(*tx))}};
              } else if (results.count(method)) {
                  reply["result"] = results[method];
              } else {
                  reply["error"] = {{"code", -32601}, {"message", "method not found"}};
              }
              return LoopbackHttpServer::json_response(reply.dump());
          }) {
        const auto& p = consensus::devnet_params();
        results["getchaininfo"] = {{"network", "devnet"}, {"chain_id", p.chain_id},
                                   {"height", 12}, {"best_hash", std::string(64, 'b')},
                                   {"state_root", std::string(64, 'd')}, {"pool", "2500000000"}};
        results["getmempoolinfo"] = {{"size", 0}, {"min_fee", std::to_string(p.min_fee)}};
        results["getaccount"] = {{"balance", "10000000000"}, {"nonce", 4}, {"next_nonce", 5},
                                 {"solver_bond", "2000000000"}, {"verifier_bond", "0"},
                                 {"unbonding", json::array({{{"amount", "500000000"},
                                                             {"release_height", 99},
                                                             {"role", "solver"}}})},
                                 {"immature", json::array({{{"amount", "25000000000"},
                                                            {"release_height", 112}}})}};
        results["generate"] = {{"hashes", json::array({std::string(64, 'e')})}, {"height", 13}};
        results["getblobinfo"] = {{"complete", true}, {"missing", json::array()}};  // held already
    }
    std::string url() const { return server_.url(); }
    std::vector<std::string> methods() {
        std::lock_guard<std::mutex> lock(mu_);
        std::vector<std::string> m;
        for (const auto& c : calls) m.push_back(c["method"]);
        return m;
    }
    json last_call(const std::string& method) {
        std::lock_guard<std::mutex> lock(mu_);
        for (auto it = calls.rbegin(); it != calls.rend(); ++it)
            if ((*it)["method"] == method) return *it;
        return json();
    }

private:
    std::mutex mu_;
    LoopbackHttpServer server_;
};

struct Wallet {
    TempDir tmp;
    ScopedHome home{tmp.path()};
    std::string pw_file = tmp.sub("pw");
    std::string cookie_file;

    Wallet() {
        REQUIRE(atomic_write_file(pw_file, "hunter2\n", 0600, WriteMode::kReplace).ok());
        std::string dir = tmp.sub(".stepchain/devnet");
        REQUIRE(ensure_private_dir(dir).ok());
        cookie_file = dir + "/.cookie";
        REQUIRE(atomic_write_file(cookie_file, kCookie, 0600, WriteMode::kReplace).ok());
    }
    std::string new_key(const std::string& name) {
        Run r = run({"key", "new", name, "--passphrase-file", pw_file, "--output", "json"});
        INFO(r.err);
        REQUIRE(r.code == 0);
        return r.out_json()["address"];
    }
};

}  // namespace

TEST_CASE("key new, list and show work with options after the subcommand") {
    Wallet w;
    std::string alice = w.new_key("alice");
    std::string bob = w.new_key("bob");
    CHECK(alice.rfind("step1", 0) == 0);
    Run show = run({"key", "show", "alice", "--output", "json"});
    REQUIRE(show.code == 0);
    json j = show.out_json();
    CHECK(j["address"] == alice);
    CHECK(j["public_key"].get<std::string>().size() == 64);
    CHECK(j["default"] == true);
    Run list = run({"--output=json", "key", "list"});
    REQUIRE(list.code == 0);
    REQUIRE(list.out_json()["keys"].size() == 2);
    CHECK(list.out_json()["keys"][1]["address"] == bob);
    CHECK(list.out_json()["keys"][1]["default"] == false);
    REQUIRE(run({"key", "default", "bob"}).code == 0);
    CHECK(run({"key", "show", "bob", "--output", "json"}).out_json()["default"] == true);
}

TEST_CASE("two HOMEs keep separate keystores") {
    std::string first_address;
    {
        Wallet w1;
        first_address = w1.new_key("alice");
        Wallet w2;  // a second HOME while the first still exists
        Run list = run({"key", "list", "--output", "json"});
        REQUIRE(list.code == 0);
        CHECK(list.out_json()["keys"].empty());
        CHECK(w2.new_key("alice") != first_address);
    }
}

TEST_CASE("key import takes a hex seed file and derives its RFC 8032 key") {
    Wallet w;
    std::string seed_file = w.tmp.sub("seed.hex");
    REQUIRE(atomic_write_file(seed_file,
                              "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60\n",
                              0600, WriteMode::kReplace)
                .ok());
    Run r = run({"key", "import", "imp", seed_file, "--passphrase-file", w.pw_file, "--output",
                 "json"});
    INFO(r.err);
    REQUIRE(r.code == 0);
    CHECK(r.out_json()["public_key"] ==
          "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
}

TEST_CASE("key new asks the passphrase twice on a terminal and refuses a mismatch") {
    Wallet w;
    ScriptedTerminal t;
    t.is_interactive = true;
    t.answers = {"one", "two"};
    Run bad = run({"key", "new", "k"}, t);
    CHECK(bad.code == 1);
    CHECK(bad.err.find("differ") != std::string::npos);
    CHECK(t.prompts.size() == 2);
    t.answers = {"same", "same"};
    CHECK(run({"key", "new", "k"}, t).code == 0);
    // Without a terminal or a passphrase file there is nobody to ask.
    ScriptedTerminal none;
    Run no_tty = run({"key", "new", "k2"}, none);
    CHECK(no_tty.code == 1);
    CHECK(no_tty.err.find("--passphrase-file") != std::string::npos);
}

TEST_CASE("the agent refuses a --backend it does not know as a usage error") {
    Wallet w;
    Run r = run({"agent", "--role", "solver", "--data", w.pw_file, "--backend", "gpu", "--output", "json"});
    CHECK(r.code == 2);
    CHECK(json::parse(r.err)["error"]["code"] == name_of(step::wallet::codes::kUsage));
}

TEST_CASE("exit codes: 0 on success, 2 on usage errors, 1 on failures") {
    Wallet w;
    CHECK(run({"--help"}).code == 0);
    CHECK(run({}).code == 2);
    CHECK(run({"frobnicate"}).code == 2);
    CHECK(run({"key", "list", "--bogus"}).code == 2);
    CHECK(run({"key"}).code == 2);
    CHECK(run({"balance", "--fee", "1"}).code == 2);
    CHECK(run({"key", "show", "nobody"}).code == 1);
    CHECK(run({"send", "bob", "1.0000000001", "-y"}).code == 1);
    CHECK(run({"key", "list"}).code == 0);
}

TEST_CASE("errors with --output json are one JSON object on stderr") {
    Wallet w;
    Run r = run({"key", "show", "nobody", "--output", "json"});
    CHECK(r.code == 1);
    CHECK(r.out.empty());
    json e = json::parse(r.err);
    CHECK(e["error"]["code"] == name_of(step::wallet::codes::kKeyNotFound));
    CHECK(e["error"]["message"].get<std::string>().find("nobody") != std::string::npos);
}

TEST_CASE("balance shows STEP amounts, nonce and bonds of a key or an address") {
    Wallet w;
    std::string alice = w.new_key("alice");
    FakeNode node;
    Run r = run({"balance", "--rpc", node.url(), "--output", "json"});
    INFO(r.err);
    REQUIRE(r.code == 0);
    json j = r.out_json();
    CHECK(j["address"] == alice);
    CHECK(j["balance"] == "10");
    CHECK(j["nonce"] == 4);
    CHECK(j["next_nonce"] == 5);
    CHECK(j["solver_bond"] == "2");
    CHECK(j["verifier_bond"] == "0");
    CHECK(j["unbonding"][0]["amount"] == "0.5");
    CHECK(j["unbonding"][0]["release_height"] == 99);
    CHECK(j["unbonding"][0]["role"] == "solver");
    CHECK(j["immature"][0]["amount"] == "25");
    CHECK(j["immature"][0]["release_height"] == 112);
    CHECK(node.last_call("getaccount")["params"]["address"] == alice);
    CHECK_FALSE(node.authed.back());  // reading needs no cookie and gets none
    std::string bob = w.new_key("bob");
    REQUIRE(run({"balance", "bob", "--rpc", node.url()}).code == 0);
    CHECK(node.last_call("getaccount")["params"]["address"] == bob);
    REQUIRE(run({"balance", alice, "--rpc", node.url()}).code == 0);
    CHECK(node.last_call("getaccount")["params"]["address"] == alice);
    CHECK(run({"balance", "step1junk", "--rpc", node.url()}).code == 1);
    // bech32 allows the all-uppercase spelling; the node is asked for the lowercase one.
    std::string upper_alice = alice;
    for (char& c : upper_alice) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    Run upper = run({"balance", upper_alice, "--rpc", node.url()});
    INFO(upper.err);
    REQUIRE(upper.code == 0);
    CHECK(node.last_call("getaccount")["params"]["address"] == alice);
    // ... and no key may be named like one.
    CHECK(run({"key", "new", "STEP1x", "--passphrase-file", w.pw_file}).code == 1);
}

TEST_CASE("send signs a transfer at next_nonce and submits it with the cookie") {
    Wallet w;
    w.new_key("alice");
    std::string bob = w.new_key("bob");
    FakeNode node;
    Run r = run({"send", "bob", "1.5", "--rpc", node.url(), "--passphrase-file", w.pw_file, "-y",
                 "--output", "json"});
    INFO(r.err);
    REQUIRE(r.code == 0);
    json sent = node.last_call("sendtransaction");
    REQUIRE(sent.is_object());
    auto tx = consensus::decode_tx(*from_hex(sent["params"]["tx"].get<std::string>()));
    REQUIRE(tx.ok());
    const auto& params = consensus::devnet_params();
    CHECK(consensus::check_transaction(*tx, params).ok());
    CHECK(tx->nonce() == 5);
    CHECK(tx->fee() == params.min_fee);
    CHECK(tx->transfer().amount() == 1'500'000'000);
    CHECK(r.out_json()["txid"] == to_hex(consensus::txid(*tx)));
    CHECK(r.out_json()["to"] == bob);
    CHECK(r.out_json()["amount"] == "1.5");
    CHECK(node.authed.back());  // sendtransaction carried the cookie
    // --fee overrides the default; text output is the txid alone.
    Run fee = run({"--fee", "0.01", "send", bob, "1", "--rpc", node.url(), "--passphrase-file",
                   w.pw_file, "-y"});
    REQUIRE(fee.code == 0);
    auto tx2 = consensus::decode_tx(
        *from_hex(node.last_call("sendtransaction")["params"]["tx"].get<std::string>()));
    CHECK(tx2->fee() == 10'000'000);
    CHECK(fee.out == to_hex(consensus::txid(*tx2)) + "\n");
}

TEST_CASE("send asks for confirmation unless -y, and sends nothing when refused") {
    Wallet w;
    w.new_key("alice");
    FakeNode node;
    Run no_tty = run({"send", "alice", "1", "--rpc", node.url(), "--passphrase-file", w.pw_file});
    CHECK(no_tty.code == 1);
    CHECK(no_tty.err.find("-y") != std::string::npos);
    ScriptedTerminal t;
    t.is_interactive = true;
    t.answers = {"n"};
    Run refused = run({"send", "alice", "1", "--rpc", node.url()}, t);
    CHECK(refused.code == 1);
    REQUIRE(t.prompts.size() == 1);
    CHECK(t.prompts[0].find("1 STEP") != std::string::npos);
    CHECK(t.prompts[0].find("fee 0.000001 STEP") != std::string::npos);
    t.answers = {"y", "wrong passphrase"};
    Run wrong = run({"send", "alice", "1", "--rpc", node.url()}, t);
    CHECK(wrong.code == 1);
    CHECK(wrong.err.find("wrong passphrase for key 'alice'") != std::string::npos);
    for (const auto& m : node.methods()) CHECK(m != "sendtransaction");
}

TEST_CASE("send refuses a node of another network and a missing cookie before any prompt") {
    Wallet w;
    w.new_key("alice");
    FakeNode node;
    node.results["getchaininfo"]["chain_id"] = consensus::testnet_params().chain_id;
    node.results["getchaininfo"]["network"] = "testnet";
    Run mismatch = run({"send", "alice", "1", "--rpc", node.url(), "-y"});
    CHECK(mismatch.code == 1);
    CHECK(mismatch.err.find("runs testnet") != std::string::npos);
    std::filesystem::remove(w.cookie_file);
    ScriptedTerminal t;
    t.is_interactive = true;
    Run no_cookie = run({"send", "alice", "1", "--rpc", node.url()}, t);
    CHECK(no_cookie.code == 1);
    CHECK(no_cookie.err.find("needs the node's RPC cookie") != std::string::npos);
    CHECK(t.prompts.empty());
    // A remote node never gets the local cookie: --cookie is required, asked for up front.
    Run remote = run({"send", "alice", "1", "--rpc", "http://192.0.2.1:18443"}, t);
    CHECK(remote.code == 1);
    CHECK(remote.err.find("only used for a node on this machine") != std::string::npos);
    CHECK(t.prompts.empty());
}

TEST_CASE("send checks the balance before asking for the passphrase") {
    Wallet w;
    w.new_key("alice");
    FakeNode node;
    Run r = run({"send", "alice", "10", "--rpc", node.url(), "-y", "--output", "json"});
    CHECK(r.code == 1);
    CHECK(json::parse(r.err)["error"]["code"] == name_of(step::consensus::codes::kInsufficientFunds));
}

TEST_CASE("bond and unbond sign the role and amount") {
    Wallet w;
    w.new_key("alice");
    FakeNode node;
    REQUIRE(run({"bond", "verifier", "2.5", "--rpc", node.url(), "--passphrase-file", w.pw_file,
                 "-y"})
                .code == 0);
    auto bond = consensus::decode_tx(
        *from_hex(node.last_call("sendtransaction")["params"]["tx"].get<std::string>()));
    REQUIRE(bond->has_bond());
    CHECK(bond->bond().role() == pb::BOND_ROLE_VERIFIER);
    CHECK(bond->bond().amount() == 2'500'000'000);
    REQUIRE(run({"unbond", "solver", "2", "--rpc", node.url(), "--passphrase-file", w.pw_file,
                 "-y"})
                .code == 0);
    auto unbond = consensus::decode_tx(
        *from_hex(node.last_call("sendtransaction")["params"]["tx"].get<std::string>()));
    REQUIRE(unbond->has_unbond());
    CHECK(unbond->unbond().role() == pb::BOND_ROLE_SOLVER);
    CHECK(unbond->unbond().amount() == 2'000'000'000);
    // More than the solver bond (2 STEP) is refused locally.
    CHECK(run({"unbond", "solver", "3", "--rpc", node.url(), "-y"}).code == 1);
    CHECK(run({"bond", "miner", "1", "--rpc", node.url(), "-y"}).code == 2);
}

TEST_CASE("generate mines to the default key on devnet only") {
    Wallet w;
    std::string alice = w.new_key("alice");
    FakeNode node;
    Run r = run({"generate", "3", "--rpc", node.url(), "--output", "json"});
    INFO(r.err);
    REQUIRE(r.code == 0);
    json call = node.last_call("generate");
    CHECK(call["params"]["count"] == 3);
    CHECK(call["params"]["address"] == alice);
    CHECK(node.authed.back());
    CHECK(r.out_json()["height"] == 13);
    Run testnet = run({"generate", "3", "--network", "testnet", "--rpc", node.url()});
    CHECK(testnet.code == 1);
    CHECK(testnet.err.find("devnet only") != std::string::npos);
    CHECK(run({"generate", "0", "--rpc", node.url()}).code == 2);
}

TEST_CASE("chain info passes the node's fields and shows the pool in STEP") {
    Wallet w;
    FakeNode node;
    Run r = run({"chain", "info", "--rpc", node.url(), "--output", "json"});
    REQUIRE(r.code == 0);
    json j = r.out_json();
    CHECK(j["height"] == 12);
    CHECK(j["best_hash"] == std::string(64, 'b'));
    CHECK(j["state_root"] == std::string(64, 'd'));
    CHECK(j["network"] == "devnet");
    CHECK(j["pool"] == "2.5");
}

TEST_CASE("an unreachable node is an error naming its URL") {
    Wallet w;
    w.new_key("alice");
    std::string url = "http://127.0.0.1:" + std::to_string(unused_loopback_port());
    Run r = run({"balance", "--rpc", url});
    CHECK(r.code == 1);
    CHECK(r.err.find(url) != std::string::npos);
}

TEST_CASE("task submit validates the spec, then signs a SubmitTask escrowing the budget") {
    Wallet w;
    const std::string alice = w.new_key("alice");
    FakeNode node;
    const std::string spec = write_spec(w.tmp);
    Run r = run({"task", "submit", spec, "--rpc", node.url(), "--passphrase-file", w.pw_file, "-y",
                 "--output", "json"});
    INFO(r.err);
    REQUIRE(r.code == 0);
    auto tx = consensus::decode_tx(
        *from_hex(node.last_call("sendtransaction")["params"]["tx"].get<std::string>()));
    REQUIRE(tx.ok());
    const auto& params = consensus::devnet_params();
    CHECK(consensus::check_transaction(*tx, params).ok());
    REQUIRE(tx->has_submit_task());
    CHECK(tx->nonce() == 5);
    CHECK(tx->submit_task().budget() == 4'000'000'000);
    CHECK(tx->submit_task().unit_bond() == 3'000'000'000);
    // The payload is the canonical on-chain spec consensus derives from the same file.
    auto checked = load_spec_for_chain(spec);
    REQUIRE(checked.ok());
    const Bytes expected = consensus::encode_task_spec(checked->onchain);
    CHECK(tx->submit_task().spec() == std::string(expected.begin(), expected.end()));
    CHECK(r.out_json()["txid"] == to_hex(consensus::txid(*tx)));
    CHECK(r.out_json()["task_id"] ==
          to_hex(consensus::task_id_for(*consensus::decode_address(alice), 5)));
    CHECK(r.out_json()["units"] == 4);
    // The dataset travelled first: the node was asked for the blob of the spec's records.
    const auto records = kernels::load_records(checked->spec.train_path, *kernels::record_format(checked->spec.data_format));
    REQUIRE(records.ok());
    const std::string dataset_blob = to_hex(blob_root(records->bytes));
    CHECK(r.out_json()["dataset_blob"] == dataset_blob);
    CHECK(node.last_call("getblobinfo")["params"]["blob_root"] == dataset_blob);
    const std::vector<std::string> order = node.methods();
    CHECK(std::find(order.begin(), order.end(), "getblobinfo") < std::find(order.begin(), order.end(), "sendtransaction"));

    // A spec consensus would refuse never reaches the node; nor does a budget over the balance.
    const size_t sends = node.methods().size();
    CHECK(run({"task", "submit", write_spec(w.tmp, {{"unit_bond", "1"}}), "--rpc", node.url(), "-y"})
              .code == 1);
    Run poor = run({"task", "submit", write_spec(w.tmp, {{"budget", "11000000000"}, {"unit_bond", "9000000000"}}),
                    "--rpc", node.url(), "-y", "--output", "json"});
    CHECK(poor.code == 1);
    CHECK(json::parse(poor.err)["error"]["code"] == name_of(step::consensus::codes::kInsufficientFunds));
    std::vector<std::string> after = node.methods();
    CHECK(std::count(after.begin() + static_cast<std::ptrdiff_t>(sends), after.end(),
                     std::string("sendtransaction")) == 0);
}

namespace {

// The keystore folder of a Wallet: the folder that holds `name`'s key file.
std::string keystore_dir_of(const Wallet& w, const std::string& name) {
    for (const auto& e : std::filesystem::recursive_directory_iterator(w.tmp.path()))
        if (e.path().filename() == name + ".json") return e.path().parent_path().string();
    FAIL("no key file for " << name);
    return {};
}

}  // namespace

TEST_CASE("a keystore others may write is refused; one others may read is used with a warning") {
    Wallet w;
    w.new_key("alice");
    const std::string dir = keystore_dir_of(w, "alice"), key_file = dir + "/alice.json";
    namespace fs = std::filesystem;
    REQUIRE(run({"key", "list"}).err.empty());  // as created: private, no warning

    fs::permissions(dir, fs::perms::all);  // 0777: anyone may swap a key file
    Run open_dir = run({"key", "show", "alice", "--output", "json"});
    CHECK(open_dir.code == 1);
    CHECK(json::parse(open_dir.err)["error"]["code"] == name_of(step::wallet::codes::kKeystoreInsecure));
    CHECK(run({"key", "new", "bob", "--passphrase-file", w.pw_file}).code == 1);  // nothing written
    CHECK_FALSE(fs::exists(dir + "/bob.json"));

    fs::permissions(dir, fs::perms::owner_all);
    fs::permissions(key_file, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_write);
    CHECK(run({"key", "show", "alice"}).code == 1);

    fs::permissions(key_file, fs::perms::owner_read | fs::perms::owner_write | fs::perms::others_read);
    Run readable = run({"key", "show", "alice"});
    CHECK(readable.code == 0);
    CHECK(readable.err.find("warning: keystore file '" + key_file + "' is readable") != std::string::npos);
}

TEST_CASE("a passphrase file others may read is used with a warning") {
    Wallet w;
    namespace fs = std::filesystem;
    fs::permissions(w.pw_file, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
    Run r = run({"key", "new", "alice", "--passphrase-file", w.pw_file});
    CHECK(r.code == 0);
    CHECK(r.err.find("warning: passphrase file '" + w.pw_file + "' is readable") != std::string::npos);
    fs::permissions(w.pw_file, fs::perms::owner_read | fs::perms::owner_write);
    CHECK(run({"key", "new", "bob", "--passphrase-file", w.pw_file}).err.empty());
}
