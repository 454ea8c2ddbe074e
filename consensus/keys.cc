#include "consensus/keys.h"

#include <cryptopp/donna.h>

#include "common/hash.h"
#include "common/hash_tags.h"
#include "consensus/bech32.h"
#include "consensus/errors.h"

namespace step::consensus {
namespace {

// L = 2^252 + 27742317777372353535851937790883648493, little-endian (RFC 8032 section 5.1).
constexpr uint8_t kGroupOrder[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
                                     0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
                                     0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                     0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10};

// S (the second half of a signature, little-endian) must be < L: RFC 8032 section 5.1.7 step 1.
// Without it S and S + L both verify, and a relay could change a transaction's id.
bool scalar_is_canonical(const uint8_t* s) {
    for (int i = 31; i >= 0; --i) {
        if (s[i] != kGroupOrder[i]) return s[i] < kGroupOrder[i];
    }
    return false;  // S == L
}

// The y-coordinates (little-endian, x's sign bit masked off) of every point of order dividing
// 8, in every spelling the decoder accepts: 0 and p (order 4), 1 and p + 1 (the identity), p - 1
// (order 2), and the two y values of the four order-8 points (the list libsodium checks).
constexpr uint8_t kSmallOrderY[7][32] = {
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
     0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
    {0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
     0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
    {0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
     0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05},
    {0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
     0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a},
    {0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
    {0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
    {0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
};

}  // namespace

bool is_small_order_point(const uint8_t* encoding) {
    for (const auto& y : kSmallOrderY) {
        bool same = (encoding[31] & 0x7f) == y[31];
        for (int i = 0; same && i < 31; ++i) same = encoding[i] == y[i];
        if (same) return true;
    }
    return false;
}

PublicKey public_key_from_seed(const SecretSeed& seed) {
    PublicKey pub{};
    CryptoPP::Donna::ed25519_publickey(pub.data(), seed.data());
    return pub;
}

Signature ed25519_sign(const SecretSeed& seed, ByteSpan message) {
    const PublicKey pub = public_key_from_seed(seed);
    Signature sig{};
    CryptoPP::Donna::ed25519_sign(message.data(), message.size(), seed.data(), pub.data(),
                                  sig.data());
    return sig;
}

bool ed25519_verify(const PublicKey& pub, ByteSpan message, const Signature& sig) {
    if (!scalar_is_canonical(sig.data() + 32)) return false;
    // A small-order key has no secret behind it: with A of order 8, R = sB - hA holds for about
    // one message in eight whatever s is, so anyone could sign for it. A small-order R is refused
    // with it, as libsodium does.
    if (is_small_order_point(pub.data()) || is_small_order_point(sig.data())) return false;
    return CryptoPP::Donna::ed25519_sign_open(message.data(), message.size(), pub.data(),
                                              sig.data()) == 0;
}

Address address_from_pubkey(const PublicKey& pub) {
    const Hash256 h = tagged_hash(tags::kAddress, pub);
    Address a{};
    std::copy(h.begin(), h.begin() + a.size(), a.begin());
    return a;
}

std::string encode_address(const Address& addr) {
    auto five = convert_bits(std::vector<uint8_t>(addr.begin(), addr.end()), 8, 5, true);
    return *bech32m_encode(kAddressHrp, *five);  // 4 + 1 + 32 + 6 chars: always in range
}

Result<Address> decode_address(std::string_view text) {
    auto dec = bech32m_decode(text);
    if (!dec) return Status::error(codes::kBadAddress, "not valid bech32m text");
    if (dec->hrp != kAddressHrp)
        return Status::error(codes::kBadAddress, "human part is '" + dec->hrp + "', want 'step'");
    auto bytes = convert_bits(dec->data, 5, 8, false);
    if (!bytes || bytes->size() != Address{}.size())
        return Status::error(codes::kBadAddress, "payload is not a 20-byte address");
    Address a{};
    std::copy(bytes->begin(), bytes->end(), a.begin());
    return a;
}

}  // namespace step::consensus
