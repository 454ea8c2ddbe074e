#include "tests/functional/market_helpers.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <thread>

#include "common/bytes.h"
#include "common/merkle.h"
#include "common/rpc_methods.h"
#include "consensus/encoding.h"
#include "consensus/params.h"
#include "consensus/task_spec.h"
#include "consensus/transaction.h"
#include "kernels/backend.h"
#include "kernels/data.h"
#include "kernels/state.h"

namespace step::test {

using nlohmann::json;

int reap(pid_t pid, std::chrono::seconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    int status = 0;
    while (std::chrono::steady_clock::now() < until) {
        if (::waitpid(pid, &status, WNOHANG) == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    return -1;
}

std::map<std::string, std::string> gpt_spec(const std::map<std::string, std::string>& edits) {
    const std::string fixture = std::string(STEP_SOURCE_DIR) + "/tests/fixtures/kjv-genesis-16k";
    std::map<std::string, std::string> spec = {{"model.arch", "\"gpt{256,64,2,16,2}\""},
                                               {"model.activation", "\"gelu\""},
                                               {"optimizer.kind", "\"adamw\""},
                                               {"optimizer.lr", "0.01"},
                                               {"optimizer.momentum", "0"},
                                               {"optimizer.beta1", "0.9"},
                                               {"optimizer.beta2", "0.99"},
                                               {"optimizer.eps", "1e-8"},
                                               {"optimizer.weight_decay", "0.01"},
                                               {"optimizer.max_grad_norm", "1.0"},
                                               {"data.format", "\"text-u8-65\""},
                                               {"data.train", "\"" + fixture + "-train.rec\""},
                                               {"data.test", "\"" + fixture + "-val.rec\""}};
    for (const auto& [k, v] : edits) spec[k] = v;
    return spec;
}

void kill_unreaped(const std::vector<pid_t>& pids) {
    for (const pid_t pid : pids) {
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) != 0) continue;  // exited, or reaped already
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
    }
}

size_t count_code(const json& ledger, const std::string& code) {
    size_t n = 0;
    for (const json& e : ledger["entries"])
        if (e["code"] == code) ++n;
    return n;
}

namespace {

// Each whole JSON line of the agent's log (every line must be JSON).
void each_event(const std::string& path, const std::function<void(const json&)>& f) {
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
        if (in.eof()) break;  // a last line without its newline is still being written
        const json j = json::parse(line, nullptr, false);
        CHECK(j.is_object());
        if (j.is_object()) f(j);
    }
}

}  // namespace

std::multiset<std::string> events(const std::string& path) {
    std::multiset<std::string> out;
    each_event(path, [&](const json& j) { out.insert(j.value("event", std::string())); });
    return out;
}

std::vector<json> event_records(const std::string& path, const std::string& name) {
    std::vector<json> out;
    each_event(path, [&](const json& j) {
        if (j.value("event", std::string()) == name) out.push_back(j);
    });
    return out;
}

Hash256 hash_of(const std::string& hex) {
    return *hash_from_hex(hex);
}

Forger::Forger(const StepdProcess& node, const WalletCli& cli, std::string dir)
    : node_(node), cli_(cli), dir_(std::move(dir)) {
    seed_.fill(0x17);
    const std::string key_file = dir_ + "/forger.hex";
    std::ofstream(key_file) << to_hex(seed_) << "\n";
    REQUIRE(cli_.run({"key", "import", "forger", key_file}).exit_code == 0);
    address_ = json::parse(cli_.run({"key", "show", "forger"}).out)["address"];
}

void Forger::send(const std::function<void(pb::Transaction&)>& fill) const {
    const json acc = node_.result("getaccount", {{"address", address_}});
    pb::Transaction tx;
    const auto& p = consensus::devnet_params();
    tx.set_chain_id(p.chain_id);
    tx.set_nonce(acc["next_nonce"].get<uint64_t>());
    tx.set_fee(p.min_fee);
    fill(tx);
    consensus::sign_transaction(tx, seed_);
    node_.result("sendtransaction", {{"tx", to_hex(consensus::encode_tx(tx))}});
}

void Forger::set_unit(pb::UnitRef* ref) const {
    ref->set_task_id(task_.data(), task_.size());
    ref->set_round(0);
    ref->set_unit(0);
}

void Forger::claim(const std::string& task_id) {
    task_ = hash_of(task_id);
    send([&](pb::Transaction& tx) { set_unit(tx.mutable_claim_unit()->mutable_unit()); });
}

verifier::UnitTrace Forger::commit(const std::string& data_file, bool forge, bool upload) {
    const json task = node_.result("gettask", {{"task_id", to_hex(task_)}});
    auto proto = consensus::decode_task_spec(*from_hex(task["spec_hex"].get<std::string>()));
    REQUIRE(proto.ok());
    auto spec = consensus::spec_from_proto(*proto, std::stoull(task["budget"].get<std::string>()),
                                           std::stoull(task["unit_bond"].get<std::string>()));
    REQUIRE(spec.ok());
    auto ds = kernels::load_records(data_file, *kernels::record_format("mnist-u8"));
    REQUIRE(ds.ok());
    auto backend = kernels::make_cpu_backend(kernels::Exec{});
    auto tr = verifier::build_trace(*backend, kernels::Exec{}, *spec, *ds, {task_, 0, 0},
                                    *kernels::init_state(*spec));
    REQUIRE(tr.ok());
    for (const auto& c : tr->checkpoints) {
        if (!upload) break;
        const std::string file = dir_ + "/cp" + std::to_string(c.leaf);
        std::ofstream(file, std::ios::binary)
            .write(reinterpret_cast<const char*>(c.bytes.data()), c.bytes.size());
        REQUIRE(cli_.run({"blob", "put", file}).exit_code == 0);
    }
    forged_ = tr->leaves;
    if (forge) {
        forged_[1][0] ^= 1;
        forged_[3][0] ^= 1;
    }
    send([&](pb::Transaction& tx) {
        auto* c = tx.mutable_commit_unit();
        set_unit(c->mutable_unit());
        const Hash256 root = merkle_root(forged_);
        c->set_trace_root(root.data(), root.size());
        c->set_leaf0(forged_[0].data(), 32);
        c->set_final_leaf(forged_[4].data(), 32);
        c->add_checkpoint_leaves(forged_[2].data(), 32);
        c->add_checkpoint_leaves(forged_[4].data(), 32);
    });
    return std::move(*tr);
}

void Forger::open() const {
    send([&](pb::Transaction& tx) {
        auto* o = tx.mutable_open_trace();
        set_unit(o->mutable_unit());
        for (const auto& l : forged_) o->add_leaves(l.data(), 32);
    });
}

}  // namespace step::test
