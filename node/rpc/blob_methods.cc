#include "node/rpc/blob_methods.h"

#include <memory>
#include <nlohmann/json.hpp>

#include "common/merkle.h"
#include "common/rpc_errors.h"
#include "common/rpc_methods.h"
#include "consensus/errors.h"
#include "node/p2p/blob_names.h"
#include "node/p2p/codec.h"
#include "node/p2p/errors.h"
#include "node/rpc/params.h"

namespace step::node {

using nlohmann::json;
using namespace rpc_params;

namespace {

// Store errors become JSON-RPC errors whose data.code is the store's code: -32015 for a chunk
// refused on upload, -32011 for what cannot be served (unknown blob or chunk, incomplete blob),
// -32603 for a store that failed.
[[noreturn]] void throw_store_error(const Status& s, bool serving) {
    int code = serving ? rpc::kErrNotFound : rpc::kErrBlobRejected;
    if (s.category() == ErrorCategory::kNotFound) code = rpc::kErrNotFound;
    if (s.category() == ErrorCategory::kStorage) code = rpc::kErrInternal;
    throw RpcError(code, s);
}

json info_json(const BlobInfo& info) {
    return {{"blob_root", to_hex(info.root)},
            {"blob_size", info.size},
            {"chunks_root", to_hex(info.chunks_root)},
            {"chunks", info.chunks},
            {"have", info.have},
            {"complete", info.complete()}};
}

// What the blob methods read: the node's blob store.
struct BlobContext {
    BlobStore* store;
};

// The chunk and its proof a putblobchunk call carries.
verifier::ChunkProof chunk_proof_param(const json& params) {
    verifier::ChunkProof p;
    p.blob_size = require_u64(params, "blob_size");
    p.chunks_root = require_hash(params, "chunks_root");
    p.index = require_u64(params, "index");
    auto chunk = from_hex(require_string(params, "chunk"));
    if (!chunk) throw bad_params("param 'chunk' must be hex");
    p.chunk = std::move(*chunk);
    if (!params.contains("proof") || !params["proof"].is_array())
        throw bad_params("missing array param 'proof'");
    // A path is at most one hash per tree level; anything longer cannot verify.
    if (params["proof"].size() > 64)
        throw RpcError(rpc::kErrBlobRejected, "proof too long", consensus::codes::kBadChunkProof);
    for (const json& h : params["proof"]) {
        auto sibling = h.is_string() ? hash_from_hex(h.get<std::string>()) : std::nullopt;
        if (!sibling) throw bad_params("every 'proof' item must be 64 hex digits");
        p.path.push_back(*sibling);
    }
    return p;
}

json put_blob_chunk(const BlobContext& c, const json& params) {
    const Hash256 root = require_hash(params, "blob_root");
    const verifier::ChunkProof p = chunk_proof_param(params);
    auto put = c.store->put_chunk(root, p);
    if (!put.ok()) throw_store_error(put.status(), false);
    return json{{"blob_root", to_hex(root)},  {"index", p.index},
                {"stored", put->stored},      {"have", put->info.have},
                {"chunks", put->info.chunks}, {"complete", put->info.complete()}};
}

json get_blob_chunk(const BlobContext& c, const json& params) {
    const Hash256 root = require_hash(params, "blob_root");
    auto p = c.store->get_chunk(root, require_u64(params, "index"));
    if (!p.ok()) throw_store_error(p.status(), true);
    json proof = json::array();
    for (const Hash256& h : p->path) proof.push_back(to_hex(h));
    return json{{"blob_root", to_hex(root)},
                {"blob_size", p->blob_size},
                {"chunks_root", to_hex(p->chunks_root)},
                {"index", p->index},
                {"chunk", to_hex(p->chunk)},
                {"proof", proof}};
}

json get_blob_info(const BlobContext& c, const json& params) {
    const Hash256 root = require_hash(params, "blob_root");
    auto info = c.store->info(root);
    if (!info)
        throw RpcError(rpc::kErrNotFound, "no blob " + to_hex(root) + " is stored",
                       rpc::codes::kUnknownBlob);
    json out = info_json(*info);
    out["missing"] = c.store->missing(root, rpc::kMaxBlobInfoMissing);
    return out;
}

json list_blobs(const BlobContext& c, const json& params) {
    const uint64_t limit = optional_limit(params, "limit", rpc::kMaxListBlobs, rpc::kMaxListBlobs);
    std::optional<Hash256> start_after;
    if (params.contains("start_after")) start_after = require_hash(params, "start_after");
    json blobs = json::array();
    for (const BlobInfo& info : c.store->list(limit, start_after)) blobs.push_back(info_json(info));
    return json{{"blobs", blobs},
                {"reserved_bytes", c.store->reserved_bytes()},
                {"max_bytes", c.store->limits().max_total_bytes},
                {"max_blob_bytes", c.store->limits().max_blob_bytes}};
}

json prune_blob(const BlobContext& c, const json& params) {
    const Hash256 root = require_hash(params, "blob_root");
    auto freed = c.store->prune(root);
    if (!freed.ok()) throw_store_error(freed.status(), true);
    return json{{"blob_root", to_hex(root)}, {"pruned", true}, {"freed_bytes", *freed}};
}

// name (common/rpc_methods.h), needs the cookie credential, handler
constexpr RpcMethod<BlobContext> kBlobMethods[] = {
    {rpc::kPutBlobChunk, true, put_blob_chunk}, {rpc::kGetBlobChunk, false, get_blob_chunk},
    {rpc::kGetBlobInfo, false, get_blob_info},  {rpc::kListBlobs, false, list_blobs},
    {rpc::kPruneBlob, true, prune_blob},
};

// --- findblob ---

// What findblob reads: the store, the chain (names by unit leaf), and P2P when it is on.
struct FindContext {
    BlobStore* store;
    const ChainManager* chain;
    p2p::BlobFetcher* fetcher;                  // null: P2P is off
    std::shared_ptr<p2p::BlobLocator> locator;  // the RPC threads' own, thread-safe
};

uint32_t require_u32(const json& p, const char* name) {
    const uint64_t v = require_u64(p, name);
    if (v > UINT32_MAX) throw bad_params(std::string("param '") + name + "' is over 32 bits");
    return static_cast<uint32_t>(v);
}

// Exactly one of the three forms of a name.
p2p::wire::BlobName blob_name_param(const json& params) {
    const int forms = static_cast<int>(params.contains("blob_root")) +
                      static_cast<int>(params.contains("task_id")) +
                      static_cast<int>(params.contains("dataset_root"));
    if (forms != 1)
        throw bad_params("give one of blob_root, task_id (with round, unit, leaf), dataset_root");
    if (params.contains("blob_root")) return p2p::name_by_root(require_hash(params, "blob_root"));
    if (params.contains("dataset_root"))
        return p2p::name_by_dataset(require_hash(params, "dataset_root"));
    return p2p::name_by_unit_leaf(require_hash(params, "task_id"), require_u32(params, "round"),
                                  require_u32(params, "unit"), require_u32(params, "leaf"));
}

// The JSON-RPC error for a name that cannot be fetched, by its code's category.
[[noreturn]] void throw_find_error(const Status& s) {
    int code = rpc::kErrNotFound;  // not held, not committed, a name the chain does not know
    if (s.category() == ErrorCategory::kPolicy) code = rpc::kErrNotAvailable;
    if (s.category() == ErrorCategory::kStorage || s.category() == ErrorCategory::kInternal)
        code = rpc::kErrInternal;
    throw RpcError(code, s);
}

json find_answer(const BlobInfo& info, const char* state, bool fetching) {
    json out = info_json(info);
    out["state"] = state;
    out["fetching"] = fetching;
    return out;
}

// Part of the blob is held and nobody serves the rest (P2P off, or every peer asked lacks it):
// what is held and what is missing, so an agent can challenge the missing chunks on chain.
json partial_answer(const FindContext& c, const BlobInfo& held) {
    const BlobInfo info = c.store->info(held.root).value_or(held);  // fresher
    if (info.complete()) return find_answer(info, rpc::kBlobComplete, false);
    json out = find_answer(info, rpc::kBlobPartial, false);
    out["missing"] = c.store->missing(info.root, rpc::kMaxBlobInfoMissing);
    return out;
}

json progress_answer(const FindContext& c, const p2p::BlobFetchProgress& p) {
    json out = {{"blob_size", p.size},
                {"chunks", p.chunks},
                {"have", p.have},
                {"complete", false},
                {"fetching", true},
                {"state", p2p::state_name(p.state)},
                {"peers_asked", p.peers_asked},
                {"holders", p.holders}};
    if (p.root) {
        out["blob_root"] = to_hex(*p.root);
        if (auto info = c.store->info(*p.root)) out["have"] = info->have;  // fresher
    }
    return out;
}

json find_blob(const FindContext& c, const json& params) {
    const p2p::wire::BlobName name = blob_name_param(params);
    auto target = p2p::resolve_blob_name(*c.chain, name);
    // An unknown task or unit, or a leaf not committed: nothing the name could be, yet.
    if (!target.ok()) throw RpcError(rpc::kErrNotFound, target.status());
    auto held = c.locator->find(*target);
    if (held && held->complete()) return find_answer(*held, rpc::kBlobComplete, false);
    if (!c.fetcher && held) return partial_answer(c, *held);
    if (!c.fetcher)
        throw RpcError(rpc::kErrNotFound,
                       "this node lacks " + p2p::describe(name) + " and P2P is off",
                       rpc::codes::kBlobNotFound);
    auto p = c.fetcher->fetch_blob(name);
    if (!p.ok()) throw_find_error(p.status());
    using State = p2p::BlobFetchProgress::State;
    if (p->state == State::kComplete) {
        if (auto info = p->root ? c.store->info(*p->root) : std::nullopt; info && info->complete())
            return find_answer(*info, rpc::kBlobComplete, false);
        throw RpcError(rpc::kErrNotFound, p2p::describe(name) + " was pruned after its fetch",
                       rpc::codes::kBlobNotFound);
    }
    if (p->ended() && held) return partial_answer(c, *held);
    if (p->ended()) throw_find_error(p->error);
    return progress_answer(c, *p);
}

constexpr RpcMethod<FindContext> kFindMethods[] = {
    {rpc::kFindBlob, false, find_blob},
};

}  // namespace

void register_blob_methods(RpcDispatcher& d, BlobStore& store) {
    add_methods<BlobContext>(d, kBlobMethods, BlobContext{&store});
}

void register_blob_methods(RpcDispatcher& d, BlobStore& store, const ChainManager& chain,
                           p2p::BlobFetcher* fetcher) {
    register_blob_methods(d, store);
    add_methods<FindContext>(
        d, kFindMethods,
        FindContext{&store, &chain, fetcher, std::make_shared<p2p::BlobLocator>(store)});
}

}  // namespace step::node
