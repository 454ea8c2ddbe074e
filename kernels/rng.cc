#include "kernels/rng.h"

namespace step::kernels {

uint64_t rng_mix(uint64_t z) {
    z ^= z >> 30;
    z *= 0xbf58476d1ce4e5b9ull;
    z ^= z >> 27;
    z *= 0x94d049bb133111ebull;
    z ^= z >> 31;
    return z;
}

uint64_t rng_u64(uint64_t seed, RngPurpose purpose, uint64_t index) {
    uint64_t key = rng_mix(seed + 0x9e3779b97f4a7c15ull * (static_cast<uint64_t>(purpose) + 1));
    return rng_mix(key ^ rng_mix(index + 0x632be59bd9b4e019ull));
}

float rng_uniform(uint64_t seed, RngPurpose purpose, uint64_t index, float bound) {
    float u = static_cast<float>(rng_u64(seed, purpose, index) >> 40) * 0x1p-24f;
    return (2.0f * u - 1.0f) * bound;
}

KeyedPermutation::KeyedPermutation(uint64_t n, uint64_t key) : n_(n), key_(key) {
    unsigned bits = 2;
    while (bits < 62 && (uint64_t{1} << bits) < n) bits += 2;
    half_bits_ = bits / 2;
    mask_ = (uint64_t{1} << half_bits_) - 1;
}

uint64_t KeyedPermutation::permute_once(uint64_t x) const {
    uint64_t L = x >> half_bits_, R = x & mask_;
    for (uint64_t i = 0; i < 4; ++i) {
        uint64_t f = rng_u64(key_, RngPurpose::kFeistelRound, (i << 32) | R) & mask_;
        uint64_t next = L ^ f;
        L = R;
        R = next;
    }
    return (L << half_bits_) | R;
}

uint64_t KeyedPermutation::operator()(uint64_t i) const {
    uint64_t x = permute_once(i);
    while (x >= n_) x = permute_once(x);  // cycle-walking keeps a bijection of [0, n)
    return x;
}

}  // namespace step::kernels
