// Chain parameters: the ONE place where every consensus number lives (PROTOCOL.md: numbers in
// CAPS). Three sets -- mainnet, testnet, devnet -- with distinct chain ids and genesis blocks.
// Changing any value of an existing network forks it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "consensus/uint256.h"

namespace step::consensus {

inline constexpr uint64_t kCoin = 1'000'000'000;  // 1 STEP in base units

struct Params {
    std::string network;  // "mainnet" | "testnet" | "devnet"
    uint64_t chain_id = 0;
    uint32_t block_version = 1;

    // --- Genesis and proof of work ---
    uint64_t genesis_timestamp = 0;
    U256 genesis_target;  // target of genesis and of block 1; the ASERT anchor
    U256 pow_limit;       // easiest target ever allowed
    uint64_t block_time_s = 0;         // BLOCK_TIME: ASERT aims at one block per this
    uint64_t asert_half_life_s = 0;    // target doubles/halves per this much schedule deviation
    uint64_t median_time_blocks = 11;  // timestamp > median of this many ancestors
    uint64_t max_future_drift_s = 0;   // timestamp <= now + this

    // --- DoS limits (rationales in params.cc) ---
    uint64_t max_block_bytes = 0;
    uint64_t max_block_txs = 0;
    uint64_t max_tx_bytes = 0;
    uint64_t max_locked_entries = 0;  // unbonding + immature coinbase entries per account

    // --- Fees, issuance, bonds ---
    uint64_t min_fee = 0;
    uint64_t initial_subsidy = 0;     // SUBSIDY(h) = initial_subsidy >> ((h-1) / halving_interval)
    uint64_t halving_interval = 0;    // blocks per subsidy era
    uint64_t miner_share_bps = 0;     // MINER_SHARE in basis points (of 10,000); rest -> pool
    uint64_t coinbase_maturity = 0;   // blocks before a miner reward is spendable (0 = at once)
    uint64_t unbonding_delay = 0;     // UNBONDING_DELAY in blocks

    // --- Node policy switches that are per network ---
    bool allow_generate = false;  // RPC `generate` (devnet only)

    // Market placeholders (PROTOCOL.md section 3); no rule reads them yet.
    uint64_t finality_window = 0;
    uint64_t claim_timeout = 0;
};

const Params& mainnet_params();
const Params& testnet_params();
const Params& devnet_params();
// nullptr for an unknown name.
const Params* params_by_name(std::string_view network);

// SUBSIDY(h) for the block at height h (genesis, h = 0, mints nothing).
uint64_t block_subsidy(uint64_t height, const Params& p);
// The miner's part of a subsidy (MINER_SHARE); the rest goes to the useful-work pool.
uint64_t miner_subsidy_share(uint64_t subsidy, const Params& p);

}  // namespace step::consensus
