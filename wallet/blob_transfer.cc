#include "wallet/blob_transfer.h"

#include <nlohmann/json.hpp>

#include "common/merkle.h"
#include "common/rpc_methods.h"
#include "verifier/proofs.h"
#include "wallet/context.h"
#include "consensus/errors.h"
#include "common/rpc_errors.h"
#include "wallet/errors.h"

namespace step::wallet {
namespace {

using nlohmann::json;

// Rounds of getblobinfo + upload before giving up: one suffices unless the node loses chunks
// while we upload (pruned or restarted from a damaged disk).
constexpr int kMaxUploadRounds = 3;

Result<json> blob_info(const RpcClient& rpc, const Hash256& root) {
    return rpc.call(rpc::kGetBlobInfo, {{"blob_root", to_hex(root)}}, RpcAuth::kNone);
}

Result<std::vector<uint64_t>> missing_of(const json& info) {
    if (!info.contains("missing") || !info["missing"].is_array())
        return Status::error(codes::kRpcBadResponse, "getblobinfo reply lacks 'missing'");
    std::vector<uint64_t> out;
    for (const json& i : info["missing"]) {
        if (!i.is_number_unsigned()) return Status::error(codes::kRpcBadResponse, "bad index in 'missing'");
        out.push_back(i.get<uint64_t>());
    }
    return out;
}

Result<verifier::ChunkProof> chunk_from_json(const json& j) {
    verifier::ChunkProof p;
    auto size = json_u64(j, "blob_size");
    auto index = json_u64(j, "index");
    auto chunk_hex = json_string(j, "chunk");
    auto root_hex = json_string(j, "chunks_root");
    for (const Status& s : {size.status(), index.status(), chunk_hex.status(), root_hex.status()})
        if (!s.ok()) return s;
    auto chunk = from_hex(*chunk_hex);
    auto chunks_root = hash_from_hex(*root_hex);
    if (!chunk || !chunks_root || !j.contains("proof") || !j["proof"].is_array())
        return Status::error(codes::kRpcBadResponse, "getblobchunk reply is malformed");
    p.blob_size = *size;
    p.index = *index;
    p.chunk = std::move(*chunk);
    p.chunks_root = *chunks_root;
    for (const json& h : j["proof"]) {
        auto sibling = h.is_string() ? hash_from_hex(h.get<std::string>()) : std::nullopt;
        if (!sibling) return Status::error(codes::kRpcBadResponse, "getblobchunk proof item is malformed");
        p.path.push_back(*sibling);
    }
    return p;
}

// Sends one chunk with its proof; true when the node did not hold it yet.
Result<bool> put_chunk(const RpcClient& rpc, const Hash256& root, uint64_t size,
                       const Hash256& chunks_root, uint64_t index, ByteSpan chunk,
                       const std::vector<Hash256>& path) {
    json proof = json::array();
    for (const Hash256& h : path) proof.push_back(to_hex(h));
    json params = {{"blob_root", to_hex(root)},
                   {"blob_size", size},
                   {"chunks_root", to_hex(chunks_root)},
                   {"index", index},
                   {"chunk", to_hex(chunk)},
                   {"proof", proof}};
    auto r = rpc.call(rpc::kPutBlobChunk, params, RpcAuth::kRequired);
    if (!r.ok()) return r.status();
    return r->value("stored", false);
}

}  // namespace

Result<bool> upload_chunk(const RpcClient& rpc, ByteSpan data, uint64_t index) {
    auto p = verifier::make_chunk_proof(data, index);
    if (!p.ok()) return p.status();
    return put_chunk(rpc, blob_root(data), p->blob_size, p->chunks_root, index, p->chunk, p->path);
}

Result<UploadResult> upload_blob(const RpcClient& rpc, ByteSpan data, const ChunkProgress& progress) {
    if (data.empty()) return Status::error(rpc::codes::kEmptyBlob, "a blob has at least one byte");
    if (data.size() > rpc::kMaxBlobBytes)
        return Status::error(rpc::codes::kBlobTooLarge, "larger than the " + std::to_string(rpc::kMaxBlobBytes) +
                                                   "-byte blob limit");
    const std::vector<Hash256> hashes = blob_chunk_hashes(data);
    UploadResult out;
    out.root = blob_root_from_chunks(data.size(), hashes);
    out.chunks = hashes.size();
    const verifier::MerkleTree tree(hashes);
    const Hash256 chunks_root = tree.root();
    for (int round = 0; round < kMaxUploadRounds; ++round) {
        std::vector<uint64_t> missing;
        auto info = blob_info(rpc, out.root);
        if (info.ok()) {
            if (info->value("complete", false)) break;
            auto m = missing_of(*info);
            if (!m.ok()) return m.status();
            missing = std::move(*m);
        } else if (info.status().is(rpc::codes::kUnknownBlob)) {
            for (uint64_t i = 0; i < hashes.size(); ++i) missing.push_back(i);
        } else {
            return info.status();
        }
        for (size_t n = 0; n < missing.size(); ++n) {
            const uint64_t i = missing[n];
            if (i >= hashes.size()) return Status::error(codes::kRpcBadResponse, "node asks for a chunk past the end");
            const size_t at = i * kChunkBytes;
            const size_t len = std::min(kChunkBytes, data.size() - at);
            auto stored = put_chunk(rpc, out.root, data.size(), chunks_root, i,
                                    data.subspan(at, len), tree.proof(i));
            if (!stored.ok()) return stored.status();
            if (*stored) ++out.uploaded;
            if (progress) progress(n + 1, missing.size());
        }
    }
    auto final_info = blob_info(rpc, out.root);
    if (!final_info.ok()) return final_info.status();
    if (!final_info->value("complete", false))
        return Status::error(rpc::codes::kBlobIncomplete, "the node still lacks chunks of " + to_hex(out.root) +
                                                    " after " + std::to_string(kMaxUploadRounds) + " rounds");
    return out;
}

Result<Bytes> download_blob(const RpcClient& rpc, const Hash256& root, const ChunkProgress& progress) {
    const std::string root_hex = to_hex(root);
    auto info = blob_info(rpc, root);
    if (!info.ok()) return info.status();
    auto size = json_u64(*info, "blob_size");
    auto chunks = json_u64(*info, "chunks");
    if (!size.ok()) return size.status();
    if (!chunks.ok()) return chunks.status();
    if (!info->value("complete", false))
        return Status::error(rpc::codes::kBlobIncomplete, "the node holds only part of blob " + root_hex);
    if (*size > rpc::kMaxBlobBytes || *chunks != blob_chunk_count(*size))
        return Status::error(codes::kRpcBadResponse, "getblobinfo reports an impossible size");
    Bytes data;
    data.reserve(*size);
    for (uint64_t i = 0; i < *chunks; ++i) {
        auto r = rpc.call(rpc::kGetBlobChunk, {{"blob_root", root_hex}, {"index", i}}, RpcAuth::kNone);
        if (!r.ok()) return r.status();
        auto p = chunk_from_json(*r);
        if (!p.ok()) return p.status();
        // Each chunk is checked against the root asked for: a node can only hand back the blob
        // `root` names, or be caught here.
        if (p->index != i || p->blob_size != *size || !verifier::verify_chunk_proof(root, *p))
            return Status::error(consensus::codes::kBadChunkProof, "chunk " + std::to_string(i) + " from the node does not prove into " +
                                                        root_hex);
        data.insert(data.end(), p->chunk.begin(), p->chunk.end());
        if (progress) progress(i + 1, *chunks);
    }
    return data;
}

}  // namespace step::wallet
