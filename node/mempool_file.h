// <datadir>/mempool.dat: the pending transactions saved across restarts (docs/node.md, "Mempool
// persistence"). Format and file IO only; re-admitting the transactions is the caller's job, so
// that each one goes through the normal admission path against the current tip.
//
// A record file (node/record_file.h: magic "STEPMPL\0", version, count, body_len, records,
// SHA-256), each record the canonical encoding of one transaction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/coding.h"
#include "common/status.h"
#include "node/record_file.h"

namespace step::pb {
class Transaction;
}

namespace step::node {

inline constexpr std::string_view kMempoolFileName = "mempool.dat";
// Where a file that failed to load is moved (load_record_file; the suffix is shared).
inline constexpr std::string_view kMempoolBadFileSuffix = kBadFileSuffix;
inline constexpr uint32_t kMempoolFileVersion = 1;
inline constexpr size_t kMempoolFileMagicBytes = kRecordFileMagicBytes;
inline constexpr size_t kMempoolFileHeaderBytes = kRecordFileHeaderBytes;
inline constexpr size_t kMempoolFileRecordHeaderBytes = kRecordFileRecordHeaderBytes;
inline constexpr size_t kMempoolFileChecksumBytes = kRecordFileChecksumBytes;
// Every transaction the pool admits carries a 32-byte public key and a 64-byte signature, so no
// record is shorter: this bounds the record count, hence the framing, of a legitimate file.
inline constexpr size_t kMempoolFileMinTxBytes = 32 + 64;

struct MempoolFileLimits {
    size_t max_pool_bytes = 0;  // sum of transaction sizes: the pool's cap (Mempool::max_bytes)
    size_t max_tx_bytes = 0;    // one transaction (MAX_TX_BYTES)
};

// The largest file a pool of limits.max_pool_bytes can produce: header, every transaction
// byte, one record header per smallest-possible transaction, checksum. Larger files are refused
// unread ("mempool-file-too-large").
size_t max_mempool_file_bytes(const MempoolFileLimits& limits);

// mempool.dat as a record file: its magic, version, bounds and codes.
RecordFileFormat mempool_file_format(const MempoolFileLimits& limits);

// The whole file for these transactions, in the given order.
Bytes encode_mempool_file(const std::vector<pb::Transaction>& txs);

// The records (canonical transaction bytes, in file order). They are not decoded here: one
// record that no longer decodes (say, written by a newer version) is the caller's to drop
// alone. Errors: "mempool-file-too-large", "mempool-file-magic", "mempool-file-version",
// "mempool-file-truncated", "mempool-file-trailing-data", "mempool-file-checksum",
// "mempool-file-malformed" (records do not fill body_len exactly, or one exceeds max_tx_bytes).
Result<std::vector<Bytes>> decode_mempool_file(ByteSpan file, const MempoolFileLimits& limits);

// Writes the file so that a crash at any moment leaves either the old file or the new one:
// temp file, fsync, rename over `path`, fsync the directory. Error "mempool-file-io".
Status write_mempool_file(const std::string& path, const std::vector<pb::Transaction>& txs);

// Reads and decodes `path`. Errors: "mempool-file-missing" (no such file), "mempool-file-io",
// "mempool-file-too-large" (checked on the file size, before reading), or decode's codes.
Result<std::vector<Bytes>> read_mempool_file(const std::string& path,
                                             const MempoolFileLimits& limits);

}  // namespace step::node
