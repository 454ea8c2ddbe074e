// The address book and the operator's connection controls against real stepd processes on
// 127.0.0.1 (issue 10, "Done means" 8, and docs/rpc.md "Network"): peers.dat survives a
// restart, a damaged one is set aside with its code and never stops the node, and addnode,
// disconnectnode, setban, listbanned and clearbanned steer two nodes end to end.
#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/coding.h"
#include "common/rpc_methods.h"
#include "node/net/errors.h"
#include "node/p2p/errors.h"
#include "node/p2p/peers_file.h"
#include "node/record_file.h"
#include "tests/functional/p2p_nodes.h"
#include "tests/functional/stepd_process.h"

using nlohmann::json;
using step::test::StepdProcess;
namespace rpc = step::rpc;
namespace p2p = step::node::p2p;
namespace net = step::node::net;

namespace {

using step::test::p2p_address;
using step::test::read_file;
using step::test::stop_cleanly;
using step::test::wait_until;

void write_file(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
}

// Starts `node` and returns what it logged during this start (the log file is appended to).
std::string start_and_log(StepdProcess& node) {
    const size_t before = node.log().size();
    REQUIRE(node.start());
    return node.log().substr(before);
}

uint64_t known_addresses(const StepdProcess& node) {
    return node.result(rpc::kGetNetworkInfo)["known_addresses"];
}

// A peers.dat damaged in one way, and the code it must be set aside with.
struct Damage {
    std::string what;
    std::string bytes;
    step::ErrorCode code;
};

std::vector<Damage> damaged_versions(const std::string& good) {
    std::string bad_checksum = good;
    bad_checksum.back() = static_cast<char>(bad_checksum.back() ^ 0x01);
    std::string wrong_version = good;  // the u32 after the magic (node/record_file.h)
    step::Bytes version;
    step::append_u32le(version, p2p::kPeersFileVersion + 1);
    wrong_version.replace(step::node::kRecordFileMagicBytes, version.size(),
                          std::string(version.begin(), version.end()));
    return {
        {"truncated", good.substr(0, good.size() / 2), p2p::codes::kPeersFileTruncated},
        {"bad checksum", bad_checksum, p2p::codes::kPeersFileChecksum},
        {"wrong version", wrong_version, p2p::codes::kPeersFileVersion},
        {"garbage", std::string(200, '\x5a'), p2p::codes::kPeersFileMagic},
        {"empty", "", p2p::codes::kPeersFileTruncated},
        {"trailing data", good + "extra", p2p::codes::kPeersFileTrailingData},
    };
}

}  // namespace

TEST_CASE("peers.dat is loaded on restart and a damaged one is set aside with its code", "[p2p]") {
    const std::string root = step::test::make_temp_dir("p2p-peers-file");
    StepdProcess seed(root + "/seed");
    REQUIRE(seed.start());
    StepdProcess node(root + "/node", {"--connect", p2p_address(seed), "--no-listen"});
    REQUIRE(node.start());
    REQUIRE(step::test::wait_for_peer(node, seed));
    REQUIRE(wait_until([&] { return known_addresses(node) > 0; }));
    stop_cleanly(node);  // saves peers.dat
    const std::string peers_path = p2p::peers_file_path(node.datadir());
    const std::string bad_path = peers_path + std::string(step::node::kBadFileSuffix);
    const std::string good = read_file(peers_path);
    const auto saved = p2p::decode_peers_file(step::as_bytes(good));
    REQUIRE(saved.ok());
    const std::string known = std::to_string(saved->size());
    REQUIRE(saved->size() > 0);

    const std::string loaded = start_and_log(node);
    INFO(loaded);
    CHECK(loaded.find("loaded " + known + " of " + known + " addresses") != std::string::npos);
    CHECK(known_addresses(node) >= saved->size());
    CHECK_FALSE(std::filesystem::exists(bad_path));
    stop_cleanly(node);

    for (const Damage& damage : damaged_versions(good)) {
        INFO(damage.what);
        write_file(peers_path, damage.bytes);
        const std::string log = start_and_log(node);  // starts and reaches ready
        INFO(log);
        CHECK(log.find(std::string(damage.code.name)) != std::string::npos);
        CHECK(std::filesystem::exists(bad_path));
        CHECK(read_file(bad_path) == damage.bytes);
        // The node works: it reconnects to its peer and saves a good book again at stop.
        CHECK(step::test::wait_for_peer(node, seed));
        stop_cleanly(node);
        CHECK(p2p::decode_peers_file(step::as_bytes(read_file(peers_path))).ok());
    }
    std::filesystem::remove_all(root);
}

