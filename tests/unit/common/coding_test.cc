#include <catch2/catch.hpp>

#include <limits>

#include "common/coding.h"

using namespace step;

namespace {

Hash256 hash_of(uint8_t fill) {
    Hash256 h{};
    for (size_t i = 0; i < h.size(); ++i) h[i] = static_cast<uint8_t>(fill + i);
    return h;
}

// One field of every kind, in a fixed order.
struct Sample {
    uint8_t a = 0;
    uint16_t b = 0, c = 0;
    uint32_t d = 0, e = 0;
    uint64_t f = 0, g = 0;
    Hash256 h{};
    Bytes i, j;
    std::vector<Hash256> k;
    bool operator==(const Sample&) const = default;
};

Sample sample() {
    return {0xa1,
            0xb2c3,
            0xd4e5,
            0x01020304u,
            0x05060708u,
            0x1122334455667788ull,
            0x99aabbccddeeff00ull,
            hash_of(7),
            Bytes{1, 2, 3},
            Bytes(300, 9),
            {hash_of(1), hash_of(2)}};
}

Bytes encode(const Sample& s) {
    Bytes out;
    append_u8(out, s.a);
    append_u16le(out, s.b);
    append_u16be(out, s.c);
    append_u32le(out, s.d);
    append_u32be(out, s.e);
    append_u64le(out, s.f);
    append_u64be(out, s.g);
    append_hash(out, s.h);
    append_bytes_u32(out, s.i);
    append_bytes_u64(out, s.j);
    append_hashes_u32(out, s.k);
    return out;
}

// Sticky reads: read everything, then ask ok() once.
bool decode(ByteSpan in, Sample& s) {
    ByteReader r(in);
    r.read_u8(s.a);
    r.read_u16le(s.b);
    r.read_u16be(s.c);
    r.read_u32le(s.d);
    r.read_u32be(s.e);
    r.read_u64le(s.f);
    r.read_u64be(s.g);
    r.read_hash(s.h);
    r.read_bytes_u32(s.i);
    r.read_bytes_u64(s.j);
    r.read_hashes_u32(s.k);
    return r.done();
}

uint64_t encoded_size(const Sample& s) {
    return kU8Bytes + 2 * kU16Bytes + 2 * kU32Bytes + 2 * kU64Bytes + kHashBytes +
           bytes_u32_size(s.i.size()) + bytes_u64_size(s.j.size()) + hashes_u32_size(s.k.size());
}

}  // namespace

TEST_CASE("fixed-width integers have their byte order") {
    Bytes out;
    append_u16le(out, 0x0102);
    append_u16be(out, 0x0102);
    append_u32le(out, 0x01020304u);
    append_u32be(out, 0x01020304u);
    append_u64le(out, 0x0102030405060708ull);
    append_u64be(out, 0x0102030405060708ull);
    CHECK(to_hex(out) ==
          "0201"
          "0102"
          "04030201"
          "01020304"
          "0807060504030201"
          "0102030405060708");
}

TEST_CASE("every field round-trips and the named lengths add up to the encoding") {
    const Sample s = sample();
    const Bytes enc = encode(s);
    CHECK(enc.size() == encoded_size(s));
    Sample back;
    REQUIRE(decode(enc, back));
    CHECK(back == s);
    CHECK(encode(back) == enc);
    CHECK(kHashBytes == 32);
}

TEST_CASE("extreme values round-trip") {
    Sample s;
    s.b = s.c = std::numeric_limits<uint16_t>::max();
    s.d = s.e = std::numeric_limits<uint32_t>::max();
    s.f = s.g = std::numeric_limits<uint64_t>::max();
    s.a = 0xff;
    Sample back = sample();
    REQUIRE(decode(encode(s), back));
    CHECK(back == s);
}

TEST_CASE("a truncation at every byte offset is refused") {
    const Bytes enc = encode(sample());
    for (size_t n = 0; n < enc.size(); ++n) {
        Sample back;
        CAPTURE(n);
        CHECK_FALSE(decode(ByteSpan(enc).first(n), back));
    }
}

