// Blob upload and download with a node (PROTOCOL.md section 4): chunk by chunk with Merkle
// proofs computed or checked here. `blob put|get` and the market agents share these.
#pragma once

#include <cstdint>
#include <functional>

#include "common/bytes.h"
#include "common/status.h"
#include "wallet/rpc_client.h"

namespace step::wallet {

struct UploadResult {
    Hash256 root{};
    uint64_t chunks = 0;
    uint64_t uploaded = 0;  // chunks the node did not hold yet
};

// Told after each chunk moved: chunks done of the chunks this transfer moves (blob put | get
// draw a progress line with it on a terminal).
using ChunkProgress = std::function<void(uint64_t done, uint64_t total)>;

// Uploads `data` (1..MAX_BLOB_BYTES bytes), sending only the chunks the node lacks, so a repeat
// resumes an interrupted upload. Errors: empty-blob, blob-too-large, blob-incomplete (the node
// still lacks chunks after a few rounds), and the node's (bad-chunk-proof, blob-store-full...).
Result<UploadResult> upload_blob(const RpcClient& rpc, ByteSpan data,
                                 const ChunkProgress& progress = {});

// Uploads chunk `index` of `data` alone (a partial upload: tests' deviants publish part of a
// state); true when the node did not hold it yet. Errors: bad-chunk-index and the node's.
Result<bool> upload_chunk(const RpcClient& rpc, ByteSpan data, uint64_t index);

// Downloads blob `root`, checking every chunk against `root` itself (not against anything the
// node says). Errors: unknown-blob, blob-incomplete, bad-chunk-proof, rpc-bad-response.
Result<Bytes> download_blob(const RpcClient& rpc, const Hash256& root,
                            const ChunkProgress& progress = {});

}  // namespace step::wallet
