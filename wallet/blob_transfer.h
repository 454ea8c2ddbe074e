// Blob upload and download with a node (PROTOCOL.md section 4): chunk by chunk with Merkle
// proofs computed or checked here. `blob put|get` and the market agents share these.
#pragma once

#include <cstdint>

#include "common/bytes.h"
#include "common/status.h"
#include "wallet/rpc_client.h"

namespace step::wallet {

struct UploadResult {
    Hash256 root{};
    uint64_t chunks = 0;
    uint64_t uploaded = 0;  // chunks the node did not hold yet
};

// Uploads `data` (1..MAX_BLOB_BYTES bytes), sending only the chunks the node lacks, so a repeat
// resumes an interrupted upload. Errors: empty-blob, blob-too-large, blob-incomplete (the node
// still lacks chunks after a few rounds), and the node's (bad-chunk-proof, blob-store-full...).
Result<UploadResult> upload_blob(const RpcClient& rpc, ByteSpan data);

// Downloads blob `root`, checking every chunk against `root` itself (not against anything the
// node says). Errors: unknown-blob, blob-incomplete, bad-chunk-proof, rpc-bad-response.
Result<Bytes> download_blob(const RpcClient& rpc, const Hash256& root);

}  // namespace step::wallet
