#include "node/rpc/chain_methods.h"

#include <nlohmann/json.hpp>

#include "common/rpc_methods.h"
#include "consensus/encoding.h"
#include "consensus/state.h"
#include "consensus/state_tree.h"
#include "consensus/transaction.h"
#include "node/rpc/params.h"

namespace step::node {

using nlohmann::json;
namespace cs = step::consensus;
using namespace rpc_params;

namespace {

std::string role_name(pb::BondRole r) {
    return r == pb::BOND_ROLE_SOLVER ? "solver" : r == pb::BOND_ROLE_VERIFIER ? "verifier" : "unspecified";
}

json payload_json(const pb::Transaction& tx) {
    switch (tx.payload_case()) {
        case pb::Transaction::kTransfer:
            return {{"type", "transfer"}, {"to", address_of(tx.transfer().to())}, {"amount", amount(tx.transfer().amount())}};
        case pb::Transaction::kBond:
            return {{"type", "bond"}, {"role", role_name(tx.bond().role())}, {"amount", amount(tx.bond().amount())}};
        case pb::Transaction::kUnbond:
            return {{"type", "unbond"}, {"role", role_name(tx.unbond().role())}, {"amount", amount(tx.unbond().amount())}};
        case pb::Transaction::kSubmitTask: return {{"type", "submit_task"}};
        case pb::Transaction::kCancelTask: return {{"type", "cancel_task"}};
        case pb::Transaction::kClaimUnit: return {{"type", "claim_unit"}};
        case pb::Transaction::kCommitUnit: return {{"type", "commit_unit"}};
        case pb::Transaction::kAuditCommit: return {{"type", "audit_commit"}};
        case pb::Transaction::kAuditReveal: return {{"type", "audit_reveal"}};
        case pb::Transaction::kOpenTrace: return {{"type", "open_trace"}};
        case pb::Transaction::kProofCommit: return {{"type", "proof_commit"}};
        case pb::Transaction::kFraudProof: return {{"type", "fraud_proof"}};
        case pb::Transaction::kDataChallenge: return {{"type", "data_challenge"}};
        case pb::Transaction::kDataResponse: return {{"type", "data_response"}};
        case pb::Transaction::PAYLOAD_NOT_SET: break;
    }
    return {{"type", "none"}};
}

json tx_json(const pb::Transaction& tx) {
    return {{"txid", to_hex(cs::txid(tx))},
            {"chain_id", tx.chain_id()},
            {"sender", cs::encode_address(cs::tx_sender(tx))},
            {"nonce", tx.nonce()},
            {"fee", amount(tx.fee())},
            {"payload", payload_json(tx)},
            {"size", cs::encode_tx(tx).size()}};
}

json header_json(const pb::BlockHeader& h) {
    return {{"version", h.version()},     {"height", h.height()},
            {"prev_hash", hex_of(h.prev_hash())}, {"timestamp", h.timestamp()},
            {"target", hex_of(h.target())}, {"nonce", h.nonce()},
            {"miner", address_of(h.miner())}, {"tx_root", hex_of(h.tx_root())},
            {"state_root", hex_of(h.state_root())}};
}

// What the chain methods read: the node, its chain and parameters, and the shutdown flag that
// ends a long `generate`.
struct ChainContext {
    Node* node;
    const std::atomic<bool>* stop;
    ChainManager& chain() const { return node->chain(); }
    const cs::Params& params() const { return node->params(); }
};

json get_chain_info(const ChainContext& c, const json&) {
    json out;
    c.chain().with_tip_state([&](const cs::KvRead& state, const cs::ChainTip& tip) {
        auto root = cs::state_tree_root(state);
        auto totals = cs::read_totals(state);
        if (!root.ok() || !totals.ok())
            throw RpcError(rpc::kErrInternal, "cannot read the chain state");
        out = {{"network", c.params().network}, {"chain_id", c.params().chain_id},
               {"height", tip.height},          {"best_hash", to_hex(tip.hash)},
               {"state_root", to_hex(*root)},  // computed from the stored tree
               {"target", tip.target.to_hex()}, {"cumulative_work", tip.cumulative_work.to_hex()},
               {"pool", amount(totals->pool)}};
    });
    out["mempool_size"] = c.node->mempool_info().size;
    // In initial sync while the best header chain (from peers) is ahead of the active chain.
    const uint64_t best_header = c.chain().best_header().height;
    out["best_header_height"] = best_header;
    out["initial_sync"] = best_header > out["height"].get<uint64_t>();
    return out;
}

// The block a getblock call names: by `hash`, or by `height` in the best chain.
Hash256 requested_block(const ChainManager& chain, const json& p) {
    if (p.contains("hash")) return require_hash(p, "hash");
    if (p.contains("height") && p["height"].is_number_unsigned()) {
        auto h = chain.hash_at_height(p["height"].get<uint64_t>());
        if (!h) throw RpcError(rpc::kErrNotFound, "no block at that height in the best chain");
        return *h;
    }
    throw bad_params("give 'height' (unsigned) or 'hash'");
}

json get_block(const ChainContext& c, const json& p) {
    const Hash256 hash = requested_block(c.chain(), p);
    auto block = c.chain().block(hash);
    auto info = c.chain().block_info(hash);
    if (!block || !info) throw RpcError(rpc::kErrNotFound, "block not found");
    const Bytes bytes = cs::encode_block(*block);
    json txs = json::array();
    for (const auto& tx : block->transactions()) txs.push_back(tx_json(tx));
    return json{{"hash", to_hex(hash)},
                {"height", info->height},
                {"header", header_json(block->header())},
                {"size", bytes.size()},
                {"txs", txs},
                {"in_best_chain", info->in_best_chain},
                {"hex", to_hex(bytes)}};
}

json send_transaction(const ChainContext& c, const json& p) {
    auto tx = cs::decode_tx(require_hex(p, "tx"));
    if (!tx.ok()) throw RpcError(rpc::kErrTxRejected, tx.status());
    auto id = c.node->submit_transaction(*tx);
    if (!id.ok()) throw RpcError(rpc::kErrTxRejected, id.status());
    return json{{"txid", to_hex(*id)}};
}

json get_transaction(const ChainContext& c, const json& p) {
    const Hash256 id = require_hash(p, "txid");
    // The active chain first: a block's transactions leave the mempool just after the tip moves,
    // so in between a confirmed transaction is in both, and "confirmed" is the true answer.
    auto where = c.chain().tx_block(id);
    auto block = where ? c.chain().block(*where) : std::nullopt;
    if (block) {
        for (const auto& tx : block->transactions()) {
            if (cs::txid(tx) != id) continue;
            return json{{"txid", to_hex(id)},
                        {"tx", tx_json(tx)},
                        {"status", "confirmed"},
                        {"block_hash", to_hex(*where)},
                        {"height", block->header().height()}};
        }
    }
    if (auto tx = c.node->mempool_tx(id))
        return json{{"txid", to_hex(id)}, {"tx", tx_json(*tx)}, {"status", "mempool"}};
    throw RpcError(rpc::kErrNotFound, "transaction not found");
}

json get_account(const ChainContext& c, const json& p) {
    const cs::Address addr = require_address(p, "address");
    json out;
    c.chain().with_tip_state([&](const cs::KvRead& state, const cs::ChainTip&) {
        auto a = cs::read_account(state, addr);
        if (!a.ok()) throw RpcError(rpc::kErrInternal, a.status());
        json unbonding = json::array();
        json locked = json::array();
        for (const auto& e : a->locked) {
            json entry = {{"amount", amount(e.amount)}, {"release_height", e.release_height}};
            if (e.kind == cs::LockKind::kCoinbase) {
                locked.push_back(entry);
            } else {
                entry["role"] = e.kind == cs::LockKind::kUnbondingSolver ? "solver" : "verifier";
                unbonding.push_back(entry);
            }
        }
        out = {{"address", cs::encode_address(addr)},
               {"balance", amount(a->balance)},
               {"nonce", a->nonce},
               {"next_nonce", c.node->next_nonce(addr, a->nonce)},
               {"solver_bond", amount(a->solver_bond)},
               {"verifier_bond", amount(a->verifier_bond)},
               {"unbonding", unbonding},
               {"immature", locked}};
    });
    return out;
}

json get_state_proof(const ChainContext& c, const json& p) {
    const cs::Address addr = require_address(p, "address");
    json out;
    c.chain().with_tip_state([&](const cs::KvRead& state, const cs::ChainTip& tip) {
        const Bytes key = cs::account_key(addr);
        auto root = cs::state_tree_root(state);
        auto proof = cs::make_state_proof(state, key);
        if (!root.ok() || !proof.ok()) throw RpcError(rpc::kErrInternal, "cannot build the proof");
        auto value = state.get(key);
        json items = json::array();
        for (const auto& item : cs::encode_state_proof(*proof)) items.push_back(to_hex(item));
        out = {{"state_root", to_hex(*root)},
               {"height", tip.height},
               {"key", to_hex(key)},
               {"value", value ? json(to_hex(*value)) : json(nullptr)},
               {"proof", items}};
    });
    return out;
}

json get_mempool_info(const ChainContext& c, const json&) {
    const auto info = c.node->mempool_info();
    return json{{"size", info.size},
                {"bytes", info.bytes},
                {"max_bytes", info.max_bytes},
                {"min_fee", amount(c.params().min_fee)}};
}

json generate(const ChainContext& c, const json& p) {
    if (!c.params().allow_generate)
        throw RpcError(rpc::kErrNotAvailable, "generate is only available on devnet");
    if (!p.contains("count") || !p["count"].is_number_unsigned())
        throw bad_params("missing unsigned param 'count'");
    const uint64_t count = p["count"].get<uint64_t>();
    if (count == 0 || count > kMaxGenerateCount)
        throw bad_params("count must be 1.." + std::to_string(kMaxGenerateCount));
    const cs::Address miner = require_address(p, "address");
    json hashes = json::array();
    for (uint64_t i = 0; i < count && !*c.stop; ++i) {
        auto mined = c.node->mine_block(miner, *c.stop);
        if (!mined.ok())
            throw RpcError(rpc::kErrInternal, mined.status());
        if (!mined->has_value()) break;  // shutting down
        hashes.push_back(to_hex(**mined));
    }
    return json{{"hashes", hashes}, {"height", c.chain().tip().height}};
}

json submit_block(const ChainContext& c, const json& p) {
    auto block = cs::decode_block(require_hex(p, "block"));
    if (!block.ok())
        throw RpcError(rpc::kErrBlockRejected, block.status());
    auto r = c.node->submit_block(*block, BlockSource::kRpc);
    if (!r.ok()) throw RpcError(rpc::kErrBlockRejected, r.status());
    return json{{"hash", to_hex(r->hash)},
                {"height", block->header().height()},
                {"already_known", r->already_known},
                {"tip_changed", r->tip_changed},
                {"tip", to_hex(c.chain().tip().hash)}};
}

json get_state_hash(const ChainContext& c, const json&) {
    const auto d = c.chain().state_digest();
    return json{{"height", d.height},
                {"best_hash", to_hex(d.tip)},
                {"state_hash", to_hex(d.digest)},
                {"entries", d.entries}};
}

// name (common/rpc_methods.h), needs the cookie credential, handler
constexpr RpcMethod<ChainContext> kChainMethods[] = {
    {rpc::kGetChainInfo, false, get_chain_info},     {rpc::kGetBlock, false, get_block},
    {rpc::kSendTransaction, true, send_transaction}, {rpc::kGetTransaction, false, get_transaction},
    {rpc::kGetAccount, false, get_account},          {rpc::kGetStateProof, false, get_state_proof},
    {rpc::kGetMempoolInfo, false, get_mempool_info}, {rpc::kGenerate, true, generate},
    {rpc::kSubmitBlock, true, submit_block},         {rpc::kGetStateHash, true, get_state_hash},
};

}  // namespace

void register_chain_methods(RpcDispatcher& d, Node& node, const std::atomic<bool>& stop) {
    add_methods<ChainContext>(d, kChainMethods, ChainContext{&node, &stop});
}

}  // namespace step::node
