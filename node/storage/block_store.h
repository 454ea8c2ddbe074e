// The LevelDB key layout of stepd (docs/storage.md) and the encoding of the node's own records.
// One-byte prefixes keep each kind of record in its own key range:
//   'b' hash(32)          -> block, canonical protobuf bytes
//   'i' hash(32)          -> IndexRecord (header, height, cumulative work, status)
//   'u' hash(32)          -> undo data of a connected block (UndoRecord)
//   'h' u64be(height)     -> hash of the best chain's block at that height
//   'x' txid(32)          -> hash of the best-chain block that confirmed it
//   's' consensus key     -> consensus state value (accounts, totals, state tree nodes)
//   'T'                   -> hash of the best-chain tip
//   'N'                   -> network name the datadir belongs to
//   'B' root(32)          -> blob record: size, chunks_root, chunks held (node/storage/blob_store.h)
//   'C' root(32) u64be(i) -> chunk i of that blob, verified against root before it was stored
//   'H' root(32) u64be(i) -> chunk i's hash (blob_chunk_hash), to rebuild proofs without reading chunks
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "common/bytes.h"
#include "common/status.h"

namespace step::node::keys {

inline constexpr uint8_t kBlock = 'b';
inline constexpr uint8_t kIndex = 'i';
inline constexpr uint8_t kUndo = 'u';
inline constexpr uint8_t kHeight = 'h';
inline constexpr uint8_t kTxLocation = 'x';
inline constexpr uint8_t kState = 's';
inline constexpr uint8_t kTip = 'T';
inline constexpr uint8_t kNetwork = 'N';
inline constexpr uint8_t kBlob = 'B';
inline constexpr uint8_t kBlobChunk = 'C';
inline constexpr uint8_t kBlobChunkHash = 'H';

Bytes block(const Hash256& hash);
Bytes index(const Hash256& hash);
Bytes undo(const Hash256& hash);
Bytes height(uint64_t height);
Bytes tx_location(const Hash256& txid);
Bytes state(ByteSpan consensus_key);
Bytes tip();
Bytes network();

}  // namespace step::node::keys

namespace step::node {

// Same shape as consensus::KvWrites: key -> new value, nullopt = delete.
using KvChanges = std::map<Bytes, std::optional<Bytes>>;

enum class BlockStatus : uint8_t {
    kHeaderOnly = 0,  // header checked (headers-first sync), body not stored yet
    kHaveData = 1,    // body stored, not (yet) known valid
    kValid = 2,       // connected at least once: apply_block succeeded
    kInvalid = 3,     // failed a consensus rule (reason kept)
    kInvalidParent = 4,  // descends from an invalid block
};

inline bool has_body(BlockStatus s) { return s == BlockStatus::kHaveData || s == BlockStatus::kValid; }
inline bool is_invalid(BlockStatus s) { return s == BlockStatus::kInvalid || s == BlockStatus::kInvalidParent; }

struct IndexRecord {
    BlockStatus status = BlockStatus::kHaveData;
    uint64_t height = 0;
    Hash256 cumulative_work{};  // big-endian 256-bit
    std::string invalid_reason;
    Bytes header;               // canonical header bytes
};

Bytes encode_index_record(const IndexRecord& r);
// Error "corrupt-index" on malformed bytes.
Result<IndexRecord> decode_index_record(ByteSpan bytes);

// Undo data: the previous value of every consensus key a block wrote.
Bytes encode_undo(const KvChanges& undo);
Result<KvChanges> decode_undo(ByteSpan bytes);  // "corrupt-undo"

}  // namespace step::node
