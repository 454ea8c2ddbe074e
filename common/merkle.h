// Merkle trees (RFC 6962 shape) and chunked blob roots (PROTOCOL.md sections 2 and 4).
//
// Leaves and inner nodes are hashed under different tags, and an odd node is never duplicated:
// a tree of n > 1 leaves splits at k, the largest power of two below n (RFC 6962 section 2.1),
// which rules out the CVE-2012-2459 ambiguity.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "common/bytes.h"

namespace step {

// Bulk data is hashed in chunks of this many bytes. Part of every blob root and state leaf:
// changing it is a new kernel_version and a fork.
inline constexpr size_t kChunkBytes = 64 * 1024;

Hash256 merkle_leaf_hash(const Hash256& leaf);
Hash256 merkle_node_hash(const Hash256& left, const Hash256& right);

// Root over leaves (each already a digest of its own domain). The empty tree's root is the
// leaf-tagged hash of nothing, which no real leaf or node can equal.
Hash256 merkle_root(const std::vector<Hash256>& leaves);

// Inclusion proof for leaf `index` of `leaves` (sibling hashes from the bottom up).
std::vector<Hash256> merkle_proof(const std::vector<Hash256>& leaves, size_t index);

// Checks that `leaf` is leaf `index` of a tree of `count` leaves with root `root`.
bool merkle_verify(const Hash256& root, size_t count, size_t index, const Hash256& leaf,
                   const std::vector<Hash256>& proof);

// Blob roots: chunk i of a blob is hashed as H_chunk(bytes); the root is
// H_blob-root(u64le(total size) || merkle_root(chunk hashes)). The size makes a short last chunk
// unambiguous.
size_t blob_chunk_count(size_t total_bytes);
Hash256 blob_chunk_hash(ByteSpan chunk);
Hash256 blob_root_from_chunks(uint64_t total_bytes, const std::vector<Hash256>& chunk_hashes);
// The same from the chunk tree's root: what a peer's claim (size, chunks root) must give.
Hash256 blob_root_from_chunks_root(uint64_t total_bytes, const Hash256& chunks_root);
// Hashes chunks on up to `threads` threads (chunks are independent; the result never depends
// on the thread count).
Hash256 blob_root(ByteSpan data, unsigned threads = 1);
std::vector<Hash256> blob_chunk_hashes(ByteSpan data, unsigned threads = 1);

}  // namespace step
