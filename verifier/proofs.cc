#include "verifier/proofs.h"

#include <algorithm>
#include <optional>

#include "common/coding.h"
#include "common/hash.h"
#include "common/hash_tags.h"
#include "common/merkle.h"
#include "kernels/data.h"
#include "verifier/errors.h"

namespace step::verifier {

MerkleTree::MerkleTree(const std::vector<Hash256>& leaves) : count_(leaves.size()) {
    // Pairing level by level and lifting an odd last node unchanged gives exactly the RFC 6962
    // shape (split at the largest power of two below n) that common/merkle.h builds recursively.
    std::vector<Hash256> level(leaves.size());
    for (size_t i = 0; i < leaves.size(); ++i) level[i] = merkle_leaf_hash(leaves[i]);
    levels_.push_back(std::move(level));
    while (levels_.back().size() > 1) {
        const auto& below = levels_.back();
        std::vector<Hash256> up;
        up.reserve((below.size() + 1) / 2);
        for (size_t i = 0; i + 1 < below.size(); i += 2)
            up.push_back(merkle_node_hash(below[i], below[i + 1]));
        if (below.size() % 2) up.push_back(below.back());
        levels_.push_back(std::move(up));
    }
}

Hash256 MerkleTree::root() const {
    if (count_ == 0) return merkle_root({});
    return levels_.back()[0];
}

std::vector<Hash256> MerkleTree::proof(size_t index) const {
    std::vector<Hash256> out;
    if (index >= count_) return out;
    for (size_t d = 0; d + 1 < levels_.size(); ++d) {
        const auto& level = levels_[d];
        size_t sibling = index ^ 1;
        // A lifted odd node has no sibling at this level.
        if (sibling < level.size()) out.push_back(level[sibling]);
        index /= 2;
    }
    return out;
}

uint32_t merkle_path_max(uint64_t count) {
    // Stops at 64: past 2^63 leaves the shift would overflow and the loop never end (a spec with
    // data_count > 2^63 hung SubmitTask validation).
    uint32_t depth = 0;
    while (depth < 64 && (uint64_t{1} << depth) < count) ++depth;
    return depth;
}

namespace {

uint64_t split_point(uint64_t n) {
    uint64_t k = 1;
    while (k * 2 < n) k *= 2;
    return k;
}

// Proven leaves of [begin, end) are indices[*at ..) below end.
void multiproof_range(const std::vector<Hash256>& leaves, const std::vector<uint64_t>& indices,
                      size_t& at, uint64_t begin, uint64_t end, std::vector<Hash256>& out) {
    if (at >= indices.size() || indices[at] >= end) {
        std::vector<Hash256> part(leaves.begin() + static_cast<std::ptrdiff_t>(begin),
                                  leaves.begin() + static_cast<std::ptrdiff_t>(end));
        out.push_back(merkle_root(part));
        return;
    }
    if (end - begin == 1) {
        ++at;
        return;
    }
    uint64_t k = split_point(end - begin);
    multiproof_range(leaves, indices, at, begin, begin + k, out);
    multiproof_range(leaves, indices, at, begin + k, end, out);
}

struct MultiVerify {
    const std::vector<uint64_t>& indices;
    const std::vector<Hash256>& values;
    const std::vector<Hash256>& proof;
    size_t at = 0, used = 0;

    std::optional<Hash256> node(uint64_t begin, uint64_t end) {
        if (at >= indices.size() || indices[at] >= end) {
            if (used >= proof.size()) return std::nullopt;
            return proof[used++];
        }
        if (end - begin == 1) {
            if (indices[at] != begin) return std::nullopt;  // not ascending and distinct
            return merkle_leaf_hash(values[at++]);
        }
        uint64_t k = split_point(end - begin);
        auto left = node(begin, begin + k);
        if (!left) return std::nullopt;
        auto right = node(begin + k, end);
        if (!right) return std::nullopt;
        return merkle_node_hash(*left, *right);
    }
};

}  // namespace

std::vector<Hash256> merkle_multiproof(const std::vector<Hash256>& leaves,
                                       const std::vector<uint64_t>& indices) {
    std::vector<Hash256> out;
    if (leaves.empty() || indices.empty()) return out;
    size_t at = 0;
    multiproof_range(leaves, indices, at, 0, leaves.size(), out);
    return out;
}

bool merkle_multiverify(const Hash256& root, uint64_t count, const std::vector<uint64_t>& indices,
                        const std::vector<Hash256>& leaf_values,
                        const std::vector<Hash256>& proof) {
    if (count == 0 || indices.empty() || indices.size() != leaf_values.size()) return false;
    for (size_t i = 0; i < indices.size(); ++i)
        if (indices[i] >= count || (i && indices[i] <= indices[i - 1])) return false;
    MultiVerify v{indices, leaf_values, proof};
    auto got = v.node(0, count);
    return got && v.at == indices.size() && v.used == proof.size() && *got == root;
}

uint64_t merkle_multiproof_max(uint64_t count, uint64_t proven) {
    if (proven == 0 || proven >= count) return 0;
    // Each hash is a maximal subtree without proven leaves (so at most count - proven of them),
    // and each is a sibling on some proven leaf's path (at most proven * depth).
    return std::min<uint64_t>(count - proven, proven * uint64_t{merkle_path_max(count)});
}

LeafProof make_leaf_proof(const std::vector<Hash256>& leaves, uint32_t index) {
    LeafProof p;
    p.index = index;
    if (index < leaves.size()) {
        p.leaf = leaves[index];
        p.path = merkle_proof(leaves, index);
    }
    return p;
}

bool verify_leaf_proof(const Hash256& trace_root, uint32_t leaf_count, const LeafProof& p) {
    return merkle_verify(trace_root, leaf_count, p.index, p.leaf, p.path);
}

bool verify_record_proof(const Hash256& dataset_root, uint64_t record_count,
                         const RecordProof& p) {
    return merkle_verify(dataset_root, record_count, p.index, kernels::record_hash(p.record),
                         p.path);
}

Result<ChunkProof> make_chunk_proof(ByteSpan blob, uint64_t index) {
    size_t chunks = blob_chunk_count(blob.size());
    if (index >= chunks)
        return Status::error(codes::kBadChunkIndex, "chunk " + std::to_string(index) + " of a blob of " +
                                                    std::to_string(chunks) + " chunks");
    auto hashes = blob_chunk_hashes(blob);
    ChunkProof p;
    p.blob_size = blob.size();
    p.index = index;
    size_t at = index * kChunkBytes;
    size_t len = std::min(kChunkBytes, blob.size() - at);
    p.chunk.assign(blob.begin() + at, blob.begin() + at + len);
    p.chunks_root = merkle_root(hashes);
    p.path = merkle_proof(hashes, index);
    return p;
}

bool verify_chunk_proof(const Hash256& blob_root, const ChunkProof& p) {
    uint64_t chunks = blob_chunk_count(p.blob_size);
    if (p.index >= chunks) return false;
    uint64_t want_len =
        p.index + 1 < chunks ? kChunkBytes : p.blob_size - p.index * kChunkBytes;
    if (p.chunk.size() != want_len) return false;
    if (!merkle_verify(p.chunks_root, chunks, p.index, blob_chunk_hash(p.chunk), p.path))
        return false;
    return blob_root_from_chunks_root(p.blob_size, p.chunks_root) == blob_root;
}

}  // namespace step::verifier
