// net peers | net info: the node's peer-to-peer view (getpeerinfo, getnetworkinfo). Read-only:
// no passphrase, no cookie.
#include "common/rpc_methods.h"
#include "wallet/commands.h"

namespace step::wallet {
namespace {

using nlohmann::json;

std::string text_of(const json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_null()) return "-";
    return v.dump();
}

// "  block 1234, headers 567" from a {type: bytes} object.
std::string bytes_by_type(const json& m) {
    std::string out;
    if (!m.is_object()) return out;
    for (const auto& [type, n] : m.items())
        out += (out.empty() ? "" : ", ") + type + " " + n.dump();
    return out.empty() ? "-" : out;
}

Result<CommandOutput> net_peers(Context& ctx) {
    auto rpc = ctx.rpc();
    if (!rpc.ok()) return rpc.status();
    auto res = rpc->call(rpc::kGetPeerInfo, json::object(), RpcAuth::kNone);
    if (!res.ok()) return res.status();
    CommandOutput out;
    out.json = json{{"peers", *res}};
    if (!res->is_array() || res->empty()) out.text = "no peers\n";
    for (const json& p : res->is_array() ? *res : json::array()) {
        out.text += "peer " + text_of(p.value("id", json())) + "  " +
                    text_of(p.value("address", json())) + "  " +
                    (p.value("inbound", false) ? "inbound" : "outbound") + "  " +
                    text_of(p.value("user_agent", json())) + "\n";
        out.text += "  height " + text_of(p.value("best_known_height", json())) + ", ping " +
                    text_of(p.value("ping_ms", json())) + " ms, blocks in flight " +
                    text_of(p.value("blocks_in_flight", json())) + ", connected " +
                    text_of(p.value("connected_s", json())) + " s\n";
        out.text += "  sent: " + bytes_by_type(p.value("bytes_sent", json())) + "\n";
        out.text += "  received: " + bytes_by_type(p.value("bytes_received", json())) + "\n";
        const std::string why = p.value("misbehavior", std::string());
        if (!why.empty()) out.text += "  misbehaved: " + why + "\n";
    }
    return out;
}

Result<CommandOutput> net_info(Context& ctx) {
    auto rpc = ctx.rpc();
    if (!rpc.ok()) return rpc.status();
    auto res = rpc->call(rpc::kGetNetworkInfo, json::object(), RpcAuth::kNone);
    if (!res.ok()) return res.status();
    CommandOutput out;
    out.json = *res;
    for (const char* k :
         {"user_agent", "protocol_version", "listening", "connections", "inbound", "outbound",
          "known_addresses", "initial_sync", "tip_height", "best_header_height", "headers_received",
          "blocks_received", "txs_received"}) {
        if (!res->contains(k)) continue;
        std::string label = std::string(k) + ":";
        label.resize(20, ' ');
        out.text += label + text_of((*res)[k]) + "\n";
    }
    out.text += "bytes sent:         " + bytes_by_type(res->value("bytes_sent", json())) + "\n";
    out.text += "bytes received:     " + bytes_by_type(res->value("bytes_received", json())) + "\n";
    return out;
}

}  // namespace

Result<CommandOutput> cmd_net(Context& ctx, const CommandArgs& args) {
    if (args.size() == 1 && args[0] == "peers") return net_peers(ctx);
    if (args.size() == 1 && args[0] == "info") return net_info(ctx);
    return usage("expected: net peers | net info");
}

}  // namespace step::wallet
