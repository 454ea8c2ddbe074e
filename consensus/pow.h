// Proof of work, retargeting and fork choice as pure functions (PROTOCOL.md section 2).
#pragma once

#include <cstdint>
#include <vector>

#include "common/bytes.h"
#include "consensus/params.h"
#include "consensus/uint256.h"

namespace step::consensus {

// ASERT (BCH aserti3-2d style, integer-only) anchored at genesis: for the block after a parent
// at `parent_height` with `parent_timestamp`,
//   exponent = ((parent_timestamp - genesis_timestamp) - BLOCK_TIME * parent_height) * 65536
//              / HALF_LIFE
//   target   = genesis_target * 2^(exponent / 65536)   (cubic fixed-point approximation of the
//              fractional power), clamped to [1, pow_limit].
// So a chain one half-life behind schedule gets double the target, one ahead half.
U256 asert_target(const U256& anchor_target, int64_t time_delta, int64_t height_delta,
                  uint64_t block_time_s, uint64_t half_life_s, const U256& pow_limit);
U256 next_target(uint64_t parent_height, uint64_t parent_timestamp, const Params& p);

// Expected hashes to find a block at `target`: floor(2^256 / (target + 1)).
U256 block_work(const U256& target);
// Reads the PoW hash as a big-endian number and compares it with the target.
bool hash_meets_target(const Hash256& pow_hash, const U256& target);

// Fork choice: switch to the candidate only with strictly more cumulative work; on a tie the
// chain seen first stays (the caller's current chain).
bool prefer_chain(const U256& candidate_work, const U256& current_work);

// Median of the given timestamps (the upper median for an even count); 0 for none.
uint64_t median_time_past(std::vector<uint64_t> timestamps);

}  // namespace step::consensus
