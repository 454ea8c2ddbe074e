#include "consensus/uint256.h"

#include <algorithm>

#include "common/coding.h"

namespace step::consensus {

U256 U256::from_be(const Hash256& be) {
    // Most significant limb first.
    U256 r;
    ByteReader in(be);
    for (size_t limb = 4; limb-- > 0;) in.read_u64be(r.limb_[limb]);
    return r;
}

std::optional<U256> U256::from_be(ByteSpan be) {
    if (be.size() != 32) return std::nullopt;
    Hash256 h;
    std::copy(be.begin(), be.end(), h.begin());
    return from_be(h);
}

Hash256 U256::to_be() const {
    Bytes be;
    for (size_t limb = 4; limb-- > 0;) append_u64be(be, limb_[limb]);
    Hash256 out{};
    std::copy(be.begin(), be.end(), out.begin());
    return out;
}

std::string U256::to_hex() const { return step::to_hex(to_be()); }

U256 U256::max() { return ~U256(); }

unsigned U256::bit_length() const {
    for (int i = 3; i >= 0; --i) {
        uint64_t v = limb_[static_cast<size_t>(i)];
        if (v != 0) return static_cast<unsigned>(i * 64 + (64 - __builtin_clzll(v)));
    }
    return 0;
}

int compare(const U256& a, const U256& b) {
    for (int i = 3; i >= 0; --i) {
        auto x = a.limb_[static_cast<size_t>(i)], y = b.limb_[static_cast<size_t>(i)];
        if (x != y) return x < y ? -1 : 1;
    }
    return 0;
}

U256 U256::operator+(const U256& o) const {
    U256 r;
    unsigned __int128 carry = 0;
    for (size_t i = 0; i < 4; ++i) {
        carry += static_cast<unsigned __int128>(limb_[i]) + o.limb_[i];
        r.limb_[i] = static_cast<uint64_t>(carry);
        carry >>= 64;
    }
    return r;
}

U256 U256::operator~() const {
    U256 r;
    for (size_t i = 0; i < 4; ++i) r.limb_[i] = ~limb_[i];
    return r;
}

U256 U256::operator-(const U256& o) const { return *this + (~o + U256(1)); }

U256 U256::operator<<(unsigned n) const {
    if (n >= 256) return U256();
    U256 r;
    const unsigned limbs = n / 64, bits = n % 64;
    for (size_t i = 3 + 1; i-- > limbs;) {
        uint64_t v = limb_[i - limbs] << bits;
        if (bits != 0 && i - limbs >= 1) v |= limb_[i - limbs - 1] >> (64 - bits);
        r.limb_[i] = v;
    }
    return r;
}

U256 U256::operator>>(unsigned n) const {
    if (n >= 256) return U256();
    U256 r;
    const unsigned limbs = n / 64, bits = n % 64;
    for (size_t i = 0; i + limbs < 4; ++i) {
        uint64_t v = limb_[i + limbs] >> bits;
        if (bits != 0 && i + limbs + 1 < 4) v |= limb_[i + limbs + 1] << (64 - bits);
        r.limb_[i] = v;
    }
    return r;
}

std::optional<U256> U256::add_checked(const U256& o) const {
    U256 r = *this + o;
    if (r < *this) return std::nullopt;
    return r;
}

std::optional<U256> U256::mul_checked(uint64_t m) const {
    U256 r;
    unsigned __int128 carry = 0;
    for (size_t i = 0; i < 4; ++i) {
        carry += static_cast<unsigned __int128>(limb_[i]) * m;
        r.limb_[i] = static_cast<uint64_t>(carry);
        carry >>= 64;
    }
    if (carry != 0) return std::nullopt;
    return r;
}

U256 U256::operator/(const U256& d) const {
    // Restoring binary long division; only used a few times per block (work, tests).
    U256 q, rem;
    for (int bit = static_cast<int>(bit_length()) - 1; bit >= 0; --bit) {
        // The shifted remainder can need 257 bits when d > 2^255; the lost top bit then means
        // "certainly >= d", and the wrapping subtraction still yields the right remainder.
        const bool overflow = rem.bit_length() == 256;
        rem = rem << 1;
        if ((limb_[static_cast<size_t>(bit / 64)] >> (bit % 64)) & 1) rem.limb_[0] |= 1;
        if (overflow || rem >= d) {
            rem = rem - d;
            q.limb_[static_cast<size_t>(bit / 64)] |= uint64_t{1} << (bit % 64);
        }
    }
    return q;
}

}  // namespace step::consensus
