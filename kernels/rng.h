// Counter-based random numbers and the keyed data-order permutation (PROTOCOL.md section 1).
// Everything here is integer arithmetic on u64 specified to the bit, so any device reproduces it.
//
//   mix(z)  = SplitMix64's finaliser: z ^= z >> 30; z *= 0xbf58476d1ce4e5b9;
//             z ^= z >> 27; z *= 0x94d049bb133111eb; z ^= z >> 31
//   rng_u64(seed, purpose, index) = mix(mix(seed + 0x9e3779b97f4a7c15 * (purpose + 1))
//                                       ^ mix(index + 0x632be59bd9b4e019))
//   rng_uniform(seed, purpose, index, bound) = (2u - 1) * bound with u = (rng_u64 >> 40) * 2^-24:
//             2u - 1 is exact in binary32 (a multiple of 2^-23 in [-1, 1)); one rounding at * bound.
#pragma once

#include <cstdint>

namespace step::kernels {

enum class RngPurpose : uint32_t {
    kInit = 1,          // index = parameter index in the flat state
    kDataOrder = 2,     // index = epoch * 65536 + shard: the permutation key of that epoch
    kFeistelRound = 3,  // internal to the permutation
    kDropout = 4,       // reserved for models with dropout
    kSample = 5,        // text generation, not consensus (kernels/sample.h): index = byte number
};

uint64_t rng_mix(uint64_t z);
uint64_t rng_u64(uint64_t seed, RngPurpose purpose, uint64_t index);
float rng_uniform(uint64_t seed, RngPurpose purpose, uint64_t index, float bound);

// A bijection of [0, n) keyed by `key`: a 4-round balanced Feistel network over the smallest
// even number of bits b >= 2 with 2^b >= n, cycle-walking until the value is below n (expected
// < 4 walks since 2^b < 4n). Round i (0..3) of halves (L, R) of h = b/2 bits each:
//   (L, R) -> (R, L ^ (rng_u64(key, kFeistelRound, (i << 32) | R) & (2^h - 1))).
// O(1) per index, so the batch of step t is O(B) without materialising an epoch. n < 2^62.
class KeyedPermutation {
public:
    KeyedPermutation(uint64_t n, uint64_t key);
    uint64_t operator()(uint64_t i) const;
    uint64_t size() const { return n_; }

private:
    uint64_t permute_once(uint64_t x) const;
    uint64_t n_, key_;
    unsigned half_bits_;
    uint64_t mask_;
};

}  // namespace step::kernels
