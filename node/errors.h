// Every code the node emits itself (one owner per fact; stable names that RPC clients see as
// error.data.code). Where the node passes on a consensus, verifier or blob-API reason it uses
// that part's constant (consensus/errors.h, verifier/errors.h, common/rpc_errors.h).
//
// Categories (common/status.h): a mempool that refuses a valid transaction is kPolicy (never a
// reason to punish a peer); a disk or database failure, or data on disk that does not parse, is
// kStorage (the chain stops rather than mark a block invalid: the block is not to blame).
#pragma once

#include "common/status.h"

namespace step::node::codes {

// Mempool (valid transactions the pool refuses)
inline constexpr ErrorCode kAlreadyInMempool{"already-in-mempool", ErrorCategory::kPolicy};
inline constexpr ErrorCode kNonceTooFar{"nonce-too-far", ErrorCategory::kPolicy};
inline constexpr ErrorCode kReplacementFeeTooLow{"replacement-fee-too-low", ErrorCategory::kPolicy};
inline constexpr ErrorCode kMempoolFull{"mempool-full", ErrorCategory::kPolicy};

// mempool.dat (node/mempool_file.cc): a damaged file is skipped at start-up
inline constexpr ErrorCode kMempoolFileIo{"mempool-file-io", ErrorCategory::kStorage};
inline constexpr ErrorCode kMempoolFileMissing{"mempool-file-missing", ErrorCategory::kNotFound};
inline constexpr ErrorCode kMempoolFileTooLarge{"mempool-file-too-large", ErrorCategory::kStorage};
inline constexpr ErrorCode kMempoolFileMagic{"mempool-file-magic", ErrorCategory::kStorage};
inline constexpr ErrorCode kMempoolFileTruncated{"mempool-file-truncated", ErrorCategory::kStorage};
inline constexpr ErrorCode kMempoolFileVersion{"mempool-file-version", ErrorCategory::kStorage};
inline constexpr ErrorCode kMempoolFileTrailingData{"mempool-file-trailing-data",
                                                    ErrorCategory::kStorage};
inline constexpr ErrorCode kMempoolFileChecksum{"mempool-file-checksum", ErrorCategory::kStorage};
inline constexpr ErrorCode kMempoolFileMalformed{"mempool-file-malformed", ErrorCategory::kStorage};

// Chain (block index, activation)
inline constexpr ErrorCode kWrongNetwork{"wrong-network", ErrorCategory::kMalformed};  // datadir
inline constexpr ErrorCode kCorruptIndex{"corrupt-index", ErrorCategory::kStorage};
inline constexpr ErrorCode kCorruptUndo{"corrupt-undo", ErrorCategory::kStorage};
inline constexpr ErrorCode kMissingBlockData{"missing-block-data", ErrorCategory::kStorage};
// Headers whose chain ends more than kHeaderReachBlocks of work below our best header chain:
// not stored (policy: says nothing bad about the headers themselves).
inline constexpr ErrorCode kHeadersLowWork{"headers-low-work", ErrorCategory::kPolicy};
// Side-branch headers while the index already holds kMaxSideHeaders of them.
inline constexpr ErrorCode kSideHeadersFull{"side-headers-full", ErrorCategory::kPolicy};
// The parent is not known yet (not invalid: it may arrive later).
inline constexpr ErrorCode kUnknownParent{"unknown-parent", ErrorCategory::kNotFound};
// Extends a block known to be invalid, so invalid itself.
inline constexpr ErrorCode kInvalidParent{"invalid-parent", ErrorCategory::kConsensus};
// A block marked invalid before its reason was recorded.
inline constexpr ErrorCode kInvalidBlock{"invalid-block", ErrorCategory::kConsensus};
inline constexpr ErrorCode kCannotDisconnectGenesis{"cannot-disconnect-genesis",
                                                    ErrorCategory::kInternal};

// Storage
inline constexpr ErrorCode kDbOpen{"db-open", ErrorCategory::kStorage};
// LevelDB refused a write (disk full, I/O error), or the database refuses every write after
// such a failure (node/storage/database.h): the node stops.
inline constexpr ErrorCode kDbWrite{"db-write", ErrorCategory::kStorage};
// A read LevelDB could not answer (thrown as consensus::KvReadError, never taken for absence):
// its files are damaged (a checksum or format failure), or the file system failed otherwise.
inline constexpr ErrorCode kDbCorruption{"db-corruption", ErrorCategory::kStorage};
inline constexpr ErrorCode kDbRead{"db-read", ErrorCategory::kStorage};
inline constexpr ErrorCode kCorruptBlobRecord{"corrupt-blob-record", ErrorCategory::kStorage};
inline constexpr ErrorCode kBlobStoreFull{"blob-store-full", ErrorCategory::kPolicy};
inline constexpr ErrorCode kDatadirIo{"datadir-io", ErrorCategory::kStorage};
inline constexpr ErrorCode kDatadirLocked{"datadir-locked", ErrorCategory::kInternal};

// Configuration (command line and stepd.conf)
inline constexpr ErrorCode kUnknownOption{"unknown-option", ErrorCategory::kMalformed};
inline constexpr ErrorCode kMissingValue{"missing-value", ErrorCategory::kMalformed};
inline constexpr ErrorCode kBadBool{"bad-bool", ErrorCategory::kMalformed};
inline constexpr ErrorCode kBadConfigFile{"bad-config-file", ErrorCategory::kMalformed};
inline constexpr ErrorCode kBadNetwork{"bad-network", ErrorCategory::kMalformed};
inline constexpr ErrorCode kNoDatadir{"no-datadir", ErrorCategory::kMalformed};
inline constexpr ErrorCode kBadRpcBind{"bad-rpc-bind", ErrorCategory::kMalformed};
inline constexpr ErrorCode kBadBlobStoreMib{"bad-blob-store-mib", ErrorCategory::kMalformed};
inline constexpr ErrorCode kBadLogLevel{"bad-log-level", ErrorCategory::kMalformed};
// --max-connections is not a whole number in 0..kMaxConnectionsLimit.
inline constexpr ErrorCode kBadMaxConnections{"bad-max-connections", ErrorCategory::kMalformed};
// --mock-time is not a whole number of seconds, or is given on a network other than devnet.
inline constexpr ErrorCode kBadMockTime{"bad-mock-time", ErrorCategory::kMalformed};

// Servers and RPC
inline constexpr ErrorCode kRpcBind{"rpc-bind", ErrorCategory::kInternal};  // cannot listen
inline constexpr ErrorCode kNoScan{"no-scan", ErrorCategory::kInternal};    // store cannot list
inline constexpr ErrorCode kUnknownProofCommitment{"unknown-proof-commitment",
                                                   ErrorCategory::kNotFound};
// A result slot not filled yet (a request that never ran).
inline constexpr ErrorCode kInternal{"internal", ErrorCategory::kInternal};

}  // namespace step::node::codes
