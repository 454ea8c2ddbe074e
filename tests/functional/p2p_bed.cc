#include "tests/functional/p2p_bed.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/functional/transfers.h"

namespace step::test {

using nlohmann::json;

namespace {

// The key the honest node mines to, which pays the transfers it relays.
constexpr uint8_t kFundedKey = 1;
constexpr uint8_t kPayeeKey = 2;

std::string reason_prefix(const ErrorCode& code) {
    return std::string(code.name) + ":";
}

// listbanned's entry for `host`, or null.
json banned_entry(const StepdProcess& node, const std::string& host) {
    for (const json& b : node.result("listbanned"))
        if (b["address"] == host) return b;
    return json();
}

uint64_t discouraged_count(const StepdProcess& node, const ErrorCode& code) {
    const json counts = node.result("getnetworkinfo")["discouraged"];
    const std::string name(code.name);
    return counts.contains(name) ? counts[name].get<uint64_t>() : 0;
}

}  // namespace

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (done()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

uint64_t rss_kib(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string key;
        uint64_t kib = 0;
        if (fields >> key >> kib && key == "VmRSS:") return kib;
    }
    return 0;
}

size_t count_log_lines(const std::string& log, const std::vector<std::string>& parts) {
    std::istringstream in(log);
    size_t n = 0;
    for (std::string line; std::getline(in, line);) {
        bool all = true;
        for (const std::string& p : parts) all = all && line.find(p) != std::string::npos;
        n += all ? 1 : 0;
    }
    return n;
}

DefenceBed::DefenceBed(const std::string& name, uint64_t blocks)
    : honest_(make_temp_dir(name + "-honest")) {
    REQUIRE(honest_.start());
    honest_.result("generate", {{"count", blocks}, {"address", address(kFundedKey)}});
    node_ = std::make_unique<StepdProcess>(
        make_temp_dir(name + "-node"),
        std::vector<std::string>{"--connect", "127.0.0.1:" + std::to_string(honest_.p2p_port())});
    REQUIRE(node_->start());
    REQUIRE(wait_until([&] { return synced(); }));
    const std::string honest_address = "127.0.0.1:" + std::to_string(honest_.p2p_port());
    for (const json& p : node_->result("getpeerinfo"))
        if (p["address"] == honest_address) honest_peer_id_ = p["id"].get<uint64_t>();
    REQUIRE(honest_peer_id_ != 0);
    rss_before_kib_ = rss_kib(node_->pid());
    REQUIRE(rss_before_kib_ > 0);
}

bool DefenceBed::synced() const {
    const json a = honest_.result("getchaininfo");
    const json b = node_->result("getchaininfo");
    return a["best_hash"] == b["best_hash"];
}

P2pTestPeer& DefenceBed::connect_attacker() {
    attacker_ = std::make_unique<P2pTestPeer>(node_->p2p_port(),
                                              consensus::devnet_params().p2p_magic, kAttackerHost);
    REQUIRE(attacker_->connected());
    return *attacker_;
}

P2pTestPeer& DefenceBed::ready_attacker() {
    P2pTestPeer& a = connect_attacker();
    REQUIRE(complete_handshake(a));
    return a;
}

void DefenceBed::expect_discouraged(const ErrorCode& code) {
    INFO("expected " << code.name);
    REQUIRE(attacker_);
    REQUIRE(attacker_->wait_closed(kP2pWait));
    // The host is listed with the reason, counted by its code, and logged once.
    json entry;
    CHECK(wait_until([&] { return !(entry = banned_entry(*node_, kAttackerHost)).is_null(); }));
    INFO("listbanned: " << entry.dump());
    CHECK(entry.value("reason", "").rfind(reason_prefix(code), 0) == 0);
    CHECK_FALSE(entry.value("manual", true));
    CHECK(wait_until([&] { return discouraged_count(*node_, code) == 1; }));
    CHECK(count_log_lines(node_->log(), {kAttackerHost, reason_prefix(code), "discouraged"}) == 1);
    expect_unharmed();
}

void DefenceBed::expect_dropped(const ErrorCode& code) {
    INFO("expected " << code.name);
    REQUIRE(attacker_);
    REQUIRE(attacker_->wait_closed(kP2pWait));
    CHECK(wait_until([&] {
        return count_log_lines(node_->log(), {kAttackerHost, reason_prefix(code)}) == 1;
    }));
    CHECK(banned_entry(*node_, kAttackerHost).is_null());
    CHECK(discouraged_count(*node_, code) == 0);
    expect_unharmed();
}

void DefenceBed::expect_unharmed() {
    const uint64_t rss_after = rss_kib(node_->pid());
    INFO("VmRSS before " << rss_before_kib_ << " KiB, after " << rss_after << " KiB");
    CHECK(rss_after < rss_before_kib_ + kMaxRssGrowthKib);

    // The honest peer is the same connection as before the attack, and still relays: a
    // transfer sent to it reaches the node's mempool, and the block that confirms it the
    // node's chain.
    bool still_connected = false;
    for (const json& p : node_->result("getpeerinfo"))
        still_connected = still_connected || p["id"].get<uint64_t>() == honest_peer_id_;
    CHECK(still_connected);
    const json sent = honest_.result(
        "sendtransaction", {{"tx", transfer_hex(kFundedKey, kPayeeKey, next_nonce_++, 1000)}});
    const std::string txid = sent["txid"];
    CHECK(wait_until([&] {
        return node_->call("gettransaction", {{"txid", txid}}).contains("result");
    }));
    honest_.result("generate", {{"count", 1}, {"address", address(kFundedKey)}});
    CHECK(wait_until([&] { return synced(); }));
    CHECK(node_->result("gettransaction", {{"txid", txid}})["status"] == "confirmed");

    // And another peer is served at once: its ping is answered.
    P2pTestPeer other = devnet_peer(node_->p2p_port());
    REQUIRE(other.connected());
    REQUIRE(complete_handshake(other));
    CHECK(ping_answered(other));
}

}  // namespace step::test
