#include "node/rpc/net_methods.h"

#include <nlohmann/json.hpp>

#include "common/rpc_methods.h"
#include "node/net/errors.h"
#include "node/p2p/limits.h"
#include "node/rpc/params.h"

namespace step::node {

using nlohmann::json;
using namespace rpc_params;

namespace {

struct NetContext {
    Network* network;
};

json optional_ms(const std::optional<int64_t>& ms) {
    return ms ? json(*ms) : json(nullptr);
}

json peer_json(const p2p::PeerInfo& p, int64_t now_ms) {
    return {{"id", p.id},
            {"address", p.address.to_string()},
            {"local", p.local.to_string()},
            {"listening", p.listening ? json(p.listening->to_string()) : json(nullptr)},
            {"inbound", p.inbound},
            {"handshake_done", p.handshake_done},
            {"version", p.version},
            {"services", p.services},
            {"user_agent", p.user_agent},  // the peer's own text: shown, never interpreted
            {"start_height", p.start_height},
            {"start_work", p.start_work_hex},
            {"best_known_height", p.best_known_height},
            {"ping_ms", optional_ms(p.ping_ms)},
            {"min_ping_ms", optional_ms(p.min_ping_ms)},
            {"connected_s", (now_ms - p.connected_ms) / 1000},
            {"bytes_sent", p.bytes_sent},
            {"bytes_received", p.bytes_received},
            {"blocks_in_flight", p.blocks_in_flight},
            {"blocks_received", p.blocks_received},
            {"txs_received", p.txs_received},
            {"misbehavior", p.misbehavior}};
}

json get_peer_info(const NetContext& c, const json&) {
    json out = json::array();
    const int64_t now = c.network->now_ms();
    for (const auto& p : c.network->peers()) out.push_back(peer_json(p, now));
    return out;
}

json get_network_info(const NetContext& c, const json&) {
    const NetworkSummary s = c.network->summary();
    return {{"user_agent", kStepdUserAgent},
            {"protocol_version", p2p::kProtocolVersion},
            {"listening", s.listening ? json(s.listening->to_string()) : json(nullptr)},
            {"connections", s.inbound + s.outbound},
            {"inbound", s.inbound},
            {"outbound", s.outbound},
            {"known_addresses", s.known_addresses},
            {"initial_sync", s.initial_sync},
            {"tip_height", s.tip_height},
            {"best_header_height", s.best_header_height},
            {"headers_received", s.counters.headers_received},
            {"blocks_received", s.counters.blocks_received},
            {"txs_received", s.counters.txs_received},
            {"blob_chunks_received", s.counters.blob_chunks_received},
            {"blob_chunks_sent", s.counters.blob_chunks_sent},
            {"blobs_fetched", s.counters.blobs_fetched},
            {"bytes_sent", s.counters.bytes_sent},
            {"bytes_received", s.counters.bytes_received},
            {"discouraged", s.counters.discouraged}};
}

// HOST:PORT, or a bare HOST where `default_port` is given (setban acts on hosts).
net::Endpoint require_endpoint(const json& params, std::optional<uint16_t> default_port) {
    auto e = net::parse_endpoint(require_string(params, "address"), default_port);
    if (!e.ok()) throw RpcError(rpc::kErrInvalidParams, e.status());
    return *e;
}

json add_node(const NetContext& c, const json& params) {
    const net::Endpoint address = require_endpoint(params, std::nullopt);
    const std::string command = require_string(params, "command");
    AddNodeCommand cmd;
    if (command == rpc::kAddNodeAdd)
        cmd = AddNodeCommand::kAdd;
    else if (command == rpc::kAddNodeRemove)
        cmd = AddNodeCommand::kRemove;
    else if (command == rpc::kAddNodeOneTry)
        cmd = AddNodeCommand::kOneTry;
    else
        throw bad_params("param 'command' must be add, remove or onetry");
    if (Status s = c.network->add_node(address, cmd); !s.ok()) {
        const int code =
            s.category() == ErrorCategory::kNotFound ? rpc::kErrNotFound : rpc::kErrInvalidParams;
        throw RpcError(code, s);
    }
    return {{"address", address.to_string()}, {"command", command}};
}

json disconnect_node(const NetContext& c, const json& params) {
    bool done = false;
    if (params.contains("id")) {
        done = c.network->disconnect(require_u64(params, "id"));
    } else {
        done = c.network->disconnect(require_endpoint(params, std::nullopt));
    }
    if (!done) throw RpcError(rpc::kErrNotFound, "no such peer is connected");
    return {{"disconnected", true}};
}

json set_ban(const NetContext& c, const json& params) {
    // Bans are by host; a port, when given, is ignored.
    const net::Endpoint address = require_endpoint(params, uint16_t{1});
    const std::string command = require_string(params, "command");
    if (command == rpc::kSetBanRemove) {
        if (!c.network->unban(address))
            throw RpcError(rpc::kErrNotFound, address.host + " is not banned or discouraged");
        return {{"address", address.host}, {"command", command}};
    }
    if (command != rpc::kSetBanAdd) throw bad_params("param 'command' must be add or remove");
    uint64_t duration = rpc::kDefaultBanSeconds;
    if (params.contains("duration_s")) duration = require_u64(params, "duration_s");
    if (duration == 0) throw bad_params("param 'duration_s' must be at least 1");
    c.network->ban(address, duration);
    return {{"address", address.host}, {"command", command}, {"duration_s", duration}};
}

json list_banned(const NetContext& c, const json&) {
    json out = json::array();
    for (const auto& b : c.network->banned())
        out.push_back({{"address", b.entry.host},
                       {"until", b.entry.until},
                       {"reason", b.entry.reason},
                       {"manual", b.manual}});
    return out;
}

json clear_banned(const NetContext& c, const json&) {
    const size_t n = c.network->banned().size();
    c.network->clear_banned();
    return {{"cleared", n}};
}

// name (common/rpc_methods.h), needs the cookie credential, handler
constexpr RpcMethod<NetContext> kNetMethods[] = {
    {rpc::kGetPeerInfo, false, get_peer_info},
    {rpc::kGetNetworkInfo, false, get_network_info},
    {rpc::kAddNode, true, add_node},
    {rpc::kDisconnectNode, true, disconnect_node},
    {rpc::kSetBan, true, set_ban},
    {rpc::kListBanned, true, list_banned},
    {rpc::kClearBanned, true, clear_banned},
};

}  // namespace

void register_net_methods(RpcDispatcher& d, Network& network) {
    add_methods<NetContext>(d, kNetMethods, NetContext{&network});
}

}  // namespace step::node
