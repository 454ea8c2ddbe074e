// Blocks: hashing, proof of work, the state-transition function apply_block, the template
// builder assemble_block, and genesis (PROTOCOL.md section 2, docs/consensus.md).
#pragma once

#include <cstdint>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "consensus/keys.h"
#include "consensus/kv.h"
#include "consensus/params.h"
#include "consensus/proto/chain.pb.h"
#include "consensus/uint256.h"

namespace step::consensus {

// What consensus needs to know about a block on the chain to validate its child.
struct ChainTip {
    Hash256 hash{};
    uint64_t height = 0;
    uint64_t timestamp = 0;
    U256 target;
    U256 cumulative_work;  // sum of block_work over the chain up to and including this block
    // Timestamps of this block and its ancestors, oldest first, at most median_time_blocks.
    std::vector<uint64_t> recent_timestamps;
    Hash256 state_root{};
};

struct ApplyContext {
    uint64_t now = 0;  // the node's clock (seconds); consensus never reads clocks itself
    ChainTip parent;
};

struct BlockApplied {
    KvWrites writes;    // state keys and tree nodes, to store atomically with the block
    KvWrites undo;      // previous value of every key in `writes` (nullopt = was absent)
    Hash256 state_root{};
    ChainTip tip;       // the new block as a ChainTip (for its child's ApplyContext)
    uint64_t fees = 0;
    uint64_t subsidy = 0;
};

Hash256 header_hash(const pb::BlockHeader& header);  // H_block(canonical header bytes)
Hash256 pow_hash(const pb::BlockHeader& header);     // H_pow(canonical header bytes)
// Target well-formed, within pow_limit, and pow_hash <= target.
bool check_pow(const pb::BlockHeader& header, const Params& p);
Hash256 compute_tx_root(const pb::Block& block);  // merkle_root of txids

// Header rules that need no state: version, height, prev hash, field shapes, timestamp window,
// target == next_target, PoW. Lets the node check headers before it has bodies.
Status check_header(const pb::BlockHeader& header, const ChainTip& parent, uint64_t now,
                    const Params& p);

// Body rules that need no state: size, transaction count, and tx_root == the transactions'
// Merkle root. A body that fails them does not belong to its header (the header may still be
// valid), so the node checks them before it stores a body for a header it already holds.
Status check_block_body(const pb::Block& block, const Params& p);

// The state-transition function. parent_state must be the state after ctx.parent. Returns the
// writes and their undo, or the first rule broken (a specific code from consensus/errors.h).
// verify_threads > 1 checks signatures on that many threads before the sequential state pass;
// the result (including which error is reported) never depends on it. parent_state is only
// read from the calling thread.
Result<BlockApplied> apply_block(const KvRead& parent_state, const pb::Block& block,
                                 const Params& p, const ApplyContext& ctx,
                                 unsigned verify_threads = 1);

struct AssembledBlock {
    pb::Block block;                      // header complete except nonce (0)
    std::vector<Hash256> included;        // txids in block order
    std::vector<std::pair<Hash256, Status>> skipped;  // txid and why it was left out
};
// Block template: applies candidates in order, skipping any that fail or do not fit the size
// and count limits, then fills tx_root, state_root and target. The miner only varies nonce.
Result<AssembledBlock> assemble_block(const KvRead& parent_state, const ChainTip& parent,
                                      const std::vector<pb::Transaction>& candidates,
                                      const Address& miner, uint64_t timestamp, const Params& p);

// Genesis: fixed per network, not mined (its hash is the chain's anchor, no PoW check).
pb::Block genesis_block(const Params& p);
// State writes (with tree nodes) that make the genesis state; empty on every network today.
KvWrites genesis_state_writes(const Params& p);
ChainTip genesis_tip(const Params& p);
// The ChainTip of a header extending parent (hash, work, timestamps).
ChainTip next_tip(const ChainTip& parent, const pb::BlockHeader& header, const Params& p);

}  // namespace step::consensus
