// Blob transfer with a node (PROTOCOL.md section 4; docs/wallet.md "Blobs"): `blob put FILE`
// uploads a file chunk by chunk with proofs computed here, sending only what the node lacks, so
// an interrupted upload resumes; `blob get ROOT OUTFILE` downloads and verifies every chunk
// against ROOT before the file appears; `blob info ROOT` reports what the node holds.
#include "common/merkle.h"
#include "node/rpc_methods.h"
#include "verifier/proofs.h"
#include "wallet/commands.h"
#include "wallet/secure_file.h"

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
        return Status::error("rpc-bad-response", "getblobinfo reply lacks 'missing'");
    std::vector<uint64_t> out;
    for (const json& i : info["missing"]) {
        if (!i.is_number_unsigned()) return Status::error("rpc-bad-response", "bad index in 'missing'");
        out.push_back(i.get<uint64_t>());
    }
    return out;
}

Result<CommandOutput> put(Context& ctx, const std::string& path) {
    auto file = read_small_file(path, rpc::kMaxBlobBytes);
    if (!file.ok()) {
        if (file.status().code() == "file-too-large")
            return Status::error("blob-too-large", path + " is larger than the " +
                                                       std::to_string(rpc::kMaxBlobBytes) +
                                                       "-byte blob limit");
        return file.status();
    }
    if (file->empty()) return Status::error("empty-blob", path + " is empty: a blob has at least one byte");
    auto rpc = ctx.rpc();
    if (!rpc.ok()) return rpc.status();
    if (auto cred = rpc->credentials(); !cred.ok()) return cred.status();

    const ByteSpan data(reinterpret_cast<const uint8_t*>(file->data()), file->size());
    const std::vector<Hash256> hashes = blob_chunk_hashes(data);
    const Hash256 root = blob_root_from_chunks(data.size(), hashes);
    const verifier::MerkleTree tree(hashes);
    const Hash256 chunks_root = tree.root();

    uint64_t uploaded = 0;
    for (int round = 0; round < kMaxUploadRounds; ++round) {
        std::vector<uint64_t> missing;
        auto info = blob_info(*rpc, root);
        if (info.ok()) {
            if (info->value("complete", false)) break;
            auto m = missing_of(*info);
            if (!m.ok()) return m.status();
            missing = std::move(*m);
        } else if (info.status().code() == "unknown-blob") {
            for (uint64_t i = 0; i < hashes.size(); ++i) missing.push_back(i);
        } else {
            return info.status();
        }
        for (uint64_t i : missing) {
            if (i >= hashes.size()) return Status::error("rpc-bad-response", "node asks for a chunk past the end");
            const size_t at = i * kChunkBytes;
            const size_t len = std::min(kChunkBytes, data.size() - at);
            json proof = json::array();
            for (const Hash256& h : tree.proof(i)) proof.push_back(to_hex(h));
            json params = {{"blob_root", to_hex(root)},         {"blob_size", data.size()},
                           {"chunks_root", to_hex(chunks_root)}, {"index", i},
                           {"chunk", to_hex(data.subspan(at, len))}, {"proof", proof}};
            auto r = rpc->call(rpc::kPutBlobChunk, params, RpcAuth::kRequired);
            if (!r.ok()) return r.status();
            if (r->value("stored", false)) ++uploaded;
        }
    }
    auto final_info = blob_info(*rpc, root);
    if (!final_info.ok()) return final_info.status();
    if (!final_info->value("complete", false))
        return Status::error("blob-incomplete", "the node still lacks chunks of " + to_hex(root) + " after " +
                                                    std::to_string(kMaxUploadRounds) + " rounds");

    CommandOutput out;
    const uint64_t chunks = hashes.size();
    out.json = {{"blob_root", to_hex(root)}, {"blob_size", data.size()}, {"chunks", chunks},
                {"uploaded", uploaded}, {"already_stored", chunks - uploaded}};
    out.text = "blob " + to_hex(root) + "\n" + std::to_string(data.size()) + " bytes in " + std::to_string(chunks) +
               " chunks: uploaded " + std::to_string(uploaded) + ", " + std::to_string(chunks - uploaded) +
               " already on the node\n";
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
        return Status::error("rpc-bad-response", "getblobchunk reply is malformed");
    p.blob_size = *size;
    p.index = *index;
    p.chunk = std::move(*chunk);
    p.chunks_root = *chunks_root;
    for (const json& h : j["proof"]) {
        auto sibling = h.is_string() ? hash_from_hex(h.get<std::string>()) : std::nullopt;
        if (!sibling) return Status::error("rpc-bad-response", "getblobchunk proof item is malformed");
        p.path.push_back(*sibling);
    }
    return p;
}

