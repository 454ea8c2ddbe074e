// Deterministic sampling from chain randomness (PROTOCOL.md section 3, step 3). Pure integer
// code: every node draws the same verifiers and the same leaves from the same seed.
#pragma once

#include <cstdint>
#include <vector>

#include "common/bytes.h"

namespace step::verifier {

// A counter-based generator: block i of output is H_random(seed || u64le(i)), read as four
// little-endian u64 words. Same seed, same sequence, on every machine.
class SeededRng {
public:
    explicit SeededRng(const Hash256& seed) : seed_(seed) {}

    uint64_t next_u64();
    // Uniform in [0, bound), bound > 0, without modulo bias (rejection sampling).
    uint64_t uniform(uint64_t bound);

private:
    Hash256 seed_;
    uint64_t counter_ = 0;
    Hash256 block_{};
    unsigned used_words_ = 4;  // words of block_ already consumed
};

// `count` distinct leaf indices in [1, leaves] (leaf 0, the agreed start state, is never
// sampled), ascending. All of them when count >= leaves. Floyd's algorithm: exactly `count` draws.
std::vector<uint32_t> sample_leaves(SeededRng& rng, uint32_t leaves, uint32_t count);

// `count` distinct candidates drawn without replacement with probability proportional to
// stake; candidates with zero stake are never drawn. Returns indices into `stakes`, in draw
// order. All candidates with stake when fewer than `count` have any.
std::vector<size_t> sample_by_stake(SeededRng& rng, const std::vector<uint64_t>& stakes,
                                    uint32_t count);

}  // namespace step::verifier
