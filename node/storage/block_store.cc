#include "node/storage/block_store.h"

#include <algorithm>

#include "common/coding.h"
#include "node/errors.h"

namespace step::node {
namespace keys {
namespace {

// Sized up front: GCC 12 mis-warns (-Warray-bounds) on insert into a one-element vector.
Bytes with_prefix(uint8_t prefix, ByteSpan rest) {
    Bytes k(1 + rest.size());
    k[0] = prefix;
    std::copy(rest.begin(), rest.end(), k.begin() + 1);
    return k;
}

Bytes with_hash(uint8_t prefix, const Hash256& h) { return with_prefix(prefix, h); }

}  // namespace

Bytes block(const Hash256& hash) { return with_hash(kBlock, hash); }
Bytes index(const Hash256& hash) { return with_hash(kIndex, hash); }
Bytes undo(const Hash256& hash) { return with_hash(kUndo, hash); }
Bytes tx_location(const Hash256& txid) { return with_hash(kTxLocation, txid); }

Bytes height(uint64_t h) {
    // Big-endian, so a prefix scan walks heights in order.
    Bytes k{kHeight};
    append_u64be(k, h);
    return k;
}

Bytes state(ByteSpan consensus_key) { return with_prefix(kState, consensus_key); }

Bytes tip() { return Bytes{kTip}; }
Bytes network() { return Bytes{kNetwork}; }

}  // namespace keys

namespace {

constexpr uint8_t kIndexRecordVersion = 1;

}  // namespace

Bytes encode_index_record(const IndexRecord& r) {
    Bytes out{kIndexRecordVersion, static_cast<uint8_t>(r.status)};
    append_u64le(out, r.height);
    append_hash(out, r.cumulative_work);
    append_bytes_u32(out, as_bytes(r.invalid_reason));
    append_bytes_u32(out, r.header);
    return out;
}

Result<IndexRecord> decode_index_record(ByteSpan bytes) {
    ByteReader in(bytes);
    IndexRecord r;
    uint8_t version = 0, status = 0;
    Bytes reason;
    bool ok = in.read_u8(version) && version == kIndexRecordVersion && in.read_u8(status) &&
              status <= static_cast<uint8_t>(BlockStatus::kInvalidParent) &&
              in.read_u64le(r.height) && in.read_hash(r.cumulative_work) &&
              in.read_bytes_u32(reason) && in.read_bytes_u32(r.header) && in.done();
    if (!ok) return Status::error(codes::kCorruptIndex, "malformed block index record");
    r.status = static_cast<BlockStatus>(status);
    r.invalid_reason.assign(reason.begin(), reason.end());
    return r;
}

Bytes encode_undo(const KvChanges& undo) {
    Bytes out;
    append_u32le(out, static_cast<uint32_t>(undo.size()));
    for (const auto& [key, value] : undo) {
        append_bytes_u32(out, key);
        append_u8(out, value ? 1 : 0);
        if (value) append_bytes_u32(out, *value);
    }
    return out;
}

Result<KvChanges> decode_undo(ByteSpan bytes) {
    ByteReader in(bytes);
    KvChanges out;
    uint32_t count = 0;
    if (!in.read_u32le(count)) return Status::error(codes::kCorruptUndo, "malformed undo record");
    for (uint32_t i = 0; i < count; ++i) {
        uint8_t present = 0;
        Bytes key, value;
        if (!in.read_bytes_u32(key) || !in.read_u8(present) || present > 1 ||
            (present && !in.read_bytes_u32(value)))
            return Status::error(codes::kCorruptUndo, "malformed undo record");
        if (present)
            out[key] = std::move(value);
        else
            out[key] = std::nullopt;
    }
    if (!in.done()) return Status::error(codes::kCorruptUndo, "trailing bytes in undo record");
    return out;
}

}  // namespace step::node
