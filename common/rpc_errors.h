// Codes of the blob API that both stepd and step-wallet emit: the node's blob store refuses or
// lacks a blob, and the wallet checks the same limits before it uploads and acts on "not
// stored". Beside the RPC method names because both sides of the RPC use them (one owner).
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

}  // namespace step::rpc::codes
