// Commands that change the chain: send, bond, unbond, task submit (signed transactions) and
// generate.
#include <chrono>

#include "common/rpc_methods.h"
#include "consensus/market_state.h"
#include "consensus/params.h"
#include "kernels/data.h"
#include "wallet/blob_transfer.h"
#include "wallet/commands.h"
#include "wallet/task_spec_check.h"
#include "wallet/tx_builder.h"
#include "consensus/errors.h"
#include "wallet/errors.h"

namespace step::wallet {
namespace {

using nlohmann::json;

std::string step_text(Amount a) { return format_step_amount(a) + " STEP"; }

// A node on another network would reject the signature's chain id with a cryptic code; say it.
Status check_node_network(const Context& ctx, const RpcClient& rpc) {
    auto info = rpc.call(rpc::kGetChainInfo, json::object(), RpcAuth::kNone);
    if (!info.ok()) return info.status();
    auto chain_id = json_u64(*info, "chain_id");
    if (!chain_id.ok()) return chain_id.status();
    if (*chain_id != ctx.params->chain_id)
        return Status::error(codes::kNetworkMismatch,
                             "the node at " + rpc.url().text + " runs " +
                                 info->value("network", std::string("another network")) +
                                 " (chain id " + std::to_string(*chain_id) + "), not " +
                                 ctx.params->network + ": pass --network or --rpc");
    return Status();
}

// --fee if given, else the larger of the chain's MIN_FEE and the node's mempool minimum.
Result<Amount> choose_fee(const Context& ctx, const RpcClient& rpc) {
    if (ctx.options.fee) return parse_step_amount(*ctx.options.fee);
    Amount fee = Amount::from_units(ctx.params->min_fee);
    auto info = rpc.call(rpc::kGetMempoolInfo, json::object(), RpcAuth::kNone);
    if (info.ok()) {
        auto min = json_amount(*info, "min_fee");
        if (min.ok() && *min > fee) fee = *min;
    }
    return fee;
}

struct Account {
    Amount balance, solver_bond, verifier_bond;
    uint64_t next_nonce = 0;
};

Result<Account> fetch_account(const RpcClient& rpc, const std::string& address) {
    auto acc = rpc.call(rpc::kGetAccount, {{"address", address}}, RpcAuth::kNone);
    if (!acc.ok()) return acc.status();
    Account a;
    auto balance = json_amount(*acc, "balance");
    auto solver = json_amount(*acc, "solver_bond");
    auto verifier = json_amount(*acc, "verifier_bond");
    auto next = json_u64(*acc, "next_nonce");
    for (const Status& s : {balance.status(), solver.status(), verifier.status(), next.status()})
        if (!s.ok()) return s;
    a.balance = *balance;
    a.solver_bond = *solver;
    a.verifier_bond = *verifier;
    a.next_nonce = *next;
    return a;
}

// Checks funds that the node would check anyway, so a person sees the numbers before typing a
// passphrase. Pending mempool spends are not visible here; the node has the final word.
Status check_funds(Amount available, Amount needed, const char* what) {
    if (available < needed)
        return Status::error(consensus::codes::kInsufficientFunds, std::string(what) + " is " +
                                                       step_text(available) + ", " +
                                                       step_text(needed) + " needed");
    return Status();
}

Status confirm_or_yes(Context& ctx, const std::string& question) {
    if (ctx.options.yes) return Status();
    if (!ctx.terminal->interactive())
        return Status::error(codes::kConfirmationNeeded,
                             "stdin is not a terminal: pass -y to skip the confirmation");
    auto answer = ctx.terminal->confirm(question);
    if (!answer.ok()) return answer.status();
    if (!*answer) return Status::error(codes::kCancelled, "cancelled");
    return Status();
}

// The steps every signed command shares once its payload is known.
struct Prepared {
    KeyRecord key;
    RpcClient rpc;
    Account account;
    TxContext tx;
};

Result<Prepared> prepare(Context& ctx) {
    auto key = ctx.signing_key();
    if (!key.ok()) return key.status();
    auto rpc = ctx.rpc();
    if (!rpc.ok()) return rpc.status();
    // Sending needs the cookie: fail now rather than after the passphrase prompt.
    auto cookie = rpc->credentials();
    if (!cookie.ok()) return cookie.status();
    STEP_TRY(check_node_network(ctx, *rpc));
    auto fee = choose_fee(ctx, *rpc);
    if (!fee.ok()) return fee.status();
    auto account = fetch_account(*rpc, key->identity.address);
    if (!account.ok()) return account.status();
    return Prepared{*key, *rpc, *account, TxContext{ctx.params, account->next_nonce, *fee}};
}

Result<std::string> submit(const Prepared& p, const SignedTx& tx) {
    auto res = p.rpc.call(rpc::kSendTransaction, {{"tx", to_hex(tx.bytes)}}, RpcAuth::kRequired);
    if (!res.ok()) return res.status();
    auto txid = json_string(*res, "txid");
    if (!txid.ok()) return txid.status();
    if (*txid != tx.txid)
        return Status::error(codes::kRpcBadResponse, "the node reports txid " + *txid +
                                                     " for a transaction whose txid is " +
                                                     tx.txid);
    return *txid;
}

}  // namespace

Result<CommandOutput> cmd_send(Context& ctx, const CommandArgs& args) {
    if (args.size() != 2) return usage("expected: send TO AMOUNT [--from NAME] [--fee F]");
    auto amount = parse_step_amount(args[1]);
    if (!amount.ok()) return amount.status();
    auto to = ctx.resolve_address(args[0]);
    if (!to.ok()) return to.status();
    auto p = prepare(ctx);
    if (!p.ok()) return p.status();
    auto total = checked_add(*amount, p->tx.fee);
    if (!total.ok()) return total.status();
    STEP_TRY(check_funds(p->account.balance, *total, "the balance"));
    STEP_TRY(confirm_or_yes(ctx, "Send " + step_text(*amount) + " to " + *to + "\n  from " +
                                     p->key.name + " (" + p->key.identity.address +
                                     ")\n  fee " + step_text(p->tx.fee) + "\nProceed?"));
    auto seed = ctx.unlock(p->key);
    if (!seed.ok()) return seed.status();
    auto tx = build_transfer(p->tx, *seed, *to, *amount);
    if (!tx.ok()) return tx.status();
    auto txid = submit(*p, *tx);
    if (!txid.ok()) return txid.status();
    return CommandOutput{{{"txid", *txid},
                          {"from", p->key.identity.address},
                          {"to", *to},
                          {"amount", format_step_amount(*amount)},
                          {"fee", format_step_amount(p->tx.fee)},
                          {"nonce", p->tx.nonce}},
                         *txid + "\n"};
}

Result<CommandOutput> cmd_bond(Context& ctx, const CommandArgs& args, bool unbond) {
    const char* verb = unbond ? "unbond" : "bond";
    if (args.size() != 2)
        return usage(std::string("expected: ") + verb + " solver|verifier AMOUNT");
    auto role = parse_bond_role(args[0]);
    if (!role.ok()) return role.status();
    auto amount = parse_step_amount(args[1]);
    if (!amount.ok()) return amount.status();
    auto p = prepare(ctx);
    if (!p.ok()) return p.status();
    if (unbond) {
        Amount bond = *role == BondRole::kSolver ? p->account.solver_bond
                                                 : p->account.verifier_bond;
        STEP_TRY(check_funds(bond, *amount, "the bond"));
        STEP_TRY(check_funds(p->account.balance, p->tx.fee, "the balance"));
    } else {
        auto total = checked_add(*amount, p->tx.fee);
        if (!total.ok()) return total.status();
        STEP_TRY(check_funds(p->account.balance, *total, "the balance"));
    }
    std::string role_name(bond_role_name(*role));
    STEP_TRY(confirm_or_yes(ctx, std::string(unbond ? "Unbond " : "Bond ") + step_text(*amount) +
                                     " as " + role_name + "\n  key " + p->key.name + " (" +
                                     p->key.identity.address + ")\n  fee " +
                                     step_text(p->tx.fee) + "\nProceed?"));
    auto seed = ctx.unlock(p->key);
    if (!seed.ok()) return seed.status();
    auto tx = build_bond(p->tx, *seed, *role, *amount, unbond);
    if (!tx.ok()) return tx.status();
    auto txid = submit(*p, *tx);
    if (!txid.ok()) return txid.status();
    return CommandOutput{{{"txid", *txid},
                          {"address", p->key.identity.address},
                          {"action", verb},
                          {"role", role_name},
                          {"amount", format_step_amount(*amount)},
                          {"fee", format_step_amount(p->tx.fee)},
                          {"nonce", p->tx.nonce}},
                         *txid + "\n"};
}

namespace {

// The spec's training records, as the blob a node finds by the dataset root (records only).
Result<UploadResult> upload_dataset(const RpcClient& rpc, const kernels::TaskSpec& spec) {
    auto format = kernels::record_format(spec.data_format);
    if (!format.ok()) return format.status();
    auto ds = kernels::load_records(spec.train_path, *format);
    if (!ds.ok()) return ds.status();
    return upload_blob(rpc, ds->bytes);
}

}  // namespace

Result<CommandOutput> cmd_task_submit(Context& ctx, const std::string& path) {
    // The same checks as `task validate`: nothing leaves the machine that a block would refuse.
    auto s = load_spec_for_chain(path);
    if (!s.ok()) return s.status();
    auto costs = consensus::validate_market_spec(s->onchain, s->spec.budget, s->spec.unit_bond,
                                                 *ctx.params);
    if (!costs.ok()) return costs.status();
    auto p = prepare(ctx);
    if (!p.ok()) return p.status();
    const Amount budget = Amount::from_units(s->spec.budget);
    const Amount unit_bond = Amount::from_units(s->spec.unit_bond);
    auto total = checked_add(budget, p->tx.fee);
    if (!total.ok()) return total.status();
    STEP_TRY(check_funds(p->account.balance, *total, "the balance"));
    STEP_TRY(confirm_or_yes(ctx, "Submit task " + path + ": " + std::to_string(costs->rounds) +
                                     " rounds x " + std::to_string(s->spec.units_per_round) +
                                     " units\n  budget " + step_text(budget) + " (escrowed), unit bond " +
                                     step_text(unit_bond) + "\n  owner " + p->key.name + " (" +
                                     p->key.identity.address + ")\n  fee " +
                                     step_text(p->tx.fee) + "\nProceed?"));
    auto seed = ctx.unlock(p->key);
    if (!seed.ok()) return seed.status();
    // The dataset travels with the task: solvers and verifiers fetch it by its root through
    // their nodes. Sent before the task, so it is there when the task is; only missing chunks.
    auto dataset = upload_dataset(p->rpc, s->spec);
    if (!dataset.ok()) return dataset.status();
    auto tx = build_submit_task(p->tx, *seed, s->onchain, s->spec.budget, s->spec.unit_bond);
    if (!tx.ok()) return tx.status();
    auto txid = submit(*p, *tx);
    if (!txid.ok()) return txid.status();
    // The chain names the task after its owner and the SubmitTask's nonce.
    auto owner = consensus::decode_address(p->key.identity.address);
    if (!owner.ok()) return owner.status();
    const std::string task_id = to_hex(consensus::task_id_for(*owner, p->tx.nonce));
    return CommandOutput{{{"txid", *txid},
                          {"task_id", task_id},
                          {"owner", p->key.identity.address},
                          {"budget", format_step_amount(budget)},
                          {"unit_bond", format_step_amount(unit_bond)},
                          {"rounds", costs->rounds},
                          {"units", costs->units},
                          {"fee", format_step_amount(p->tx.fee)},
                          {"nonce", p->tx.nonce},
                          {"dataset_blob", to_hex(dataset->root)},
                          {"dataset_chunks_uploaded", dataset->uploaded}},
                         "txid " + *txid + "\ntask " + task_id + "\ndataset blob " + to_hex(dataset->root) + " (" +
                             std::to_string(dataset->uploaded) + " of " + std::to_string(dataset->chunks) +
                             " chunks uploaded)\n"};
}

Result<CommandOutput> cmd_generate(Context& ctx, const CommandArgs& args) {
    if (args.size() != 1) return usage("expected: generate N");
    auto count = parse_base_units(args[0]);
    if (!count.ok() || count->units() == 0)
        return usage("generate needs a positive block count, not '" + args[0] + "'");
    if (!ctx.params->allow_generate)
        return Status::error(codes::kNotDevnet, "generate works on devnet only (--network devnet)");
    auto key = ctx.signing_key();
    if (!key.ok()) return key.status();
    auto rpc = ctx.rpc();
    if (!rpc.ok()) return rpc.status();
    // Mining many blocks takes a while even at devnet difficulty.
    rpc->set_timeout(std::chrono::seconds(600));
    auto res = rpc->call(rpc::kGenerate,
                         {{"count", count->units()}, {"address", key->identity.address}},
                         RpcAuth::kRequired);
    if (!res.ok()) return res.status();
    auto height = json_u64(*res, "height");
    if (!height.ok()) return height.status();
    CommandOutput out;
    out.json = *res;
    out.json["address"] = key->identity.address;
    out.text = "mined " + std::to_string(count->units()) + " block(s) to " +
               key->identity.address + ", height " + std::to_string(*height) + "\n";
    return out;
}

}  // namespace step::wallet
