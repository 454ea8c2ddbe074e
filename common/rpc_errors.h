// Codes (error.data.code) of the RPC that both stepd and step-wallet know: the blob API's (the
// node's blob store refuses or lacks a blob, and the wallet checks the same limits before it
// uploads and acts on "not stored"), and the server's limits. Beside the RPC method names because
// both sides of the RPC use them (one owner).
#pragma once

#include "common/status.h"

namespace step::rpc::codes {

inline constexpr ErrorCode kEmptyBlob{"empty-blob", ErrorCategory::kMalformed};
inline constexpr ErrorCode kBlobTooLarge{"blob-too-large", ErrorCategory::kMalformed};  // limit
// The node stores no blob with that root (the wallet then uploads it).
inline constexpr ErrorCode kUnknownBlob{"unknown-blob", ErrorCategory::kNotFound};
// The node holds only some of the blob's chunks, so it cannot serve a path or the whole blob.
inline constexpr ErrorCode kBlobIncomplete{"blob-incomplete", ErrorCategory::kNotFound};
// findblob: the node lacks the blob and no peer holds it (or P2P is off). The wallet waits and
// asks again later, or uploads the blob itself.
inline constexpr ErrorCode kBlobNotFound{"blob-not-found", ErrorCategory::kNotFound};


// The RPC server's limits (node/rpc_limits.h), carried in error.data.code with kErrLimit: a body
// nested deeper than the server parses; a batch longer than it runs; a batch call not run because
// the batch's answer already reached the answer size limit (send it again on its own).
inline constexpr ErrorCode kJsonTooDeep{"json-too-deep", ErrorCategory::kMalformed};
inline constexpr ErrorCode kBatchTooLong{"batch-too-long", ErrorCategory::kMalformed};
inline constexpr ErrorCode kAnswerTooLarge{"answer-too-large", ErrorCategory::kPolicy};

}  // namespace step::rpc::codes
