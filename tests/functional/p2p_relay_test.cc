// Relay and reorganisation between real stepd processes on 127.0.0.1 (issue 10, "Done means" 2
// and 3): a transfer travels two hops to a miner and its block back; two groups mine apart,
// reconnect and converge on the most-work chain, and the losing side's transaction returns to
// the mempool.
#include <catch2/catch.hpp>
#include <filesystem>

#include "common/rpc_methods.h"
#include "tests/functional/p2p_nodes.h"
#include "tests/functional/stepd_process.h"
#include "tests/functional/transfers.h"

using nlohmann::json;
using step::test::StepdProcess;
namespace rpc = step::rpc;

namespace {

using step::test::address;
using step::test::mine;
using step::test::p2p_address;
using step::test::transfer_hex;
using step::test::wait_until;

// gettransaction's status ("mempool", "confirmed") on `node`, or "" when it does not know it.
std::string tx_status(const StepdProcess& node, const std::string& txid) {
    const json r = node.call(rpc::kGetTransaction, {{"txid", txid}}, false);
    return r.contains("result") ? r["result"]["status"].get<std::string>() : "";
}

std::string balance(const StepdProcess& node, uint8_t who) {
    return node.result(rpc::kGetAccount, {{"address", address(who)}})["balance"];
}

// The peers' listening addresses as `node` sees them.
std::vector<std::string> listeners(const StepdProcess& node) {
    std::vector<std::string> out;
    for (const json& p : step::test::ready_peers(node))
        out.push_back(p["listening"].is_string() ? p["listening"].get<std::string>() : "");
    return out;
}

}  // namespace

TEST_CASE("a transfer sent at one end of a line of three nodes is mined at the other", "[p2p]") {
    const std::string root = step::test::make_temp_dir("p2p-line");
    // A - B - C: A and C dial only B (--connect) and do not listen, so the only path between
    // them is through B.
    StepdProcess b(root + "/b");
    REQUIRE(b.start());
    StepdProcess a(root + "/a", {"--connect", p2p_address(b), "--no-listen"});
    StepdProcess c(root + "/c", {"--connect", p2p_address(b), "--no-listen"});
    REQUIRE(a.start());
    REQUIRE(c.start());
    REQUIRE(wait_until([&] { return step::test::ready_peers(b).size() == 2; }));

    // C mines the block that funds address 1; it reaches A through B.
    const std::string funded = mine(c, 1, 1);
    REQUIRE(step::test::wait_for_tip({&a, &b}, funded));

    const std::string txid =
        a.result(rpc::kSendTransaction, {{"tx", transfer_hex(1, 2, 0, 4'321)}})["txid"];
    REQUIRE(wait_until([&] { return tx_status(c, txid) == "mempool"; }));
    CHECK(tx_status(b, txid) == "mempool");
    const std::string mined = mine(c, 1, 3);
    REQUIRE(step::test::wait_for_tip({&a, &b}, mined));
    for (const StepdProcess* n : {&a, &b, &c}) {
        CHECK(tx_status(*n, txid) == "confirmed");
        CHECK(balance(*n, 2) == "4321");
        CHECK(n->result(rpc::kGetMempoolInfo)["size"] == 0);
    }
    // The line held: A's and C's only peer is B.
    CHECK(listeners(a) == std::vector<std::string>{p2p_address(b)});
    CHECK(listeners(c) == std::vector<std::string>{p2p_address(b)});
    std::filesystem::remove_all(root);
}

TEST_CASE("two groups mine apart then reconnect and converge on the most-work chain", "[p2p]") {
    const std::string root = step::test::make_temp_dir("p2p-partition");
    // Group A: a1 - a2; group B: b1 - b2. Nobody knows the other group's addresses.
    StepdProcess a1(root + "/a1"), b1(root + "/b1");
    REQUIRE(a1.start());
    REQUIRE(b1.start());
    StepdProcess a2(root + "/a2", {"--connect", p2p_address(a1), "--no-listen"});
    StepdProcess b2(root + "/b2", {"--connect", p2p_address(b1), "--no-listen"});
    REQUIRE(a2.start());
    REQUIRE(b2.start());

    // A shared first block funds address 1 in both groups (handed to b1 over RPC).
    const std::string shared = mine(a1, 1, 1);
    b1.result(rpc::kSubmitBlock, {{"block", a1.result(rpc::kGetBlock, {{"height", 1}})["hex"]}});
    REQUIRE(step::test::wait_for_tip({&a2, &b1, &b2}, shared));

    // Group A confirms a transfer in a short branch; group B mines a longer one without it.
    const std::string txid =
        a2.result(rpc::kSendTransaction, {{"tx", transfer_hex(1, 2, 0, 777)}})["txid"];
    REQUIRE(wait_until([&] { return tx_status(a1, txid) == "mempool"; }));
    const std::string losing = mine(a1, 2, 4);
    const std::string winning = mine(b2, 6, 5);
    REQUIRE(step::test::wait_for_tip({&a2}, losing));
    REQUIRE(step::test::wait_for_tip({&b1}, winning));
    CHECK(tx_status(a2, txid) == "confirmed");
    CHECK(tx_status(b1, txid) == "");
    const std::string work_a = a1.result(rpc::kGetChainInfo)["cumulative_work"];
    const std::string work_b = b1.result(rpc::kGetChainInfo)["cumulative_work"];
    REQUIRE(work_a.size() == work_b.size());  // fixed-width hex: compares as numbers
    REQUIRE(work_b > work_a);

    // Heal: a1 is told about b1 and keeps it connected.
    a1.result(rpc::kAddNode, {{"address", p2p_address(b1)}, {"command", rpc::kAddNodeAdd}});
    REQUIRE(step::test::wait_for_tip({&a1, &a2, &b1, &b2}, winning));
    for (const StepdProcess* n : {&a1, &a2}) {
        CHECK(tx_status(*n, txid) == "mempool");
        CHECK(balance(*n, 2) == "0");
    }
    // The returned transaction is relayed on to the winning side's mempools too.
    REQUIRE(wait_until(
        [&] { return tx_status(b1, txid) == "mempool" && tx_status(b2, txid) == "mempool"; }));

    // Everyone's state equals a replay of the winning chain: a fresh node that syncs it.
    StepdProcess fresh(root + "/fresh", {"--connect", p2p_address(b1), "--no-listen"});
    REQUIRE(fresh.start());
    REQUIRE(step::test::wait_for_tip({&fresh}, winning));
    for (const StepdProcess* n : {&a1, &a2, &b1, &b2}) step::test::check_same_state(fresh, *n);
    std::filesystem::remove_all(root);
}
