#include "consensus/pow.h"

#include <algorithm>

namespace step::consensus {

U256 asert_target(const U256& anchor_target, int64_t time_delta, int64_t height_delta,
                  uint64_t block_time_s, uint64_t half_life_s, const U256& pow_limit) {
    // aserti3-2d (BCH, 2020): 16.16 fixed-point exponent, then 2^frac by a cubic polynomial
    // whose error is < 0.013%. __int128 keeps the intermediate exact for any u64 timestamps.
    const __int128 deviation = static_cast<__int128>(time_delta) -
                               static_cast<__int128>(block_time_s) * height_delta;
    __int128 exponent = deviation * 65536 / static_cast<__int128>(half_life_s);  // truncates
    // shifts = floor(exponent / 65536); frac = exponent mod 65536 (non-negative).
    __int128 shifts = exponent >= 0 ? exponent / 65536 : -((-exponent + 65535) / 65536);
    const uint64_t frac = static_cast<uint64_t>(exponent - shifts * 65536);
    const unsigned __int128 f = frac;
    const uint64_t factor =
        65536 + static_cast<uint64_t>((195766423245049ull * f + 971821376ull * f * f +
                                       5127ull * f * f * f + (static_cast<unsigned __int128>(1) << 47)) >>
                                      48);
    // anchor_target <= pow_limit < 2^255 in every parameter set, and factor < 2^17, but a
    // caller could pass more: on overflow the true value exceeds pow_limit anyway.
    auto scaled = anchor_target.mul_checked(factor);
    if (!scaled) return pow_limit;
    U256 next = *scaled;
    shifts -= 16;  // divide by the 65536 of the fixed-point factor
    if (shifts <= 0) {
        next = -shifts >= 256 ? U256() : next >> static_cast<unsigned>(-shifts);
    } else {
        const unsigned s = shifts >= 256 ? 256u : static_cast<unsigned>(shifts);
        if (s >= 256 || next.bit_length() + s > 256) return pow_limit;
        next = next << s;
    }
    if (next.is_zero()) return U256(1);
    return next > pow_limit ? pow_limit : next;
}

U256 next_target(uint64_t parent_height, uint64_t parent_timestamp, const Params& p) {
    // Anchored at genesis: the block after genesis gets genesis_target exactly.
    const int64_t time_delta = static_cast<int64_t>(parent_timestamp) -
                               static_cast<int64_t>(p.genesis_timestamp);
    return asert_target(p.genesis_target, time_delta, static_cast<int64_t>(parent_height),
                        p.block_time_s, p.asert_half_life_s, p.pow_limit);
}

U256 block_work(const U256& target) {
    // 2^256 / (target + 1) == (~target / (target + 1)) + 1, computable in 256 bits.
    if (target == U256::max()) return U256(1);
    if (target.is_zero()) return U256::max();  // never valid; saturate rather than wrap
    return (~target) / (target + U256(1)) + U256(1);
}

bool hash_meets_target(const Hash256& pow_hash, const U256& target) {
    return U256::from_be(pow_hash) <= target;
}

bool prefer_chain(const U256& candidate_work, const U256& current_work) {
    return candidate_work > current_work;
}

uint64_t median_time_past(std::vector<uint64_t> timestamps) {
    if (timestamps.empty()) return 0;
    std::sort(timestamps.begin(), timestamps.end());
    return timestamps[timestamps.size() / 2];
}

}  // namespace step::consensus
