// Read-only commands: balance, tx show, chain info. None asks for a passphrase or a cookie.
#include "node/rpc_methods.h"
#include "wallet/commands.h"

namespace step::wallet {
namespace {

using nlohmann::json;

std::string step_text(Amount a) { return format_step_amount(a) + " STEP"; }

// Rewrites base-unit string fields of `j` as STEP decimal strings (the wallet's JSON unit).
void amounts_to_step(json& j, std::initializer_list<const char*> keys) {
    for (const char* k : keys) {
        auto a = json_amount(j, k);
        if (a.ok()) j[k] = format_step_amount(*a);
    }
}

// Copies getaccount's list `key` (unbonding entries, or immature mining rewards) into the output
// with amounts in STEP; an absent list is an empty one.
Status add_locked_entries(const json& acc, const char* key, const std::string& label,
                          CommandOutput& out) {
    out.json[key] = json::array();
    if (!acc.contains(key) || !acc[key].is_array()) return Status();
    for (const json& e : acc[key]) {
        auto amount = json_amount(e, "amount");
        auto release = json_u64(e, "release_height");
        if (!amount.ok()) return amount.status();
        if (!release.ok()) return release.status();
        json entry = {{"amount", format_step_amount(*amount)}, {"release_height", *release}};
        std::string role;
        if (e.contains("role") && e["role"].is_string()) {
            role = e["role"].get<std::string>();
            entry["role"] = role;
        }
        out.json[key].push_back(entry);
        out.text += label + " " + step_text(*amount) + (role.empty() ? "" : " (" + role + ")") +
                    ", released at height " + std::to_string(*release) + "\n";
    }
    return Status();
}

}  // namespace

Result<CommandOutput> cmd_balance(Context& ctx, const CommandArgs& args) {
    if (args.size() > 1) return usage("expected: balance [NAME|ADDRESS]");
    auto address = ctx.resolve_address(args.empty() ? std::nullopt
                                                    : std::optional<std::string>(args[0]));
    if (!address.ok()) return address.status();
    auto rpc = ctx.rpc();
    if (!rpc.ok()) return rpc.status();
    auto acc = rpc->call(rpc::kGetAccount, {{"address", *address}}, RpcAuth::kNone);
    if (!acc.ok()) return acc.status();

    auto balance = json_amount(*acc, "balance");
    auto nonce = json_u64(*acc, "nonce");
    auto next_nonce = json_u64(*acc, "next_nonce");
    auto solver = json_amount(*acc, "solver_bond");
    auto verifier = json_amount(*acc, "verifier_bond");
    for (const Status& s : {balance.status(), nonce.status(), next_nonce.status(),
                            solver.status(), verifier.status()})
        if (!s.ok()) return s;

    CommandOutput out;
    out.json = {{"address", *address},
                {"balance", format_step_amount(*balance)},
                {"nonce", *nonce},
                {"next_nonce", *next_nonce},
                {"solver_bond", format_step_amount(*solver)},
                {"verifier_bond", format_step_amount(*verifier)}};
    out.text = "address:       " + *address + "\nbalance:       " + step_text(*balance) +
               "\nnonce:         " + std::to_string(*nonce) + " (next " +
               std::to_string(*next_nonce) + ")\nsolver bond:   " + step_text(*solver) +
               "\nverifier bond: " + step_text(*verifier) + "\n";
    STEP_TRY(add_locked_entries(*acc, "unbonding", "unbonding:    ", out));
    STEP_TRY(add_locked_entries(*acc, "immature", "immature:     ", out));
    return out;
}

Result<CommandOutput> cmd_tx(Context& ctx, const CommandArgs& args) {
    if (args.size() != 2 || args[0] != "show") return usage("expected: tx show TXID");
    const std::string& txid = args[1];
    if (!hash_from_hex(txid))
        return Status::error("bad-txid", "'" + txid + "' is not a txid (64 hex digits)");
    auto rpc = ctx.rpc();
    if (!rpc.ok()) return rpc.status();
    auto res = rpc->call(rpc::kGetTransaction, {{"txid", txid}}, RpcAuth::kNone);
    if (!res.ok()) return res.status();

    CommandOutput out;
    out.json = *res;
    if (out.json.contains("tx") && out.json["tx"].is_object()) {
        json& tx = out.json["tx"];
        amounts_to_step(tx, {"fee"});
        if (tx.contains("payload") && tx["payload"].is_object())
            amounts_to_step(tx["payload"], {"amount", "budget", "unit_bond"});
    }
    const json& tx = out.json.value("tx", json::object());
    out.text = "txid:    " + out.json.value("txid", txid) +
               "\nstatus:  " + out.json.value("status", std::string("?"));
    if (out.json.contains("height") && out.json["height"].is_number())
        out.text += " at height " + std::to_string(out.json["height"].get<uint64_t>());
    out.text += "\n";
    if (tx.is_object()) {
        out.text += "sender:  " + tx.value("sender", std::string("?")) + "\n";
        if (tx.contains("nonce")) out.text += "nonce:   " + tx["nonce"].dump() + "\n";
        if (tx.contains("fee") && tx["fee"].is_string())
            out.text += "fee:     " + tx["fee"].get<std::string>() + " STEP\n";
        if (tx.contains("payload")) out.text += "payload: " + tx["payload"].dump() + "\n";
    }
    return out;
}

Result<CommandOutput> cmd_chain(Context& ctx, const CommandArgs& args) {
    if (args.size() != 1 || args[0] != "info") return usage("expected: chain info");
    auto rpc = ctx.rpc();
    if (!rpc.ok()) return rpc.status();
    auto res = rpc->call(rpc::kGetChainInfo, json::object(), RpcAuth::kNone);
    if (!res.ok()) return res.status();
    CommandOutput out;
    out.json = *res;
    amounts_to_step(out.json, {"pool"});
    for (const char* k : {"network", "chain_id", "height", "best_hash", "state_root", "target",
                          "cumulative_work", "mempool_size", "pool"}) {
        if (!out.json.contains(k)) continue;
        const json& v = out.json[k];
        std::string label = std::string(k) + ":";
        label.resize(17, ' ');
        out.text += label + (v.is_string() ? v.get<std::string>() : v.dump()) +
                    (std::string(k) == "pool" ? " STEP" : "") + "\n";
    }
    return out;
}

}  // namespace step::wallet
