// Read-only commands: balance, tx show, chain info, task list, task show. None asks for a passphrase or a cookie.
#include <algorithm>
#include <optional>

#include "common/rpc_methods.h"
#include "wallet/commands.h"
#include "wallet/errors.h"

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

// "cancelled", "done" or "open", from a task's or a progress answer's flags (a cancelled task
// is also done once no unit is in flight; it reads as cancelled).
std::string task_state(const json& t) {
    if (t.value("cancelled", false)) return "cancelled";
    return t.value("done", false) ? "done" : "open";
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
        return Status::error(codes::kBadTxid, "'" + txid + "' is not a txid (64 hex digits)");
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
                          "cumulative_work", "mempool_size", "pool", "best_header_height",
                          "initial_sync"}) {
        if (!out.json.contains(k)) continue;
        const json& v = out.json[k];
        std::string label = std::string(k) + ":";
        label.resize(std::max<size_t>(label.size() + 1, 17), ' ');
        out.text += label + (v.is_string() ? v.get<std::string>() : v.dump()) +
                    (std::string(k) == "pool" ? " STEP" : "") + "\n";
    }
    return out;
}

Result<CommandOutput> cmd_task_list(Context& ctx, const CommandArgs& args) {
    // args: the words after "task list": nothing (open tasks) or "all".
    if (args.size() > 1 || (args.size() == 1 && args[0] != "all"))
        return usage("expected: task list [all]");
    const std::string status = args.empty() ? "open" : "all";
    auto rpc = ctx.rpc();
    if (!rpc.ok()) return rpc.status();
    CommandOutput out;
    out.json = {{"status", status}, {"tasks", json::array()}};
    json params = {{"status", status}, {"limit", rpc::kMaxListTasks}};
    // Pages until the node says there are no more, so the list is complete at some height.
    for (;;) {
        auto res = rpc->call(rpc::kListTasks, params, RpcAuth::kNone);
        if (!res.ok()) return res.status();
        if (!res->contains("tasks") || !(*res)["tasks"].is_array())
            return Status::error(codes::kBadResponse, "listtasks answered without a task list");
        for (json t : (*res)["tasks"]) {
            amounts_to_step(t, {"budget", "escrow", "unit_pay", "unit_bond", "audit_fee"});
            out.json["tasks"].push_back(t);
        }
        if (!res->value("more", false) || (*res)["tasks"].empty()) break;
        params["start_after"] = (*res)["tasks"].back().value("task_id", std::string());
    }
    out.text = out.json["tasks"].empty() ? "no " + std::string(status == "open" ? "open " : "") + "tasks\n" : "";
    for (const json& t : out.json["tasks"]) {
        const std::string state = task_state(t);
        out.text += t.value("task_id", std::string("?")) + "  " + state + "  " +
                    t.value("model", std::string("?")) + "  rounds final " +
                    std::to_string(t.value("finalised_rounds", 0)) + "/" +
                    std::to_string(t.value("rounds", 0)) + " (" +
                    std::to_string(t.value("units_per_round", 0)) + " units each)  pay " +
                    t.value("unit_pay", std::string("?")) + " STEP/unit  bond " +
                    t.value("unit_bond", std::string("?")) + " STEP  escrow " +
                    t.value("escrow", std::string("?")) + " STEP\n";
    }
    return out;
}

namespace {

// How many more units the escrow pays (each unit's pay includes its audits' fees) against the
// units not yet final; nullopt when the answers lack the numbers (a node older than this wallet).
struct EscrowRunway {
    uint64_t units_paid = 0;
    uint64_t units_left = 0;
};
std::optional<EscrowRunway> escrow_runway(const json& task, const json& progress) {
    auto escrow = json_u64(task, "escrow");
    auto unit_pay = json_u64(task, "unit_pay");
    auto total = json_u64(progress, "units_total");
    auto final_units = json_u64(progress, "units_final");
    if (!escrow.ok() || !unit_pay.ok() || !total.ok() || !final_units.ok() || *unit_pay == 0 ||
        *final_units > *total)
        return std::nullopt;
    const bool closed = task.value("done", false) || task.value("cancelled", false);
    return EscrowRunway{*escrow / *unit_pay, closed ? 0 : *total - *final_units};
}

}  // namespace

Result<CommandOutput> cmd_task_show(Context& ctx, const std::string& task_id) {
    if (!hash_from_hex(task_id))
        return Status::error(codes::kBadTaskId, "'" + task_id + "' is not a task id (64 hex digits)");
    auto rpc = ctx.rpc();
    if (!rpc.ok()) return rpc.status();
    auto task = rpc->call(rpc::kGetTask, {{"task_id", task_id}}, RpcAuth::kNone);
    if (!task.ok()) return task.status();
    auto progress = rpc->call(rpc::kGetTaskProgress, {{"task_id", task_id}}, RpcAuth::kNone);
    if (!progress.ok()) return progress.status();
    CommandOutput out;
    out.json = *task;
    const std::optional<EscrowRunway> runway = escrow_runway(*task, *progress);
    if (runway)
        out.json["runway"] = {{"units_paid_by_escrow", runway->units_paid},
                              {"units_left", runway->units_left},
                              {"short", runway->units_paid < runway->units_left}};
    amounts_to_step(out.json, {"budget", "escrow", "unit_pay", "unit_bond", "audit_fee"});
    out.json["progress"] = *progress;
    amounts_to_step(out.json["progress"], {"escrow"});
    const json& t = out.json;
    const json& p = out.json["progress"];
    out.text = "task:      " + task_id + "\nowner:     " + t.value("owner", std::string("?")) +
               "\nstate:     " + task_state(p) +
               "\nunits:     " + std::to_string(p.value("units_final", 0)) + " of " +
               std::to_string(p.value("units_total", 0)) + " final (" +
               std::to_string(t.value("rounds", 0)) + " rounds x " +
               std::to_string(t.value("units_per_round", 0)) + ")";
    if (p.contains("units_by_status") && p["units_by_status"].is_object()) {
        std::string by;
        for (const auto& [name, n] : p["units_by_status"].items())
            by += (by.empty() ? "" : ", ") + std::to_string(n.get<uint64_t>()) + " " + name;
        out.text += ": " + by;
    }
    out.text += "\nescrow:    " + t.value("escrow", std::string("?")) + " STEP of " +
                t.value("budget", std::string("?")) + " STEP\nunit pay:  " +
                t.value("unit_pay", std::string("?")) + " STEP (bond " +
                t.value("unit_bond", std::string("?")) + " STEP)\n";
    if (runway) {
        out.text += "runway:    the escrow pays " + std::to_string(runway->units_paid) +
                    " more unit(s); " + std::to_string(runway->units_left) + " not final\n";
        if (runway->units_paid < runway->units_left)
            out.text += "warning:   the escrow cannot pay for the remaining units and their audits\n";
    }
    if (p.contains("committed_units"))
        for (const json& u : p["committed_units"]) {
            out.text += "  round " + std::to_string(u.value("round", 0)) + " unit " +
                        std::to_string(u.value("unit", 0)) + ": " + u.value("status", std::string("?")) +
                        ", solver " + u.value("solver", std::string("?")) + ", loss " +
                        (u.contains("reported_loss") && u["reported_loss"].is_number()
                             ? std::to_string(u["reported_loss"].get<double>())
                             : std::string("non-finite")) + "\n";
        }
    return out;
}

}  // namespace step::wallet
