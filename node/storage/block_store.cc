#include "node/storage/block_store.h"

#include <algorithm>

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
    uint8_t be[8];
    for (int i = 0; i < 8; ++i) be[i] = static_cast<uint8_t>(h >> (8 * (7 - i)));
    return with_prefix(kHeight, ByteSpan(be, 8));
}

Bytes state(ByteSpan consensus_key) { return with_prefix(kState, consensus_key); }

Bytes tip() { return Bytes{kTip}; }
Bytes network() { return Bytes{kNetwork}; }

}  // namespace keys

namespace {

constexpr uint8_t kIndexRecordVersion = 1;

class Reader {
public:
    explicit Reader(ByteSpan b) : b_(b) {}
    bool u8(uint8_t& v) {
        if (pos_ + 1 > b_.size()) return false;
        v = b_[pos_++];
        return true;
    }
    bool u32(uint32_t& v) {
        if (pos_ + 4 > b_.size()) return false;
        v = 0;
        for (int i = 0; i < 4; ++i) v |= uint32_t(b_[pos_ + i]) << (8 * i);
        pos_ += 4;
        return true;
    }
    bool u64(uint64_t& v) {
        if (pos_ + 8 > b_.size()) return false;
        v = 0;
        for (int i = 0; i < 8; ++i) v |= uint64_t(b_[pos_ + i]) << (8 * i);
        pos_ += 8;
        return true;
    }
    bool bytes(size_t n, Bytes& out) {
        if (pos_ + n > b_.size()) return false;
        out.assign(b_.begin() + pos_, b_.begin() + pos_ + n);
        pos_ += n;
        return true;
    }
    bool done() const { return pos_ == b_.size(); }

private:
    ByteSpan b_;
    size_t pos_ = 0;
};

void append_bytes(Bytes& out, ByteSpan b) { out.insert(out.end(), b.begin(), b.end()); }

}  // namespace

Bytes encode_index_record(const IndexRecord& r) {
    Bytes out{kIndexRecordVersion, static_cast<uint8_t>(r.status)};
    append_u64le(out, r.height);
    append_bytes(out, r.cumulative_work);
    append_u32le(out, static_cast<uint32_t>(r.invalid_reason.size()));
    append_bytes(out, as_bytes(r.invalid_reason));
    append_u32le(out, static_cast<uint32_t>(r.header.size()));
    append_bytes(out, r.header);
    return out;
}

Result<IndexRecord> decode_index_record(ByteSpan bytes) {
    Reader rd(bytes);
    IndexRecord r;
    uint8_t version = 0, status = 0;
    uint32_t len = 0;
    Bytes work, reason;
    bool ok = rd.u8(version) && version == kIndexRecordVersion && rd.u8(status) &&
              status <= static_cast<uint8_t>(BlockStatus::kInvalidParent) && rd.u64(r.height) &&
              rd.bytes(32, work) && rd.u32(len) && rd.bytes(len, reason) && rd.u32(len) &&
              rd.bytes(len, r.header) && rd.done();
    if (!ok) return Status::error("corrupt-index", "malformed block index record");
    r.status = static_cast<BlockStatus>(status);
    std::copy(work.begin(), work.end(), r.cumulative_work.begin());
    r.invalid_reason.assign(reason.begin(), reason.end());
    return r;
}

Bytes encode_undo(const KvChanges& undo) {
    Bytes out;
    append_u32le(out, static_cast<uint32_t>(undo.size()));
    for (const auto& [key, value] : undo) {
        append_u32le(out, static_cast<uint32_t>(key.size()));
        append_bytes(out, key);
        out.push_back(value ? 1 : 0);
        if (value) {
            append_u32le(out, static_cast<uint32_t>(value->size()));
            append_bytes(out, *value);
        }
    }
    return out;
}

Result<KvChanges> decode_undo(ByteSpan bytes) {
    Reader rd(bytes);
    KvChanges out;
    uint32_t count = 0;
    if (!rd.u32(count)) return Status::error("corrupt-undo", "malformed undo record");
    for (uint32_t i = 0; i < count; ++i) {
        uint32_t len = 0;
        uint8_t present = 0;
        Bytes key, value;
        if (!rd.u32(len) || !rd.bytes(len, key) || !rd.u8(present) || present > 1)
            return Status::error("corrupt-undo", "malformed undo record");
        if (present) {
            if (!rd.u32(len) || !rd.bytes(len, value)) return Status::error("corrupt-undo", "malformed undo record");
            out[key] = std::move(value);
        } else {
            out[key] = std::nullopt;
        }
    }
    if (!rd.done()) return Status::error("corrupt-undo", "trailing bytes in undo record");
    return out;
}

}  // namespace step::node
