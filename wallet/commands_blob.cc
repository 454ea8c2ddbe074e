// Blob transfer with a node (PROTOCOL.md section 4; docs/wallet.md "Blobs"): `blob put FILE`
// uploads a file chunk by chunk with proofs computed here, sending only what the node lacks, so
// an interrupted upload resumes; `blob get ROOT OUTFILE` downloads and verifies every chunk
// against ROOT before the file appears; `blob info ROOT` reports what the node holds.
#include <unistd.h>

#include <cstdio>

#include "common/merkle.h"
#include "common/rpc_methods.h"
#include "wallet/blob_transfer.h"
#include "wallet/commands.h"
#include "wallet/secure_file.h"
#include "consensus/errors.h"
#include "common/rpc_errors.h"
#include "wallet/errors.h"

namespace step::wallet {
namespace {

using nlohmann::json;

// A progress line on stderr while chunks move, redrawn in place; none in --output json or when
// stderr is not a terminal (scripts and logs stay quiet).
ChunkProgress terminal_progress(const Context& ctx, const std::string& verb) {
    if (ctx.options.output != OutputFormat::kText || ::isatty(STDERR_FILENO) != 1) return {};
    return [verb](uint64_t done, uint64_t total) {
        std::fprintf(stderr, "\r%s: %llu/%llu chunks (%llu%%)", verb.c_str(),
                     static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                     static_cast<unsigned long long>(total ? 100 * done / total : 100));
        if (done == total) std::fputc('\n', stderr);
        std::fflush(stderr);
    };
}

Result<CommandOutput> put(Context& ctx, const std::string& path) {
    auto file = read_small_file(path, rpc::kMaxBlobBytes);
    if (!file.ok()) {
        if (file.status().is(codes::kFileTooLarge))
            return Status::error(rpc::codes::kBlobTooLarge, path + " is larger than the " +
                                                       std::to_string(rpc::kMaxBlobBytes) +
                                                       "-byte blob limit");
        return file.status();
    }
    if (file->empty()) return Status::error(rpc::codes::kEmptyBlob, path + " is empty: a blob has at least one byte");
    auto rpc = ctx.rpc();
    if (!rpc.ok()) return rpc.status();
    if (auto cred = rpc->credentials(); !cred.ok()) return cred.status();
    const ByteSpan data(reinterpret_cast<const uint8_t*>(file->data()), file->size());
    auto up = upload_blob(*rpc, data, terminal_progress(ctx, "uploading"));
    if (!up.ok()) return up.status();
    CommandOutput out;
    const std::string root = to_hex(up->root);
    out.json = {{"blob_root", root}, {"blob_size", data.size()}, {"chunks", up->chunks},
                {"uploaded", up->uploaded}, {"already_stored", up->chunks - up->uploaded}};
    out.text = "blob " + root + "\n" + std::to_string(data.size()) + " bytes in " + std::to_string(up->chunks) +
               " chunks: uploaded " + std::to_string(up->uploaded) + ", " + std::to_string(up->chunks - up->uploaded) +
               " already on the node\n";
    return out;
}

Result<CommandOutput> get(Context& ctx, const std::string& root_hex, const std::string& out_path) {
    auto root = hash_from_hex(root_hex);
    if (!root) return usage("ROOT must be 64 hex digits");
    auto rpc = ctx.rpc();
    if (!rpc.ok()) return rpc.status();
    auto data = download_blob(*rpc, *root, terminal_progress(ctx, "downloading"));
    if (!data.ok()) {
        if (data.status().is(consensus::codes::kBadChunkProof))
            return Status::error(consensus::codes::kBadChunkProof, data.status().message() + "; nothing written");
        return data.status();
    }
    STEP_TRY(atomic_write_file(out_path, std::string(data->begin(), data->end()), 0644, WriteMode::kReplace));
    const uint64_t chunks = blob_chunk_count(data->size());
    CommandOutput out;
    out.json = {{"blob_root", root_hex}, {"blob_size", data->size()}, {"chunks", chunks}, {"file", out_path}};
    out.text = "wrote " + out_path + ": " + std::to_string(data->size()) + " bytes in " + std::to_string(chunks) +
               " chunks, each verified against " + root_hex + "\n";
    return out;
}

Result<json> blob_info(const RpcClient& rpc, const Hash256& root) {
    return rpc.call(rpc::kGetBlobInfo, {{"blob_root", to_hex(root)}}, RpcAuth::kNone);
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
