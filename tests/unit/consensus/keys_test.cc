#include <catch2/catch.hpp>
#include <cryptopp/donna.h>

#include "consensus/bech32.h"
#include "consensus/keys.h"
#include "test_chain.h"
#include "consensus/errors.h"
#include "tests/support/status_check.h"

using namespace step;
using namespace step::consensus;

TEST_CASE("Ed25519 matches the RFC 8032 test vectors", "[keys]") {
    auto rows = testing::read_vector_lines("tests/vectors/ed25519_rfc8032.txt");
    REQUIRE(rows.size() == 5);
    for (const auto& r : rows) {
        SecretSeed seed{};
        PublicKey pub{};
        Signature sig{};
        auto sk = *from_hex(r[0]), pk = *from_hex(r[1]), sg = *from_hex(r[3]);
        std::copy(sk.begin(), sk.end(), seed.begin());
        std::copy(pk.begin(), pk.end(), pub.begin());
        std::copy(sg.begin(), sg.end(), sig.begin());
        Bytes msg = r[2] == "-" ? Bytes{} : *from_hex(r[2]);
        CHECK(public_key_from_seed(seed) == pub);
        CHECK(ed25519_sign(seed, msg) == sig);
        CHECK(ed25519_verify(pub, msg, sig));
        Bytes other = msg;
        other.push_back(0);
        CHECK_FALSE(ed25519_verify(pub, other, sig));
    }
    // The 1023-byte message of TEST 1024 is present and intact.
    CHECK(from_hex(rows[3][2])->size() == 1023);
}

TEST_CASE("Ed25519 verification rejects tampered and malleated signatures", "[keys]") {
    const SecretSeed seed = testing::seed_of(7);
    const PublicKey pub = public_key_from_seed(seed);
    const Bytes msg{'s', 't', 'e', 'p'};
    const Signature sig = ed25519_sign(seed, msg);
    REQUIRE(ed25519_verify(pub, msg, sig));
    for (size_t i : {0u, 31u, 32u, 63u}) {
        Signature bad = sig;
        bad[i] ^= 1;
        CHECK_FALSE(ed25519_verify(pub, msg, bad));
    }
    // S + L verifies in the bare group equation; canonical-S rejects it (no txid malleability).
    static const uint8_t L[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                                  0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                  0, 0, 0, 0, 0, 0x10};
    Signature mall = sig;
    unsigned carry = 0;
    for (size_t i = 0; i < 32; ++i) {
        carry += mall[32 + i] + L[i];
        mall[32 + i] = static_cast<uint8_t>(carry);
        carry >>= 8;
    }
    CHECK_FALSE(ed25519_verify(pub, msg, mall));
    CHECK_FALSE(ed25519_verify(public_key_from_seed(testing::seed_of(8)), msg, sig));
}

TEST_CASE("Addresses are H_addr(pubkey)[0..20] and round-trip through bech32m", "[keys]") {
    const PublicKey pub = public_key_from_seed(testing::seed_of(1));
    const Address a = address_from_pubkey(pub);
    const std::string text = encode_address(a);
    CHECK(text.rfind("step1", 0) == 0);
    CHECK(text.size() == 4 + 1 + 32 + 6);
    auto back = decode_address(text);
    REQUIRE(back.ok());
    CHECK(*back == a);
    // Upper case is the same address (BIP-350); mixed case is not.
    std::string upper = text;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    CHECK(*decode_address(upper) == a);
    std::string mixed = text;
    mixed[0] = 'S';
    CHECK(decode_address(mixed).status() == step::consensus::codes::kBadAddress);
}

TEST_CASE("decode_address rejects wrong checksums, human parts and lengths", "[keys]") {
    const Address a = testing::addr_of(2);
    std::string text = encode_address(a);
    std::string flipped = text;
    flipped[10] = flipped[10] == 'q' ? 'p' : 'q';
    CHECK(decode_address(flipped).status() == step::consensus::codes::kBadAddress);
    // Same payload under another human part.
    auto five = *convert_bits(Bytes(a.begin(), a.end()), 8, 5, true);
    CHECK(decode_address(*bech32m_encode("bc", five)).status() == step::consensus::codes::kBadAddress);
    // 19 and 21 bytes.
    auto short5 = *convert_bits(Bytes(19, 1), 8, 5, true);
    CHECK(decode_address(*bech32m_encode("step", short5)).status() == step::consensus::codes::kBadAddress);
    auto long5 = *convert_bits(Bytes(21, 1), 8, 5, true);
    CHECK(decode_address(*bech32m_encode("step", long5)).status() == step::consensus::codes::kBadAddress);
    CHECK(decode_address("").status() == step::consensus::codes::kBadAddress);
}

TEST_CASE("Small-order keys and R values are refused: bare Ed25519 lets anyone sign for them",
          "[keys]") {
    // The y values of the points of order dividing 8, spelled as the decoder accepts them.
    std::vector<PublicKey> small;
    for (const char* y : {"0000000000000000000000000000000000000000000000000000000000000000",
                          "0100000000000000000000000000000000000000000000000000000000000000",
                          "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
                          "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
                          "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
                          "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
                          "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"}) {
        PublicKey k{};
        const Bytes b = *from_hex(y);
        std::copy(b.begin(), b.end(), k.begin());
        small.push_back(k);
        k[31] |= 0x80;  // the other sign of x
        small.push_back(k);
    }
    for (const PublicKey& k : small) CHECK(is_small_order_point(k.data()));
    // Every key the wallet makes is fine, and so is one bit away from a listed value.
    CHECK_FALSE(is_small_order_point(public_key_from_seed(testing::seed_of(1)).data()));
    PublicKey near = small[4];  // an order-8 point
    near[0] ^= 1;
    CHECK_FALSE(is_small_order_point(near.data()));

    // For each small-order key that decodes, a forgery: s = 0 and R a small-order point,
    // found by trying messages. The bare verifier (Donna) accepts it; ed25519_verify does not.
    size_t forged = 0;
    for (const PublicKey& k : small) {
        bool found = false;
        for (uint8_t m = 0; m < 64 && !found; ++m) {
            const Bytes msg{'t', 'x', m};
            for (const PublicKey& r : small) {
                Signature sig{};
                std::copy(r.begin(), r.end(), sig.begin());
                if (CryptoPP::Donna::ed25519_sign_open(msg.data(), msg.size(), k.data(), sig.data()) != 0)
                    continue;
                found = true;
                CHECK_FALSE(ed25519_verify(k, msg, sig));
                break;
            }
        }
        if (found) ++forged;
    }
    // Donna decodes every spelling (non-canonical y and "negative zero" x included), so each
    // one yields a forgery that only the small-order check stops.
    INFO("forged for " << forged << " of " << small.size() << " spellings");
    CHECK(forged == small.size());
}
