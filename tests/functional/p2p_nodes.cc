#include "tests/functional/p2p_nodes.h"

#include <catch2/catch.hpp>

#include "common/rpc_methods.h"
#include "tests/functional/transfers.h"

namespace step::test {

using nlohmann::json;

std::string p2p_address(const StepdProcess& node) {
    return "127.0.0.1:" + std::to_string(node.p2p_port());
}

std::string mine(const StepdProcess& node, uint64_t count, uint8_t miner) {
    node.result(rpc::kGenerate, {{"count", count}, {"address", address(miner)}});
    return node.result(rpc::kGetChainInfo)["best_hash"];
}

json chain_info(const StepdProcess& node) {
    const json r = node.call(rpc::kGetChainInfo, json::object(), false);
    return r.is_object() && r.contains("result") ? r["result"] : json();
}

std::vector<json> ready_peers(const StepdProcess& node) {
    const json r = node.call(rpc::kGetPeerInfo, json::object(), false);
    std::vector<json> out;
    if (!r.is_object() || !r.contains("result")) return out;
    for (const json& p : r["result"])
        if (p["handshake_done"] == true) out.push_back(p);
    return out;
}

json peer_entry(const StepdProcess& node, const StepdProcess& other) {
    const std::string at = p2p_address(other);
    for (const json& p : ready_peers(node))
        if (p["address"] == at || p["listening"] == at) return p;
    return json();
}

bool wait_for_tip(const std::vector<const StepdProcess*>& nodes, const std::string& best_hash,
                  std::chrono::milliseconds limit) {
    return wait_until(
        [&] {
            for (const StepdProcess* n : nodes) {
                const json info = chain_info(*n);
                if (info.is_null() || info["best_hash"] != best_hash) return false;
            }
            return true;
        },
        limit);
}

bool wait_for_peer(const StepdProcess& node, const StepdProcess& other,
                   std::chrono::milliseconds limit) {
    return wait_until([&] { return !peer_entry(node, other).is_null(); }, limit);
}

void check_same_state(const StepdProcess& a, const StepdProcess& b) {
    const json info_a = a.result(rpc::kGetChainInfo), info_b = b.result(rpc::kGetChainInfo);
    CHECK(info_a["best_hash"] == info_b["best_hash"]);
    CHECK(info_a["state_root"] == info_b["state_root"]);
    const json hash_a = a.result(rpc::kGetStateHash), hash_b = b.result(rpc::kGetStateHash);
    CHECK(hash_a["best_hash"] == hash_b["best_hash"]);
    CHECK(hash_a["state_hash"] == hash_b["state_hash"]);
    CHECK(hash_a["entries"] == hash_b["entries"]);
}

}  // namespace step::test
