// The coding library: how every hand-made byte layout (fraud proofs, the node's records, keys,
// hashed preimages) writes and reads its fields, as LevelDB's util/coding.h. Each append_* has
// its matched ByteReader::read_*, and each field kind has a named encoded length (as LevelDB's
// Footer::kEncodedLength), so a layout's size derives from its fields, never from a sum of
// literals. Protobuf messages and the kernels' state bytes have their own codecs.
//
// Integers are little-endian; the big-endian forms are for keys, where byte order must be
// numeric order so that a prefix scan walks heights and indices in order.
#pragma once

#include <cstdint>
#include <vector>

#include "common/bytes.h"

namespace step {

// Encoded lengths of the fixed-width fields.
inline constexpr uint64_t kU8Bytes = 1;
inline constexpr uint64_t kU16Bytes = 2;
inline constexpr uint64_t kU32Bytes = 4;
inline constexpr uint64_t kU64Bytes = 8;
inline constexpr uint64_t kHashBytes = sizeof(Hash256);

// Encoded lengths of the variable-width fields: append_bytes_u32 and append_bytes_u64 of n
// bytes, append_hashes_u32 of m hashes.
constexpr uint64_t bytes_u32_size(uint64_t n) {
    return kU32Bytes + n;
}
constexpr uint64_t bytes_u64_size(uint64_t n) {
    return kU64Bytes + n;
}
constexpr uint64_t hashes_u32_size(uint64_t m) {
    return kU32Bytes + m * kHashBytes;
}

void append_u8(Bytes& out, uint8_t v);
void append_u16le(Bytes& out, uint16_t v);
void append_u32le(Bytes& out, uint32_t v);
void append_u64le(Bytes& out, uint64_t v);
void append_u16be(Bytes& out, uint16_t v);
void append_u32be(Bytes& out, uint32_t v);
void append_u64be(Bytes& out, uint64_t v);
void append_hash(Bytes& out, const Hash256& h);
void append_bytes(Bytes& out, ByteSpan b);      // raw, the length known from elsewhere
void append_bytes_u32(Bytes& out, ByteSpan b);  // u32le length | bytes (length < 2^32)
void append_bytes_u64(Bytes& out, ByteSpan b);  // u64le length | bytes
void append_hashes_u32(Bytes& out, const std::vector<Hash256>& hs);  // u32le count | hashes

// A cursor over encoded bytes that never reads past their end. Each read_* takes its field from
// the front and returns true, or fails and returns false; after the first failure the reader
// stays failed and every read returns false, leaving its output zero or empty. So a decoder may
// either chain reads with && or read a whole layout and ask ok() once. A length or count that
// cannot fit in what remains fails before anything is allocated, so hostile bytes never make a
// decoder allocate more than their own size.
class ByteReader {
  public:
    explicit ByteReader(ByteSpan in) : in_(in) {}

    bool ok() const { return ok_; }
    bool done() const { return ok_ && in_.empty(); }  // ok, and no trailing bytes
    uint64_t remaining() const { return ok_ ? in_.size() : 0; }
    // Marks a field the caller found out of range; returns false.
    bool fail();

    bool read_u8(uint8_t& v);
    bool read_u16le(uint16_t& v);
    bool read_u32le(uint32_t& v);
    bool read_u64le(uint64_t& v);
    bool read_u16be(uint16_t& v);
    bool read_u32be(uint32_t& v);
    bool read_u64be(uint64_t& v);
    bool read_hash(Hash256& h);
    bool read_span(uint64_t n, ByteSpan& out);  // a view of the next n bytes
    bool read_bytes(uint64_t n, Bytes& out);
    bool read_bytes_u32(Bytes& out);
    bool read_bytes_u64(Bytes& out);
    bool read_hashes_u32(std::vector<Hash256>& out);
    // A u32le count of items each at least min_item_bytes long (>= 1): refused when that many
    // cannot fit in what remains.
    bool read_count_u32(uint64_t min_item_bytes, uint64_t& n);

  private:
    template <class T>
    bool read_fixed(T& v, bool big_endian);

    ByteSpan in_;
    bool ok_ = true;
};

}  // namespace step
