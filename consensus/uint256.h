// Unsigned 256-bit integers for proof-of-work targets and chain work. Integer-only, no
// floating point (consensus rule). Big-endian bytes are the external form (header `target`).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "common/bytes.h"

namespace step::consensus {

class U256 {
public:
    constexpr U256() = default;
    constexpr explicit U256(uint64_t v) : limb_{v, 0, 0, 0} {}

    static U256 from_be(const Hash256& be);
    // nullopt unless exactly 32 bytes.
    static std::optional<U256> from_be(ByteSpan be);
    Hash256 to_be() const;
    std::string to_hex() const;  // 64 lowercase hex digits, big-endian
    static U256 max();           // 2^256 - 1

    bool is_zero() const { return (limb_[0] | limb_[1] | limb_[2] | limb_[3]) == 0; }
    unsigned bit_length() const;  // 0 for zero
    uint64_t low64() const { return limb_[0]; }

    friend bool operator==(const U256&, const U256&) = default;
    friend int compare(const U256& a, const U256& b);
    friend bool operator<(const U256& a, const U256& b) { return compare(a, b) < 0; }
    friend bool operator>(const U256& a, const U256& b) { return compare(a, b) > 0; }
    friend bool operator<=(const U256& a, const U256& b) { return compare(a, b) <= 0; }
    friend bool operator>=(const U256& a, const U256& b) { return compare(a, b) >= 0; }

    // Wrapping arithmetic (mod 2^256); callers that must not wrap check with the *_checked forms.
    U256 operator+(const U256& o) const;
    U256 operator-(const U256& o) const;
    U256 operator~() const;
    U256 operator<<(unsigned n) const;  // n >= 256 gives 0
    U256 operator>>(unsigned n) const;
    // nullopt on overflow past 2^256 - 1.
    std::optional<U256> add_checked(const U256& o) const;
    std::optional<U256> mul_checked(uint64_t m) const;
    // Quotient of this / d (d != 0), by shift-and-subtract.
    U256 operator/(const U256& d) const;

private:
    std::array<uint64_t, 4> limb_{};  // little-endian limbs
};

}  // namespace step::consensus
