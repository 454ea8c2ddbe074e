#include "verifier/sampling.h"

#include <algorithm>
#include <set>

#include "common/coding.h"
#include "common/hash.h"
#include "common/hash_tags.h"

namespace step::verifier {

uint64_t SeededRng::next_u64() {
    if (used_words_ == 4) {
        Bytes pre(seed_.begin(), seed_.end());
        append_u64le(pre, counter_++);
        block_ = tagged_hash(tags::kRandom, pre);
        used_words_ = 0;
    }
    uint64_t v = 0;
    ByteReader(ByteSpan(block_).subspan(used_words_ * kU64Bytes)).read_u64le(v);
    ++used_words_;
    return v;
}

uint64_t SeededRng::uniform(uint64_t bound) {
    // Accept v below the largest multiple of bound that fits in 2^64.
    uint64_t reject_from = (0 - bound) % bound;  // == 2^64 mod bound
    for (;;) {
        uint64_t v = next_u64();
        if (v >= reject_from) return v % bound;
    }
}

std::vector<uint32_t> sample_leaves(SeededRng& rng, uint32_t leaves, uint32_t count) {
    std::vector<uint32_t> out;
    if (count >= leaves) {
        for (uint32_t i = 1; i <= leaves; ++i) out.push_back(i);
        return out;
    }
    std::set<uint32_t> chosen;
    for (uint32_t j = leaves - count + 1; j <= leaves; ++j) {
        auto t = static_cast<uint32_t>(1 + rng.uniform(j));  // uniform in [1, j]
        chosen.insert(chosen.count(t) ? j : t);
    }
    return {chosen.begin(), chosen.end()};
}

std::vector<size_t> sample_by_stake(SeededRng& rng, const std::vector<uint64_t>& stakes,
                                    uint32_t count) {
    std::vector<uint64_t> remaining = stakes;
    unsigned __int128 total = 0;
    for (uint64_t s : remaining) total += s;
    std::vector<size_t> out;
    while (out.size() < count && total > 0) {
        // Total stake is below 2^64 for any real supply; clamp the draw to u64 regardless.
        uint64_t bound = total > UINT64_MAX ? UINT64_MAX : static_cast<uint64_t>(total);
        uint64_t r = rng.uniform(bound);
        size_t pick = 0;
        for (unsigned __int128 acc = 0; pick < remaining.size(); ++pick) {
            acc += remaining[pick];
            if (r < acc) break;
        }
        out.push_back(pick);
        total -= remaining[pick];
        remaining[pick] = 0;
    }
    return out;
}

}  // namespace step::verifier
