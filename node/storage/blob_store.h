// The node's blob store (PROTOCOL.md section 4; docs/node.md "Blob store"): content-addressed
// blobs (dataset files, checkpoints, final states) kept in the node's LevelDB, received and
// served one chunk at a time.
//
// A blob is known by its root, which binds its size and chunks_root (common/merkle.h). Every
// chunk is checked with verifier::verify_chunk_proof against the root before anything is
// written, and each chunk is stored in one atomic batch together with its hash and the blob's
// updated record: a process killed mid-upload leaves a consistent partial blob that a resumed
// upload completes. Proofs are rebuilt from the stored chunk hashes (32 bytes per chunk, kept
// apart from the chunk bytes), so serving one chunk reads one chunk and the blob's hashes, never
// the whole blob.
//
// Space: a blob's full declared size is reserved when its first chunk arrives, so an upload the
// store accepted never runs out of room halfway; a new blob that would push the reserved total
// past max_total_bytes is refused (blob-store-full). Nothing is pruned automatically: blobs stay
// until pruned (prune), see docs/node.md.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "common/bytes.h"
#include "common/rpc_methods.h"
#include "common/status.h"
#include "node/storage/database.h"
#include "verifier/proofs.h"

namespace step::node {

// MAX_BLOB_BYTES: the largest blob stored (shared with the wallet through rpc_methods.h).
inline constexpr uint64_t kMaxBlobBytes = rpc::kMaxBlobBytes;
// Default bound on the bytes all stored blobs may reserve: 64 blobs of the largest size.
inline constexpr uint64_t kDefaultMaxBlobStoreBytes = 4ull << 30;

struct BlobLimits {
    uint64_t max_blob_bytes = kMaxBlobBytes;
    uint64_t max_total_bytes = kDefaultMaxBlobStoreBytes;
};

struct BlobInfo {
    Hash256 root{};
    uint64_t size = 0;
    Hash256 chunks_root{};
    uint64_t chunks = 0;  // blob_chunk_count(size)
    uint64_t have = 0;    // chunks stored
    bool complete() const { return have == chunks; }
};

struct PutChunkResult {
    bool stored = false;  // false: the chunk was already there (nothing written)
    BlobInfo info;        // after this chunk
};

class BlobStore {
public:
    // Loads the blob records to learn the reserved total. Error "corrupt-blob-record".
    static Result<std::unique_ptr<BlobStore>> open(Database& db, BlobLimits limits = {});

    // Verifies and stores chunk p.index of blob `root`. Errors (nothing written on any):
    //   empty-blob       blob_size 0 (an empty blob has no chunk to send)
    //   blob-too-large   blob_size over max_blob_bytes
    //   bad-chunk-index  index past the blob's last chunk
    //   bad-chunk-proof  verify_chunk_proof(root, p) fails (wrong bytes, length, path or root)
    //   blob-store-full  a new blob whose size does not fit in what is left of max_total_bytes
    //   db-write         LevelDB refused the batch
    //   db-corruption, db-read  a read the database could not answer (logged)
    Result<PutChunkResult> put_chunk(const Hash256& root, const verifier::ChunkProof& p);

    // info, missing and list throw consensus::KvReadError when the database cannot answer.
    std::optional<BlobInfo> info(const Hash256& root) const;
    // The indices of chunks not yet stored, ascending, at most `max`.
    std::vector<uint64_t> missing(const Hash256& root, size_t max) const;
    // Chunk `index` of a complete blob with its path rebuilt from the stored chunk hashes:
    // verify_chunk_proof(root, result) holds. Errors: unknown-blob, bad-chunk-index,
    // blob-incomplete (the path needs every chunk's hash), corrupt-blob-record, and
    // db-corruption or db-read when the database cannot answer (logged: a damaged table file).
    Result<verifier::ChunkProof> get_chunk(const Hash256& root, uint64_t index) const;
    // Blobs in root order, starting after `start_after` when given, at most `limit`.
    std::vector<BlobInfo> list(size_t limit, const std::optional<Hash256>& start_after) const;
    // Removes the blob's record, chunks and hashes in one batch and frees its reservation.
    // Returns the bytes freed. Errors: unknown-blob, db-write, db-corruption, db-read.
    Result<uint64_t> prune(const Hash256& root);

    uint64_t reserved_bytes() const;
    const BlobLimits& limits() const { return limits_; }

private:
    BlobStore(Database& db, BlobLimits limits) : db_(db), limits_(limits) {}
    std::optional<BlobInfo> read_info(const Hash256& root) const;  // mutex held
    // fn(), with a consensus::KvReadError it throws logged and returned as its Status.
    template <class T, class F>
    Result<T> guard_reads(const Hash256& root, F&& fn) const;
    Result<PutChunkResult> put_chunk_unguarded(const Hash256& root, const verifier::ChunkProof& p);
    Result<verifier::ChunkProof> get_chunk_unguarded(const Hash256& root, uint64_t index) const;
    Result<uint64_t> prune_unguarded(const Hash256& root);

    Database& db_;
    BlobLimits limits_;
    // Serialises writers: a chunk's batch rewrites the blob record (read-modify-write) and the
    // reserved total must not be raced past the limit.
    mutable std::mutex mutex_;
    uint64_t reserved_bytes_ = 0;  // sum of the sizes of all stored blobs, complete or not
};

}  // namespace step::node
