// Every code the kernels emit (one owner per fact; stable, machine-readable names). The kernels
// refuse their callers' input (specs, states, data files: kMalformed), fail at the file system
// (kStorage; a missing file kNotFound) or lack a device or CPU mode (kInternal).
#pragma once

#include "common/status.h"

namespace step::kernels::codes {

// Specs and models
inline constexpr ErrorCode kBadSpec{"bad-spec", ErrorCategory::kMalformed};  // names the field
inline constexpr ErrorCode kBadNumber{"bad-number", ErrorCategory::kMalformed};
inline constexpr ErrorCode kOverflow{"overflow", ErrorCategory::kMalformed};  // FLOPs past u64
inline constexpr ErrorCode kModelSyntax{"model-syntax", ErrorCategory::kMalformed};
inline constexpr ErrorCode kUnknownModel{"unknown-model", ErrorCategory::kMalformed};
inline constexpr ErrorCode kBadModel{"bad-model", ErrorCategory::kMalformed};  // dims out of range
inline constexpr ErrorCode kBadActivation{"bad-activation", ErrorCategory::kMalformed};

// Text generation (kernels/sample.h)
inline constexpr ErrorCode kNotLanguageModel{"not-language-model", ErrorCategory::kMalformed};
inline constexpr ErrorCode kBadSample{"bad-sample", ErrorCategory::kMalformed};

// Training states and rounds
inline constexpr ErrorCode kBadState{"bad-state", ErrorCategory::kMalformed};  // bytes
inline constexpr ErrorCode kStateMismatch{"state-mismatch", ErrorCategory::kMalformed};
inline constexpr ErrorCode kBadBatch{"bad-batch", ErrorCategory::kMalformed};
inline constexpr ErrorCode kBadRound{"bad-round", ErrorCategory::kMalformed};

// Data
inline constexpr ErrorCode kUnknownFormat{"unknown-format", ErrorCategory::kMalformed};
inline constexpr ErrorCode kBadRecords{"bad-records", ErrorCategory::kMalformed};
inline constexpr ErrorCode kBadImport{"bad-import", ErrorCategory::kMalformed};
inline constexpr ErrorCode kBadShard{"bad-shard", ErrorCategory::kMalformed};
inline constexpr ErrorCode kShardTooSmall{"shard-too-small", ErrorCategory::kMalformed};

// Files
inline constexpr ErrorCode kFileMissing{"file-missing", ErrorCategory::kNotFound};
inline constexpr ErrorCode kFileRead{"file-read", ErrorCategory::kStorage};
inline constexpr ErrorCode kFileWrite{"file-write", ErrorCategory::kStorage};

// Backends and the CPU's floating-point mode
inline constexpr ErrorCode kUnknownBackend{"unknown-backend", ErrorCategory::kMalformed};
inline constexpr ErrorCode kBackendUnavailable{"backend-unavailable", ErrorCategory::kInternal};
inline constexpr ErrorCode kCudaUnavailable{"cuda-unavailable", ErrorCategory::kInternal};
inline constexpr ErrorCode kFpControlState{"fp-control-state", ErrorCategory::kInternal};

}  // namespace step::kernels::codes