TEST_CASE("addnode disconnectnode setban listbanned and clearbanned steer two nodes", "[p2p]") {
    const std::string root = step::test::make_temp_dir("p2p-net-control");
    // A logs at debug level: the refused connections of a banned peer are debug lines.
    StepdProcess a(root + "/a", {"--log-level", "debug"});
    REQUIRE(a.start());
    // B keeps A connected (--addnode) and does not listen, so A never dials it: there is only
    // ever the one connection, B's.
    StepdProcess b(root + "/b", {"--addnode", p2p_address(a), "--no-listen"});
    REQUIRE(b.start());
    json b_at_a;  // B as A's getpeerinfo shows it
    const auto b_connected = [&] {
        const auto peers = step::test::ready_peers(a);
        b_at_a = peers.size() == 1 ? peers[0] : json();
        return b_at_a.is_object();
    };
    REQUIRE(wait_until(b_connected));

    // The steering methods need the cookie; the reads do not.
    for (const char* method :
         {rpc::kAddNode, rpc::kDisconnectNode, rpc::kSetBan, rpc::kListBanned, rpc::kClearBanned}) {
        INFO(method);
        int status = 0;
        const json denied = a.call(method, json::object(), false, &status);
        CHECK(status == 401);
        CHECK(denied["error"]["code"] == rpc::kErrUnauthorized);
    }
    for (const char* method : {rpc::kGetPeerInfo, rpc::kGetNetworkInfo})
        CHECK(a.call(method, json::object(), false).contains("result"));

    // addnode: a devnet node dials loopback only; removing what was never added is not found.
    const json refused =
        a.call(rpc::kAddNode, {{"address", "10.0.0.1:18444"}, {"command", rpc::kAddNodeAdd}});
    CHECK(refused["error"]["code"] == rpc::kErrInvalidParams);
    CHECK(refused["error"]["data"]["code"] == std::string(net::codes::kDialRefused.name));
    const json unknown =
        a.call(rpc::kAddNode, {{"address", p2p_address(b)}, {"command", rpc::kAddNodeRemove}});
    CHECK(unknown["error"]["code"] == rpc::kErrNotFound);
    CHECK(unknown["error"]["data"]["code"] == std::string(p2p::codes::kUnknownAddnode.name));

    // disconnectnode by id, then by the address getpeerinfo shows: B's addnode dials A again.
    const json first = b_at_a;
    CHECK(a.result(rpc::kDisconnectNode, {{"id", first["id"]}})["disconnected"] == true);
    REQUIRE(wait_until([&] { return b_connected() && b_at_a["id"] != first["id"]; }));
    const json second = b_at_a;
    CHECK(a.result(rpc::kDisconnectNode, {{"address", second["address"]}})["disconnected"] == true);
    REQUIRE(wait_until([&] { return b_connected() && b_at_a["id"] != second["id"]; }));
    CHECK(a.call(rpc::kDisconnectNode, {{"id", 999999}})["error"]["code"] == rpc::kErrNotFound);

    // setban closes the banned host's connections; B's redials are refused, and A dials no
    // address of that host either.
    const json ban =
        a.result(rpc::kSetBan,
                 {{"address", "127.0.0.1"}, {"command", rpc::kSetBanAdd}, {"duration_s", 3600}});
    CHECK(ban["duration_s"] == 3600);
    const size_t log_at_ban = a.log().size();
    a.result(rpc::kAddNode, {{"address", p2p_address(b)}, {"command", rpc::kAddNodeOneTry}});
    REQUIRE(wait_until([&] {
        const std::string log = a.log().substr(log_at_ban);
        return log.find("refused inbound") != std::string::npos &&
               log.find(std::string(net::codes::kAddressBanned.name)) != std::string::npos;
    }));
    CHECK(step::test::ready_peers(a).empty());
    CHECK(step::test::ready_peers(b).empty());
    const json banned = a.result(rpc::kListBanned);
    REQUIRE(banned.size() == 1);
    CHECK(banned[0]["address"] == "127.0.0.1");
    CHECK(banned[0]["manual"] == true);

    // setban remove lifts it once; clearbanned lifts all, and B's next redial gets in.
    CHECK(a.result(rpc::kSetBan,
                   {{"address", "127.0.0.1"}, {"command", rpc::kSetBanRemove}})["command"] ==
          rpc::kSetBanRemove);
    CHECK(a.call(rpc::kSetBan,
                 {{"address", "127.0.0.1"}, {"command", rpc::kSetBanRemove}})["error"]["code"] ==
          rpc::kErrNotFound);
    a.result(rpc::kSetBan, {{"address", "127.0.0.1"}, {"command", rpc::kSetBanAdd}});
    CHECK(a.result(rpc::kClearBanned)["cleared"] == 1);
    CHECK(a.result(rpc::kListBanned).empty());
    REQUIRE(wait_until(b_connected));
    REQUIRE(step::test::wait_for_peer(b, a));
    std::filesystem::remove_all(root);
}
