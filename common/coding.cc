#include "common/coding.h"

#include <algorithm>

namespace step {
namespace {

template <class T>
void append_fixed(Bytes& out, T v, bool big_endian) {
    for (size_t i = 0; i < sizeof(T); ++i) {
        const size_t shift = 8 * (big_endian ? sizeof(T) - 1 - i : i);
        out.push_back(static_cast<uint8_t>(v >> shift));
    }
}

}  // namespace

void append_u8(Bytes& out, uint8_t v) {
    out.push_back(v);
}
void append_u16le(Bytes& out, uint16_t v) {
    append_fixed(out, v, false);
}
void append_u32le(Bytes& out, uint32_t v) {
    append_fixed(out, v, false);
}
void append_u64le(Bytes& out, uint64_t v) {
    append_fixed(out, v, false);
}
void append_u16be(Bytes& out, uint16_t v) {
    append_fixed(out, v, true);
}
void append_u32be(Bytes& out, uint32_t v) {
    append_fixed(out, v, true);
}
void append_u64be(Bytes& out, uint64_t v) {
    append_fixed(out, v, true);
}
void append_hash(Bytes& out, const Hash256& h) {
    out.insert(out.end(), h.begin(), h.end());
}
void append_bytes(Bytes& out, ByteSpan b) {
    out.insert(out.end(), b.begin(), b.end());
}

void append_bytes_u32(Bytes& out, ByteSpan b) {
    append_u32le(out, static_cast<uint32_t>(b.size()));
    append_bytes(out, b);
}

void append_bytes_u64(Bytes& out, ByteSpan b) {
    append_u64le(out, b.size());
    append_bytes(out, b);
}

void append_hashes_u32(Bytes& out, const std::vector<Hash256>& hs) {
    append_u32le(out, static_cast<uint32_t>(hs.size()));
    for (const Hash256& h : hs) append_hash(out, h);
}

bool ByteReader::fail() {
    ok_ = false;
    in_ = {};
    return false;
}

bool ByteReader::read_span(uint64_t n, ByteSpan& out) {
    out = {};
    if (!ok_ || n > in_.size()) return fail();
    out = in_.first(static_cast<size_t>(n));
    in_ = in_.subspan(static_cast<size_t>(n));
    return true;
}

template <class T>
bool ByteReader::read_fixed(T& v, bool big_endian) {
    v = 0;
    ByteSpan b;
    if (!read_span(sizeof(T), b)) return false;
    for (size_t i = 0; i < sizeof(T); ++i) {
        const size_t shift = 8 * (big_endian ? sizeof(T) - 1 - i : i);
        v = static_cast<T>(v | static_cast<T>(T{b[i]} << shift));
    }
    return true;
}

bool ByteReader::read_u8(uint8_t& v) {
    return read_fixed(v, false);
}
bool ByteReader::read_u16le(uint16_t& v) {
    return read_fixed(v, false);
}
bool ByteReader::read_u32le(uint32_t& v) {
    return read_fixed(v, false);
}
bool ByteReader::read_u64le(uint64_t& v) {
    return read_fixed(v, false);
}
bool ByteReader::read_u16be(uint16_t& v) {
    return read_fixed(v, true);
}
bool ByteReader::read_u32be(uint32_t& v) {
    return read_fixed(v, true);
}
bool ByteReader::read_u64be(uint64_t& v) {
    return read_fixed(v, true);
}

bool ByteReader::read_hash(Hash256& h) {
    h = {};
    ByteSpan b;
    if (!read_span(kHashBytes, b)) return false;
    std::copy(b.begin(), b.end(), h.begin());
    return true;
}

bool ByteReader::read_bytes(uint64_t n, Bytes& out) {
    out.clear();
    ByteSpan b;
    if (!read_span(n, b)) return false;
    out.assign(b.begin(), b.end());
    return true;
}

bool ByteReader::read_bytes_u32(Bytes& out) {
    out.clear();
    uint32_t n = 0;
    return read_u32le(n) && read_bytes(n, out);
}

bool ByteReader::read_bytes_u64(Bytes& out) {
    out.clear();
    uint64_t n = 0;
    return read_u64le(n) && read_bytes(n, out);
}

bool ByteReader::read_count_u32(uint64_t min_item_bytes, uint64_t& n) {
    n = 0;
    uint32_t count = 0;
    if (!read_u32le(count)) return false;
    if (count > in_.size() / std::max<uint64_t>(min_item_bytes, 1)) return fail();
    n = count;
    return true;
}

bool ByteReader::read_hashes_u32(std::vector<Hash256>& out) {
    out.clear();
    uint64_t m = 0;
    if (!read_count_u32(kHashBytes, m)) return false;
    out.resize(static_cast<size_t>(m));
    for (Hash256& h : out) read_hash(h);
    return true;
}

}  // namespace step
