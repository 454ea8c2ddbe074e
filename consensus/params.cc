#include "consensus/params.h"

#include <utility>

namespace step::consensus {
namespace {

// 2^bits - 1: targets are written as "at most this many leading zero bits".
U256 mask_bits(unsigned bits) { return (U256(1) << bits) - U256(1); }

// Shared limits; every network uses the same DoS bounds so behaviour tested on devnet holds on
// mainnet.
void set_limits(Params& p) {
    // A fraud proof (PROTOCOL.md section 3) travels inside a block and may take half of it
    // (MAX_PROOF_BYTES <= MAX_BLOCK_BYTES / 2). The example task's worst proof (mlp{784,256,256,
    // 10}, SGD state 2.15 MB, L*B = 1,600 records of 785 bytes each with a 13-deep path) is
    // ~4.3 MB, over the 4 MiB that 8 MiB blocks allow, and the same model at L = 50 ~6.1 MB:
    // 16 MiB blocks; at BLOCK_TIME 60 s that is <= 280 KB/s of sustained relay.
    p.max_block_bytes = 16u << 20;
    // Bounds the per-block signature work: 10,000 Ed25519 verifications take ~0.5-1 s on one
    // core (see step-bench sigverify), well under every BLOCK_TIME.
    p.max_block_txs = 10'000;
    // The largest legitimate transaction is a fraud proof (<= half a block); nothing bigger
    // can be valid, so decoding stops there.
    p.max_tx_bytes = p.max_block_bytes / 2;
    // Unbonding entries an account may hold. Each is ~16 bytes of the account value, which is
    // read and rewritten whole by every transaction touching the account; same-height entries
    // merge, so only an account unbonding in 32 distinct blocks within UNBONDING_DELAY hits it.
    p.max_locked_entries = 32;
    p.median_time_blocks = 11;
    // A flat fee prices one signature check and ~150 bytes of relay and storage; 10^-6 STEP.
    p.min_fee = 1'000;
    p.initial_subsidy = 50 * kCoin;
    p.miner_share_bps = 5'000;  // half to hash miners, half to the useful-work pool

    // Market limits (same on every network). A segment must replay on one core within a few
    // seconds even on subnormal-heavy data (PROTOCOL.md section 5): 8 * 10^9 FLOPs, four times
    // the example task's segment (mlp{784,256,256,10}, B = 64, L = 25: ~2.0 * 10^9).
    // MAX_BLOCK_PROOF_FLOPS allows 4 such replays a block.
    p.max_segment_flops = 8'000'000'000;
    p.max_block_proof_flops = 4 * p.max_segment_flops;
    // Half a proof: a proof carries a state (pre-state) plus L*B records and their proofs.
    p.max_proof_bytes = p.max_block_bytes / 2;
    // The state must leave room in a proof for the segment's records and paths.
    p.max_state_bytes = p.max_proof_bytes / 4 * 3;  // 6 MiB: the example SGD state is 2.15 MB
    p.max_task_units = 4'096;
    p.max_audit_leaves = 256;
    // OpenTrace publishes all U/L + 1 leaves, and the unit's state record keeps them: 4,096
    // leaves are ~140 KB, rewritten with the unit. The example task has 200.
    p.max_unit_leaves = 4'096;
    p.safety = 2;
    p.audit_fee_bps = 1'000;                 // 10% of unit pay goes to the auditors
    p.audit_bond = 10 * kCoin;
    p.min_verifier_bond = 10 * kCoin;
    p.verifier_miss_slash = 1 * kCoin;
    p.proof_bond = 5 * kCoin;
    p.proof_burn_bps = 5'000;               // half burned: spam never profits anyone
    p.whistle_share_bps = 5'000;
    p.lazy_slash = 10 * kCoin;
    p.da_bond = 1 * kCoin;
    // 1 base unit per 10^9 FLOPs: far below a FLOP's cost (PROTOCOL.md section 5, usefulness).
    p.pool_rate_per_tflop = 1'000;
    p.pipeline_depth = 2;
}

// The P2P magics share three bytes that are not ASCII (a text protocol spoken to the port
// fails at once) and differ in the last, so nodes of different networks refuse each other on
// the first message. No network has seed addresses until a public network exists.
void set_p2p(Params& p, uint8_t network_byte, uint16_t port, std::string bind_host) {
    p.p2p_magic = {0xd3, 0x7e, 0x9c, network_byte};
    p.default_p2p_port = port;
    p.default_p2p_bind_host = std::move(bind_host);
}

// Windows scale with the network's block time; finality leaves room after the open window.
void set_windows(Params& p, uint64_t unit) {
    p.claim_timeout = 48 * unit;
    p.assign_delay = 2;
    p.audit_commit_window = 12 * unit;
    p.audit_reveal_window = 12 * unit;
    p.open_window = 12 * unit;
    p.da_window = 12 * unit;
    p.proof_contest_window = 6 * unit;
    p.finality_window = p.assign_delay + p.audit_commit_window + p.audit_reveal_window +
                        p.open_window + 48 * unit;
}

Params make_mainnet() {
    Params p;
    p.network = "mainnet";
    p.chain_id = 1;
    set_limits(p);
    p.genesis_timestamp = 1798761600;  // 2027-01-01 00:00 UTC, the launch; ASERT's anchor
    p.pow_limit = mask_bits(236);      // ~10^6 hashes a block: CPU-minable at launch
    p.genesis_target = p.pow_limit;
    p.block_time_s = 60;
    p.asert_half_life_s = 288 * 60;  // 288 blocks, as BCH's aserti3-2d (2 days at 600 s)
    p.max_future_drift_s = 15 * 60;  // 15 blocks: tolerates skewed clocks, bounds time warps
    p.halving_interval = 2'100'000;  // ~4 years at 60 s; total issuance ~210M STEP
    p.coinbase_maturity = 100;       // a reorg deeper than this is not expected
    p.unbonding_delay = 10'080;      // 7 days: exceeds every market window below
    set_windows(p, 10);              // finality 842 blocks (~14 h)
    set_p2p(p, 0x01, 8444, "0.0.0.0");  // every IPv4 interface: a public node
    return p;
}

Params make_testnet() {
    Params p;
    p.network = "testnet";
    p.chain_id = 2;
    set_limits(p);
    p.genesis_timestamp = 1793491200;  // 2026-11-01 00:00 UTC
    p.pow_limit = mask_bits(240);
    p.genesis_target = p.pow_limit;
    p.block_time_s = 30;
    p.asert_half_life_s = 288 * 30;
    p.max_future_drift_s = 15 * 30;
    p.halving_interval = 2'100'000;
    p.coinbase_maturity = 100;
    p.unbonding_delay = 1'440;  // 12 h
    set_windows(p, 4);
    set_p2p(p, 0x02, 28444, "0.0.0.0");
    return p;
}

Params make_devnet() {
    Params p;
    p.network = "devnet";
    p.chain_id = 3;
    set_limits(p);
    p.genesis_timestamp = 1767225600;  // 2026-01-01 00:00 UTC
    p.pow_limit = mask_bits(255);      // every other hash is a block
    p.genesis_target = p.pow_limit;
    p.block_time_s = 2;
    // Effectively fixed difficulty: `generate` bursts thousands of blocks within seconds, far
    // ahead of schedule, and must stay instant. Retargeting is exercised on testnet and in tests.
    p.asert_half_life_s = 1'000'000'000;
    // `generate` pushes timestamps ahead of the clock by ~1 s per 6 blocks (median rule).
    p.max_future_drift_s = 2 * 3600;
    p.halving_interval = 10'000;  // constant subsidy through the first 10,000 blocks
    p.coinbase_maturity = 0;      // rewards spendable at once
    p.unbonding_delay = 20;  // exceeds every market window below
    // Short windows so tests and local runs settle within tens of blocks.
    p.claim_timeout = 6;
    p.assign_delay = 1;
    p.audit_commit_window = 2;
    p.audit_reveal_window = 2;
    p.open_window = 2;
    p.da_window = 2;
    p.proof_contest_window = 2;
    p.finality_window = 12;  // 5 blocks after the open window for fraud proofs; < unbonding_delay
    // Small test models must draw a visible subsidy: 1 base unit per 1,000 FLOPs.
    p.pool_rate_per_tflop = 1'000'000'000;
    p.allow_generate = true;
    // Loopback only: a devnet node is a local test bed; it neither offers itself to the
    // network nor dials out of the machine, whatever addresses it learns by gossip.
    set_p2p(p, 0x03, 18444, "127.0.0.1");
    p.p2p_dial_loopback_only = true;
    return p;
}

}  // namespace

const Params& mainnet_params() {
    static const Params p = make_mainnet();
    return p;
}
const Params& testnet_params() {
    static const Params p = make_testnet();
    return p;
}
const Params& devnet_params() {
    static const Params p = make_devnet();
    return p;
}

const Params* params_by_name(std::string_view network) {
    if (network == "mainnet") return &mainnet_params();
    if (network == "testnet") return &testnet_params();
    if (network == "devnet") return &devnet_params();
    return nullptr;
}

uint64_t block_subsidy(uint64_t height, const Params& p) {
    if (height == 0 || p.halving_interval == 0) return 0;
    const uint64_t era = (height - 1) / p.halving_interval;
    return era >= 64 ? 0 : p.initial_subsidy >> era;
}

uint64_t miner_subsidy_share(uint64_t subsidy, const Params& p) {
    return static_cast<uint64_t>(static_cast<unsigned __int128>(subsidy) * p.miner_share_bps /
                                 10'000);
}

UnitWindows unit_windows(uint64_t c, const Params& p, uint64_t delay) {
    UnitWindows w;
    w.assign = c + p.assign_delay;
    w.commit_end = w.assign + p.audit_commit_window + delay;
    w.reveal_end = w.commit_end + p.audit_reveal_window;
    w.open_end = w.reveal_end + p.open_window;
    w.final_at = c + p.finality_window + delay;
    return w;
}

uint64_t flops_pay(uint64_t flops, const Params& p) {
    return static_cast<uint64_t>(static_cast<unsigned __int128>(flops) * p.pool_rate_per_tflop /
                                 1'000'000'000'000ull);
}

}  // namespace step::consensus
