#include "node/storage/blob_store.h"

#include <algorithm>

#include "consensus/kv.h"
#include "node/log.h"

#include "common/coding.h"
#include "common/merkle.h"
#include "node/storage/block_store.h"
#include "consensus/errors.h"
#include "node/errors.h"
#include "common/rpc_errors.h"
#include "verifier/errors.h"

namespace step::node {
namespace {

static_assert(rpc::kMaxBlobInfoMissing * kChunkBytes >= kMaxBlobBytes,
              "getblobinfo must be able to list every chunk of the largest blob");

constexpr uint8_t kBlobRecordVersion = 1;
// u8 version | u64le size | chunks_root | u64le chunks held
constexpr uint64_t kBlobRecordBytes = kU8Bytes + kU64Bytes + kHashBytes + kU64Bytes;

// prefix || root: a blob's record key, and the prefix of its chunk keys.
Bytes root_key(uint8_t prefix, const Hash256& root) {
    Bytes k{prefix};
    append_hash(k, root);
    return k;
}

Bytes blob_key(const Hash256& root) { return root_key(keys::kBlob, root); }

// The root of a blob_key; nullopt for a key of another length.
std::optional<Hash256> root_of_blob_key(ByteSpan key) {
    ByteReader in(key);
    uint8_t prefix = 0;
    Hash256 root{};
    if (!in.read_u8(prefix) || !in.read_hash(root) || !in.done()) return std::nullopt;
    return root;
}

// prefix || root || u64be(index): big-endian so a prefix scan walks chunks in index order.
Bytes chunk_key(uint8_t prefix, const Hash256& root, uint64_t index) {
    Bytes k = root_key(prefix, root);
    append_u64be(k, index);
    return k;
}

// 0 for a key too short to hold an index (chunk_key never writes one).
uint64_t index_of_chunk_key(ByteSpan key) {
    ByteReader in(key);
    ByteSpan prefix;
    uint64_t index = 0;
    in.read_span(kU8Bytes + kHashBytes, prefix);
    in.read_u64be(index);
    return index;
}

Bytes encode_record(const BlobInfo& info) {
    Bytes out;
    out.reserve(kBlobRecordBytes);
    append_u8(out, kBlobRecordVersion);
    append_u64le(out, info.size);
    append_hash(out, info.chunks_root);
    append_u64le(out, info.have);
    return out;
}

std::optional<BlobInfo> decode_record(const Hash256& root, ByteSpan bytes) {
    ByteReader in(bytes);
    uint8_t version = 0;
    BlobInfo info;
    info.root = root;
    if (!in.read_u8(version) || version != kBlobRecordVersion || !in.read_u64le(info.size) ||
        !in.read_hash(info.chunks_root) || !in.read_u64le(info.have) || !in.done())
        return std::nullopt;
    info.chunks = blob_chunk_count(info.size);
    if (info.have > info.chunks) return std::nullopt;
    return info;
}

Status corrupt(const Hash256& root, const std::string& what) {
    return Status::error(codes::kCorruptBlobRecord, "blob " + to_hex(root) + ": " + what);
}

}  // namespace

Result<std::unique_ptr<BlobStore>> BlobStore::open(Database& db, BlobLimits limits) {
    std::unique_ptr<BlobStore> store(new BlobStore(db, limits));
    Status bad;
    db.scan(Bytes{keys::kBlob}, [&](ByteSpan key, ByteSpan value) {
        const auto root = root_of_blob_key(key);
        if (!root) {
            bad = Status::error(codes::kCorruptBlobRecord, "blob key of " + std::to_string(key.size()) + " bytes");
            return false;
        }
        auto info = decode_record(*root, value);
        if (!info) {
            bad = corrupt(*root, "undecodable record");
            return false;
        }
        store->reserved_bytes_ += info->size;
        return true;
    });
    if (!bad.ok()) return bad;
    return store;
}

std::optional<BlobInfo> BlobStore::read_info(const Hash256& root) const {
    auto bytes = db_.get(blob_key(root));
    if (!bytes) return std::nullopt;
    return decode_record(root, *bytes);
}

std::optional<BlobInfo> BlobStore::info(const Hash256& root) const {
    std::lock_guard lock(mutex_);
    return read_info(root);
}

uint64_t BlobStore::reserved_bytes() const {
    std::lock_guard lock(mutex_);
    return reserved_bytes_;
}

template <class T, class F>
Result<T> BlobStore::guard_reads(const Hash256& root, F&& fn) const {
    try {
        return fn();
    } catch (const consensus::KvReadError& e) {
        log_error("blob ", to_hex(root), ": ", e.status().to_string());
        return e.status();
    }
}

Result<PutChunkResult> BlobStore::put_chunk(const Hash256& root, const verifier::ChunkProof& p) {
    return guard_reads<PutChunkResult>(root, [&] { return put_chunk_unguarded(root, p); });
}

Result<PutChunkResult> BlobStore::put_chunk_unguarded(const Hash256& root,
                                                      const verifier::ChunkProof& p) {
    if (p.blob_size == 0) return Status::error(rpc::codes::kEmptyBlob, "a blob of 0 bytes has no chunks to store");
    if (p.blob_size > limits_.max_blob_bytes)
        return Status::error(rpc::codes::kBlobTooLarge, "blob of " + std::to_string(p.blob_size) + " bytes; at most " +
                                                   std::to_string(limits_.max_blob_bytes) + " are stored");
    const uint64_t chunks = blob_chunk_count(p.blob_size);
    if (p.index >= chunks)
        return Status::error(verifier::codes::kBadChunkIndex, "chunk " + std::to_string(p.index) + " of a blob of " +
                                                    std::to_string(chunks) + " chunks");
    // Checked before taking the lock or touching the database: a chunk that does not belong to
    // `root` never reaches the disk. The root binds size and chunks_root, so a verified chunk
    // also agrees with any record already stored for this root.
    if (!verifier::verify_chunk_proof(root, p))
        return Status::error(consensus::codes::kBadChunkProof, "chunk " + std::to_string(p.index) + " does not prove into blob " +
                                                    to_hex(root));

    std::lock_guard lock(mutex_);
    std::optional<BlobInfo> existing;
    if (auto raw = db_.get(blob_key(root))) {
        existing = decode_record(root, *raw);
        if (!existing) return corrupt(root, "undecodable record");
    }
    BlobInfo info;
    if (existing) {
        info = *existing;
        if (db_.get(chunk_key(keys::kBlobChunkHash, root, p.index))) return PutChunkResult{false, info};
    } else {
        if (reserved_bytes_ + p.blob_size > limits_.max_total_bytes)
            return Status::error(codes::kBlobStoreFull,
                                 "a blob of " + std::to_string(p.blob_size) + " bytes does not fit: " +
                                     std::to_string(reserved_bytes_) + " of " +
                                     std::to_string(limits_.max_total_bytes) + " bytes are taken");
        info.root = root;
        info.size = p.blob_size;
        info.chunks_root = p.chunks_root;
        info.chunks = chunks;
    }
    info.have += 1;
    const Hash256 hash = blob_chunk_hash(p.chunk);
    WriteBatch batch;
    batch.put(chunk_key(keys::kBlobChunk, root, p.index), p.chunk);
    batch.put(chunk_key(keys::kBlobChunkHash, root, p.index), hash);
    batch.put(blob_key(root), encode_record(info));
    // Unsynced: a process crash loses nothing LevelDB accepted; power loss can lose the last
    // chunks but never splits one (the batch is all-or-nothing), and a resumed upload re-sends them.
    STEP_TRY(db_.write(batch, /*sync=*/false));
    if (!existing) reserved_bytes_ += info.size;
    return PutChunkResult{true, info};
}

std::vector<uint64_t> BlobStore::missing(const Hash256& root, size_t max) const {
    std::lock_guard lock(mutex_);
    std::vector<uint64_t> out;
    auto info = read_info(root);
    if (!info || max == 0) return out;
    uint64_t next = 0;  // the first index not yet accounted for
    db_.scan(root_key(keys::kBlobChunkHash, root), [&](ByteSpan key, ByteSpan) {
        const uint64_t have = index_of_chunk_key(key);
        for (; next < have && out.size() < max; ++next) out.push_back(next);
        next = have + 1;
        return out.size() < max;
    });
    for (; next < info->chunks && out.size() < max; ++next) out.push_back(next);
    return out;
}

Result<verifier::ChunkProof> BlobStore::get_chunk(const Hash256& root, uint64_t index) const {
    return guard_reads<verifier::ChunkProof>(root, [&] { return get_chunk_unguarded(root, index); });
}

Result<verifier::ChunkProof> BlobStore::get_chunk_unguarded(const Hash256& root,
                                                            uint64_t index) const {
    std::lock_guard lock(mutex_);
    auto info = read_info(root);
    if (!info) return Status::error(rpc::codes::kUnknownBlob, "no blob " + to_hex(root) + " is stored");
    if (index >= info->chunks)
        return Status::error(verifier::codes::kBadChunkIndex, "chunk " + std::to_string(index) + " of a blob of " +
                                                    std::to_string(info->chunks) + " chunks");
    if (!info->complete())
        return Status::error(rpc::codes::kBlobIncomplete, "blob " + to_hex(root) + " holds " + std::to_string(info->have) +
                                                    " of " + std::to_string(info->chunks) +
                                                    " chunks; proofs need them all");
    std::vector<Hash256> hashes;
    hashes.reserve(info->chunks);
    bool well_formed = true;
    db_.scan(root_key(keys::kBlobChunkHash, root), [&](ByteSpan key, ByteSpan value) {
        Hash256 h{};
        if (value.size() != h.size() || index_of_chunk_key(key) != hashes.size()) {
            well_formed = false;
            return false;
        }
        std::copy(value.begin(), value.end(), h.begin());
        hashes.push_back(h);
        return true;
    });
    if (!well_formed || hashes.size() != info->chunks) return corrupt(root, "chunk hashes do not match the record");
    auto chunk = db_.get(chunk_key(keys::kBlobChunk, root, index));
    // A chunk whose bytes no longer hash to what was verified means a damaged disk: refuse to
    // serve it rather than hand out a proof that fails at the receiver.
    if (!chunk || blob_chunk_hash(*chunk) != hashes[index]) return corrupt(root, "chunk " + std::to_string(index));
    if (merkle_root(hashes) != info->chunks_root) return corrupt(root, "chunk hashes do not rebuild chunks_root");
    verifier::ChunkProof p;
    p.blob_size = info->size;
    p.index = index;
    p.chunk = std::move(*chunk);
    p.chunks_root = info->chunks_root;
    p.path = merkle_proof(hashes, index);
    return p;
}

std::vector<BlobInfo> BlobStore::list(size_t limit, const std::optional<Hash256>& start_after) const {
    std::lock_guard lock(mutex_);
    std::vector<BlobInfo> out;
    if (limit == 0) return out;
    db_.scan(Bytes{keys::kBlob}, [&](ByteSpan key, ByteSpan value) {
        const auto root = root_of_blob_key(key);
        if (!root) return true;
        if (start_after && !(*start_after < *root)) return true;
        if (auto info = decode_record(*root, value)) out.push_back(*info);
        return out.size() < limit;
    });
    return out;
}

Result<uint64_t> BlobStore::prune(const Hash256& root) {
    return guard_reads<uint64_t>(root, [&] { return prune_unguarded(root); });
}

Result<uint64_t> BlobStore::prune_unguarded(const Hash256& root) {
    std::lock_guard lock(mutex_);
    auto info = read_info(root);
    if (!info) return Status::error(rpc::codes::kUnknownBlob, "no blob " + to_hex(root) + " is stored");
    // Every index the blob can have, present or not: erasing an absent key is a no-op, and this
    // avoids reading up to MAX_BLOB_BYTES of chunk values just to learn their keys.
    WriteBatch batch;
    for (uint64_t i = 0; i < info->chunks; ++i) {
        batch.erase(chunk_key(keys::kBlobChunk, root, i));
        batch.erase(chunk_key(keys::kBlobChunkHash, root, i));
    }
    batch.erase(blob_key(root));
    STEP_TRY(db_.write(batch, /*sync=*/false));
    reserved_bytes_ -= info->size;
    return info->size;
}

}  // namespace step::node
