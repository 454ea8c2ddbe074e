// Merkle inclusion proofs the market uses (PROTOCOL.md sections 3 and 4): a trace leaf against
// its unit's trace root, a dataset record against the dataset root (kernels/data.h), and a chunk
// of a blob (a checkpoint, a final state, the dataset file) against its blob root
// (common/merkle.h). A leaf proof travels inside a fraud proof, whose wire layout gives its bytes
// (fraud_proof.h); record and chunk proofs travel in DataResponse (consensus/proto/chain.proto).
#pragma once

#include <cstdint>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"

namespace step::verifier {

// Leaf `index` of a trace of `count` leaves (leaves 0..U/L, so count = U/L + 1).
struct LeafProof {
    uint32_t index = 0;
    Hash256 leaf{};
    std::vector<Hash256> path;  // merkle_proof siblings, bottom up
    bool operator==(const LeafProof&) const = default;
};
LeafProof make_leaf_proof(const std::vector<Hash256>& leaves, uint32_t index);
bool verify_leaf_proof(const Hash256& trace_root, uint32_t leaf_count, const LeafProof& p);

// Record `index` of the dataset: its bytes and the path of record_hash(bytes) to the root.
struct RecordProof {
    uint64_t index = 0;
    Bytes record;
    std::vector<Hash256> path;
    bool operator==(const RecordProof&) const = default;
};
bool verify_record_proof(const Hash256& dataset_root, uint64_t record_count,
                         const RecordProof& p);

// Chunk `index` of a blob of `blob_size` bytes. The blob root wraps the chunk tree's root with
// the size (common/merkle.h), so the proof carries that inner root and the checker rebuilds the
// blob root from it.
struct ChunkProof {
    uint64_t blob_size = 0;
    uint64_t index = 0;
    Bytes chunk;
    Hash256 chunks_root{};
    std::vector<Hash256> path;
    bool operator==(const ChunkProof&) const = default;
};
// Error "bad-chunk-index" when `index` is past the blob's last chunk.
Result<ChunkProof> make_chunk_proof(ByteSpan blob, uint64_t index);
// Checks the chunk's length (kChunkBytes, or the remainder for the last chunk), its path and
// that the rebuilt blob root equals `blob_root`.
bool verify_chunk_proof(const Hash256& blob_root, const ChunkProof& p);

// A whole Merkle tree kept level by level, so proofs for many leaves (a segment's thousands of
// records) cost O(log n) each instead of O(n). Same shape and hashes as common/merkle.h.
class MerkleTree {
public:
    explicit MerkleTree(const std::vector<Hash256>& leaves);
    Hash256 root() const;
    size_t size() const { return count_; }
    std::vector<Hash256> proof(size_t index) const;

private:
    size_t count_;
    std::vector<std::vector<Hash256>> levels_;  // levels_[0]: leaf hashes
};

// Merkle multiproofs: one proof for many leaves of one tree (a segment's thousands of records
// share most of their paths). The proof is the roots of the maximal subtrees holding none of
// the proven leaves, in left-to-right order of the RFC 6962 recursion; the checker rebuilds the
// root from the proven leaves and these, consuming every hash exactly once. `indices` must be
// ascending and distinct.
std::vector<Hash256> merkle_multiproof(const std::vector<Hash256>& leaves,
                                       const std::vector<uint64_t>& indices);
bool merkle_multiverify(const Hash256& root, uint64_t count, const std::vector<uint64_t>& indices,
                        const std::vector<Hash256>& leaf_values, const std::vector<Hash256>& proof);
// Most hashes a multiproof of `proven` of `count` leaves can hold.
uint64_t merkle_multiproof_max(uint64_t count, uint64_t proven);

// Depth of the longest path in a tree of `count` leaves (ceil(log2 count)), for size bounds.
uint32_t merkle_path_max(uint64_t count);

}  // namespace step::verifier
