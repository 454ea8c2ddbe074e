// <datadir>/mempool.dat: the pending transactions saved across restarts (docs/node.md, "Mempool
// persistence"). Format and file IO only; re-admitting the transactions is the caller's job, so
// that each one goes through the normal admission path against the current tip.
//
// Layout (integers little-endian):
//   magic      8 bytes  "STEPMPL\0"
//   version    u32      kMempoolFileVersion
//   count      u64      number of records
//   body_len   u64      bytes of the records that follow
//   records    count x { u32 length, length bytes of canonical transaction encoding }
//   checksum   32 bytes SHA-256 of everything above
// body_len lets a reader tell a cut-off file ("truncated") from a damaged one ("checksum")
// before trusting any record length.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/coding.h"
#include "common/status.h"

namespace step::pb {
class Transaction;
}

namespace step::node {

inline constexpr std::string_view kMempoolFileName = "mempool.dat";
// Where a file that failed to load is moved, so the operator can inspect it and the next save
// does not overwrite the evidence.
inline constexpr std::string_view kMempoolBadFileSuffix = ".bad";
inline constexpr uint32_t kMempoolFileVersion = 1;
inline constexpr size_t kMempoolFileMagicBytes = 8;
inline constexpr size_t kMempoolFileHeaderBytes = kMempoolFileMagicBytes + kU32Bytes + 2 * kU64Bytes;
inline constexpr size_t kMempoolFileRecordHeaderBytes = kU32Bytes;
inline constexpr size_t kMempoolFileChecksumBytes = kHashBytes;
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
Result<std::vector<Bytes>> read_mempool_file(const std::string& path, const MempoolFileLimits& limits);

}  // namespace step::node