TEST_CASE("trailing bytes leave the reader ok but not done") {
    Bytes enc = encode(sample());
    enc.push_back(0);
    Sample back;
    CHECK_FALSE(decode(enc, back));
    ByteReader r(enc);
    ByteSpan all;
    REQUIRE(r.read_span(enc.size() - 1, all));
    CHECK(r.ok());
    CHECK_FALSE(r.done());
    CHECK(r.remaining() == 1);
}

TEST_CASE("after a failed read every read fails and leaves its output empty") {
    const Bytes three{1, 2, 3};
    ByteReader r(three);
    uint32_t v = 7;
    CHECK_FALSE(r.read_u32le(v));
    CHECK(v == 0);
    CHECK_FALSE(r.ok());
    CHECK(r.remaining() == 0);
    uint8_t b = 9;
    CHECK_FALSE(r.read_u8(b));  // the bytes are still there, but the reader has failed
    CHECK(b == 0);
    Bytes out{5};
    CHECK_FALSE(r.read_bytes(0, out));
    CHECK(out.empty());
    CHECK_FALSE(r.done());
}

TEST_CASE("fail() marks a field out of range") {
    const Bytes one{1};
    ByteReader r(one);
    uint8_t b = 0;
    REQUIRE(r.read_u8(b));
    CHECK(r.done());
    CHECK_FALSE(r.fail());
    CHECK_FALSE(r.ok());
    CHECK_FALSE(r.done());
}

TEST_CASE("lengths and counts that cannot fit are refused before anything is allocated") {
    SECTION("a u64 length of 2^64 - 1") {
        Bytes enc;
        append_u64le(enc, std::numeric_limits<uint64_t>::max());
        enc.push_back(1);
        Bytes out;
        CHECK_FALSE(ByteReader(enc).read_bytes_u64(out));
        CHECK(out.empty());
    }
    SECTION("a u32 length one past the bytes left") {
        Bytes enc;
        append_bytes_u32(enc, Bytes(10, 1));
        enc[0] = 11;
        Bytes out;
        CHECK_FALSE(ByteReader(enc).read_bytes_u32(out));
        enc[0] = 10;
        CHECK(ByteReader(enc).read_bytes_u32(out));
        CHECK(out == Bytes(10, 1));
    }
    SECTION("a hash count of 2^32 - 1") {
        Bytes enc;
        append_u32le(enc, std::numeric_limits<uint32_t>::max());
        append_hash(enc, hash_of(0));
        std::vector<Hash256> out{hash_of(3)};
        CHECK_FALSE(ByteReader(enc).read_hashes_u32(out));
        CHECK(out.empty());
    }
    SECTION("a count of items that need more bytes than remain") {
        Bytes enc;
        append_u32le(enc, 3);
        append_bytes(enc, Bytes(3 * 12 - 1, 0));
        uint64_t n = 9;
        CHECK_FALSE(ByteReader(enc).read_count_u32(12, n));
        CHECK(n == 0);
        enc.push_back(0);
        CHECK(ByteReader(enc).read_count_u32(12, n));
        CHECK(n == 3);
    }
    SECTION("a span past the end, and one of 2^64 - 1 bytes") {
        const Bytes two{1, 2};
        ByteSpan s;
        CHECK_FALSE(ByteReader(two).read_span(3, s));
        CHECK(s.empty());
        CHECK_FALSE(ByteReader(two).read_span(std::numeric_limits<uint64_t>::max(), s));
    }
}

TEST_CASE("read_span views the input without copying") {
    const Bytes in{1, 2, 3, 4};
    ByteReader r(in);
    ByteSpan head, tail;
    REQUIRE(r.read_span(1, head));
    REQUIRE(r.read_span(3, tail));
    CHECK(head.data() == in.data());
    CHECK(tail.data() == in.data() + 1);
    CHECK(r.done());
}