Result<CommandOutput> get(Context& ctx, const std::string& root_hex, const std::string& out_path) {
    auto root = hash_from_hex(root_hex);
    if (!root) return usage("ROOT must be 64 hex digits");
    auto rpc = ctx.rpc();
    if (!rpc.ok()) return rpc.status();
    auto info = blob_info(*rpc, *root);
    if (!info.ok()) return info.status();
    auto size = json_u64(*info, "blob_size");
    auto chunks = json_u64(*info, "chunks");
    if (!size.ok()) return size.status();
    if (!chunks.ok()) return chunks.status();
    if (!info->value("complete", false))
        return Status::error("blob-incomplete", "the node holds only part of blob " + root_hex);
    if (*size > rpc::kMaxBlobBytes || *chunks != blob_chunk_count(*size))
        return Status::error("rpc-bad-response", "getblobinfo reports an impossible size");

    std::string data;
    data.reserve(*size);
    for (uint64_t i = 0; i < *chunks; ++i) {
        auto r = rpc->call(rpc::kGetBlobChunk, {{"blob_root", root_hex}, {"index", i}}, RpcAuth::kNone);
        if (!r.ok()) return r.status();
        auto p = chunk_from_json(*r);
        if (!p.ok()) return p.status();
        // Each chunk is checked against the root asked for, not against anything the node said:
        // a node can only hand back the blob ROOT names, or be caught here.
        if (p->index != i || p->blob_size != *size || !verifier::verify_chunk_proof(*root, *p))
            return Status::error("bad-chunk-proof", "chunk " + std::to_string(i) + " from the node does not prove into " +
                                                        root_hex + "; nothing written");
        data.append(p->chunk.begin(), p->chunk.end());
    }
    STEP_TRY(atomic_write_file(out_path, data, 0644, WriteMode::kReplace));

    CommandOutput out;
    out.json = {{"blob_root", root_hex}, {"blob_size", *size}, {"chunks", *chunks}, {"file", out_path}};
    out.text = "wrote " + out_path + ": " + std::to_string(*size) + " bytes in " + std::to_string(*chunks) +
               " chunks, each verified against " + root_hex + "\n";
    return out;
}

Result<CommandOutput> info(Context& ctx, const std::string& root_hex) {
    auto root = hash_from_hex(root_hex);
    if (!root) return usage("ROOT must be 64 hex digits");
    auto rpc = ctx.rpc();
    if (!rpc.ok()) return rpc.status();
    auto i = blob_info(*rpc, *root);
    if (!i.ok()) return i.status();
    auto size = json_u64(*i, "blob_size");
    auto chunks = json_u64(*i, "chunks");
    auto have = json_u64(*i, "have");
    for (const Status& s : {size.status(), chunks.status(), have.status()})
        if (!s.ok()) return s;
    CommandOutput out;
    out.json = *i;
    out.text = "blob " + root_hex + "\n" + std::to_string(*size) + " bytes, " + std::to_string(*have) + " of " +
               std::to_string(*chunks) + " chunks stored" + (i->value("complete", false) ? " (complete)" : "") + "\n";
    return out;
}

}  // namespace

Result<CommandOutput> cmd_blob(Context& ctx, const CommandArgs& args) {
    if (args.size() == 2 && args[0] == "put") return put(ctx, args[1]);
    if (args.size() == 3 && args[0] == "get") return get(ctx, args[1], args[2]);
    if (args.size() == 2 && args[0] == "info") return info(ctx, args[1]);
    return usage("expected: blob put FILE | blob get ROOT OUTFILE | blob info ROOT");
}

}  // namespace step::wallet
