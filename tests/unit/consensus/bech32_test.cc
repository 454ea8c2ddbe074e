#include <catch2/catch.hpp>

#include <string>

#include "consensus/bech32.h"

using namespace step::consensus;

// BIP-350 "Test vectors for Bech32m": valid strings.
TEST_CASE("bech32m accepts the BIP-350 valid vectors and re-encodes them", "[bech32]") {
    const char* valid[] = {
        "A1LQFN3A",
        "a1lqfn3a",
        "an83characterlonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11sg7hg6",
        "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
        "11llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllludsr8",
        "split1checkupstagehandshakeupstreamerranterredcaperredlc445v",
        "?1v759aa",
    };
    for (const char* v : valid) {
        INFO(v);
        auto d = bech32m_decode(v);
        REQUIRE(d);
        std::string lower = v;
        for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        CHECK(*bech32m_encode(d->hrp, d->data) == lower);
    }
    auto d = bech32m_decode("abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx");
    REQUIRE(d->data.size() == 32);
    for (size_t i = 0; i < 32; ++i) CHECK(d->data[i] == 31 - i);
}

// BIP-350 invalid strings (each for the reason noted), plus a bech32 (not -m) string.
TEST_CASE("bech32m rejects the BIP-350 invalid vectors", "[bech32]") {
    const std::string invalid[] = {
        std::string("\x20") + "1xj0phk",  // HRP character out of range
        std::string("\x7f") + "1g6xzxy",  // HRP character out of range
        std::string("\x80") + "1vctc34",  // HRP character out of range
        "an84characterslonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11d6pts4",
        "qyrz8wqd2c9m",   // no separator
        "1qyrz8wqd2c9m",  // empty HRP
        "y1b0jsk6g",      // invalid data character
        "lt1igcx5c0",     // invalid data character
        "in1muywd",       // too short checksum
        "mm1crxm3i",      // invalid character in checksum
        "au1s5cgom",      // invalid character in checksum
        "M1VUXWEZ",       // checksum calculated with uppercase form of HRP
        "16plkw9",        // empty HRP
        "1p2gdwpf",       // empty HRP
        "A12UEL5L",       // valid bech32, wrong constant for bech32m
        "A1LQfN3A",       // mixed case
    };
    for (const auto& s : invalid) {
        INFO(s);
        CHECK_FALSE(bech32m_decode(s));
    }
}

TEST_CASE("convert_bits regroups and rejects bad padding", "[bech32]") {
    std::vector<uint8_t> bytes{0xff, 0x00, 0x80};
    auto five = convert_bits(bytes, 8, 5, true);
    REQUIRE(five);
    CHECK(five->size() == 5);
    CHECK(*convert_bits(*five, 5, 8, false) == bytes);
    CHECK_FALSE(convert_bits({32}, 5, 8, false));      // value out of range
    CHECK_FALSE(convert_bits({0, 1}, 5, 8, false));    // non-zero padding bits
    CHECK_FALSE(bech32m_encode("a", {32}));            // data value > 31
    CHECK_FALSE(bech32m_encode("", {}));               // empty hrp
}
