#include "common/merkle.h"

#include <bit>
#include <thread>

#include "common/coding.h"
#include "common/hash.h"
#include "common/hash_tags.h"

namespace step {

namespace {

const TaggedHasher& leaf_hasher() {
    static const TaggedHasher h(tags::kMerkleLeaf);
    return h;
}
const TaggedHasher& node_hasher() {
    static const TaggedHasher h(tags::kMerkleNode);
    return h;
}

// Largest power of two strictly below n (n >= 2).
size_t split_point(size_t n) { return std::bit_floor(n - 1); }

Hash256 root_of_range(const std::vector<Hash256>& leaves, size_t begin, size_t end) {
    size_t n = end - begin;
    if (n == 1) return merkle_leaf_hash(leaves[begin]);
    size_t k = split_point(n);
    return merkle_node_hash(root_of_range(leaves, begin, begin + k),
                            root_of_range(leaves, begin + k, end));
}

void proof_of_range(const std::vector<Hash256>& leaves, size_t begin, size_t end, size_t index,
                    std::vector<Hash256>& out) {
    size_t n = end - begin;
    if (n == 1) return;
    size_t k = split_point(n);
    if (index < begin + k) {
        proof_of_range(leaves, begin, begin + k, index, out);
        out.push_back(root_of_range(leaves, begin + k, end));
    } else {
        proof_of_range(leaves, begin + k, end, index, out);
        out.push_back(root_of_range(leaves, begin, begin + k));
    }
}

// Recomputes the root of a range of `n` leaves holding `index` (relative) from the proof, whose
// entries are consumed from the back (top of the tree first).
std::optional<Hash256> verify_range(size_t n, size_t index, const Hash256& leaf_node,
                                    const std::vector<Hash256>& proof, size_t& used) {
    if (n == 1) return leaf_node;
    if (used >= proof.size()) return std::nullopt;
    const Hash256& sibling = proof[proof.size() - 1 - used];
    ++used;
    size_t k = split_point(n);
    if (index < k) {
        auto left = verify_range(k, index, leaf_node, proof, used);
        if (!left) return std::nullopt;
        return merkle_node_hash(*left, sibling);
    }
    auto right = verify_range(n - k, index - k, leaf_node, proof, used);
    if (!right) return std::nullopt;
    return merkle_node_hash(sibling, *right);
}

}  // namespace

Hash256 merkle_leaf_hash(const Hash256& leaf) {
    TaggedHasher h = leaf_hasher();
    return h.update(leaf).finish();
}

Hash256 merkle_node_hash(const Hash256& left, const Hash256& right) {
    TaggedHasher h = node_hasher();
    return h.update(left).update(right).finish();
}

Hash256 merkle_root(const std::vector<Hash256>& leaves) {
    if (leaves.empty()) {
        TaggedHasher h = leaf_hasher();
        return h.finish();
    }
    return root_of_range(leaves, 0, leaves.size());
}

std::vector<Hash256> merkle_proof(const std::vector<Hash256>& leaves, size_t index) {
    std::vector<Hash256> out;
    if (index < leaves.size()) proof_of_range(leaves, 0, leaves.size(), index, out);
    return out;
}

bool merkle_verify(const Hash256& root, size_t count, size_t index, const Hash256& leaf,
                   const std::vector<Hash256>& proof) {
    if (count == 0 || index >= count) return false;
    // A proof is exactly as long as the path: reject padding so each proof has one encoding.
    size_t used = 0;
    auto got = verify_range(count, index, merkle_leaf_hash(leaf), proof, used);
    return got && used == proof.size() && *got == root;
}

size_t blob_chunk_count(size_t total_bytes) { return (total_bytes + kChunkBytes - 1) / kChunkBytes; }

Hash256 blob_chunk_hash(ByteSpan chunk) {
    static const TaggedHasher prefix(tags::kChunk);
    TaggedHasher h = prefix;
    return h.update(chunk).finish();
}

Hash256 blob_root_from_chunks_root(uint64_t total_bytes, const Hash256& chunks_root) {
    Bytes pre;
    append_u64le(pre, total_bytes);
    pre.insert(pre.end(), chunks_root.begin(), chunks_root.end());
    return tagged_hash(tags::kBlobRoot, pre);
}

Hash256 blob_root_from_chunks(uint64_t total_bytes, const std::vector<Hash256>& chunk_hashes) {
    return blob_root_from_chunks_root(total_bytes, merkle_root(chunk_hashes));
}

std::vector<Hash256> blob_chunk_hashes(ByteSpan data, unsigned threads) {
    size_t n = blob_chunk_count(data.size());
    std::vector<Hash256> hashes(n);
    auto work = [&](size_t first, size_t stride) {
        for (size_t i = first; i < n; i += stride) {
            size_t off = i * kChunkBytes;
            hashes[i] = blob_chunk_hash(data.subspan(off, std::min(kChunkBytes, data.size() - off)));
        }
    };
    if (threads <= 1 || n <= 1) {
        work(0, 1);
    } else {
        std::vector<std::thread> pool;
        for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work, t, threads);
        work(0, threads);
        for (auto& th : pool) th.join();
    }
    return hashes;
}

Hash256 blob_root(ByteSpan data, unsigned threads) {
    return blob_root_from_chunks(data.size(), blob_chunk_hashes(data, threads));
}

}  // namespace step
