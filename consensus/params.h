// Chain parameters: the ONE place where every consensus number lives (PROTOCOL.md: numbers in
// CAPS). Three sets -- mainnet, testnet, devnet -- with distinct chain ids and genesis blocks.
// Changing any value of an existing network forks it.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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
    uint64_t max_locked_entries = 0;  // unbonding entries per account (coinbase ones are
                                      // bounded by COINBASE_MATURITY instead)

    // --- Fees, issuance, bonds ---
    uint64_t min_fee = 0;
    uint64_t initial_subsidy = 0;     // SUBSIDY(h) = initial_subsidy >> ((h-1) / halving_interval)
    uint64_t halving_interval = 0;    // blocks per subsidy era
    uint64_t miner_share_bps = 0;     // MINER_SHARE in basis points (of 10,000); rest -> pool
    uint64_t coinbase_maturity = 0;   // blocks before a miner reward is spendable (0 = at once)
    uint64_t unbonding_delay = 0;     // UNBONDING_DELAY in blocks

    // --- Node policy switches that are per network ---
    bool allow_generate = false;  // RPC `generate` (devnet only)

    // --- Peer-to-peer network (not consensus; node/net reads these) ---
    std::array<uint8_t, 4> p2p_magic{};  // first bytes of every P2P message (node/net/framing.h)
    uint16_t default_p2p_port = 0;
    std::string default_p2p_bind_host;   // --p2p-bind's host when not given
    bool p2p_dial_loopback_only = false;  // devnet: dials 127.0.0.0/8 (and ::1) only
    std::vector<std::string> seed_addresses;  // HOST:PORT dialled when the address book is empty

    // --- Market (PROTOCOL.md section 3; docs/protocol.md). Windows are in blocks. ---
    uint64_t finality_window = 0;      // FINALITY_WINDOW: commit -> final, if no fraud proven
    uint64_t claim_timeout = 0;        // CLAIM_TIMEOUT: claim -> commit
    uint64_t assign_delay = 0;         // ASSIGN_DELAY: commit -> verifier assignment
    uint64_t audit_commit_window = 0;  // AUDIT_COMMIT_WINDOW: assignment -> audit commitments
    uint64_t audit_reveal_window = 0;  // AUDIT_REVEAL_WINDOW: after the commit window
    uint64_t open_window = 0;          // OPEN_WINDOW: after the reveal window, for OpenTrace
    uint64_t pipeline_depth = 0;       // PIPELINE_DEPTH: rounds claimable past the last final one
    uint64_t pool_rate_per_tflop = 0;  // POOL_RATE: base units per 10^12 FLOPs from the pool
    uint64_t max_block_proof_flops = 0;  // MAX_BLOCK_PROOF_FLOPS: replay per block
    uint64_t max_segment_flops = 0;    // MAX_SEGMENT_FLOPS: one segment of L steps
    uint64_t max_state_bytes = 0;      // MAX_STATE_BYTES: canonical training state
    uint64_t max_proof_bytes = 0;      // MAX_PROOF_BYTES (<= max_block_bytes / 2)
    uint64_t max_task_units = 0;       // rounds x K per task (bounds state per task)
    uint64_t max_audit_leaves = 0;     // V x Q per unit (bounds a reveal)
    uint64_t max_unit_leaves = 0;      // U / L per unit (bounds OpenTrace and a unit's record)
    uint64_t safety = 0;               // SAFETY in the deterrence inequality
    uint64_t audit_fee_bps = 0;        // share of unit pay for the V audits together
    uint64_t audit_bond = 0;           // AUDIT_BOND: lost by an unproven disagreement
    uint64_t min_verifier_bond = 0;    // verifier bond needed to be drawn
    uint64_t verifier_miss_slash = 0;  // light slash for a missed commit/reveal window
    uint64_t proof_bond = 0;           // PROOF_BOND
    uint64_t proof_burn_bps = 0;       // share of a failed proof's bond burned (>= 5,000)
    uint64_t whistle_share_bps = 0;    // WHISTLE_SHARE of a slashed unit bond's rest
    uint64_t lazy_slash = 0;           // verifier that agreed with a proven-wrong leaf
    uint64_t da_bond = 0;              // DA_BOND
    uint64_t da_window = 0;            // DA_WINDOW
    uint64_t proof_contest_window = 0;  // a whistle reward waits this long for an earlier
                                        // commitment of the same proof (copy protection)
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
// Heights of a committed unit's phases (PROTOCOL.md section 3, "Life of a unit"): assignment,
// the audit commit and reveal windows, the open window, finality. `delay` (the unit's
// window_delay: a drawn verifier's data challenge answered late in its commit window) moves
// every phase after assignment by that many blocks.
struct UnitWindows {
    uint64_t assign = 0, commit_end = 0, reveal_end = 0, open_end = 0, final_at = 0;
};
UnitWindows unit_windows(uint64_t commit_height, const Params& p, uint64_t delay = 0);

// POOL_RATE applied to `flops` FLOPs (floored): the most the pool pays for that much verified
// work, e.g. a final unit's subsidy cap.
uint64_t flops_pay(uint64_t flops, const Params& p);

}  // namespace step::consensus
