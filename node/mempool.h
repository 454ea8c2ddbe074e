// Transaction pool policy: which valid transactions wait for a block, in what order, and which
// are dropped when the pool is full. Consensus decides validity (check_transaction,
// apply_transaction); this file only decides policy. Pure over its inputs (a state view and the
// next height), so it is unit-tested without a node.
//
// - A sender's transactions are sequenced by nonce: nonce n+1 waits until n is in the pool or
//   confirmed; only a gap-free run from the account's nonce is offered to blocks.
// - Blocks take the highest fee rate (fee per byte) first, respecting each sender's order.
// - The pool is capped at max_bytes; when full, the lowest fee rate is evicted (with the same
//   sender's later nonces, which could no longer be mined), or the newcomer is refused.
//
// Not thread-safe by itself: the node serialises calls (lock order chain, then mempool).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "consensus/keys.h"
#include "consensus/kv.h"
#include "consensus/params.h"
#include "consensus/proto/chain.pb.h"
#include "node/chain/chain_manager.h"

namespace step::node {

// 64 MiB: a few hundred full blocks of waiting transactions; bounds memory against spam.
inline constexpr size_t kDefaultMaxMempoolBytes = 64u << 20;
// Blocks between full mempool revalidations (between them, only senders seen in new blocks
// are rechecked): bounds how long a transaction made invalid by someone else can linger.
inline constexpr uint64_t kFullRevalidationInterval = 16;
// A sender may queue at most this many nonces ahead of its account: gaps cost memory and can
// never be mined until filled.
inline constexpr uint64_t kMaxNonceGap = 64;

// True when a pays a strictly higher fee per byte than b (exact, in 128-bit integers).
inline bool higher_fee_rate(uint64_t fee_a, size_t size_a, uint64_t fee_b, size_t size_b) {
    return static_cast<unsigned __int128>(fee_a) * size_b >
           static_cast<unsigned __int128>(fee_b) * size_a;
}

struct MempoolEntry {
    pb::Transaction tx;
    Hash256 txid{};
    consensus::Address sender{};
    uint64_t nonce = 0;
    uint64_t fee = 0;
    size_t size = 0;
    uint64_t sequence = 0;  // arrival order
};

class Mempool {
public:
    explicit Mempool(const consensus::Params& params, size_t max_bytes = kDefaultMaxMempoolBytes)
        : params_(params), max_bytes_(max_bytes) {}

    // Admits tx against `state` (the tip state) for a block at `height`. Errors: the consensus
    // code, or "already-in-mempool", "nonce-too-far", "replacement-fee-too-low", "mempool-full".
    Result<Hash256> add(const pb::Transaction& tx, const consensus::KvRead& state, uint64_t height);

    // Transactions for a block template: each sender's gap-free run from its account nonce,
    // merged by fee rate (highest first). At most max_count.
    std::vector<pb::Transaction> select(const consensus::KvRead& state, size_t max_count) const;

    // After the tip moved: put back the transactions of disconnected blocks, drop confirmed
    // ones, and drop whatever no longer applies (used nonces, spent funds).
    void update_for_chain(const SubmitResult& change, const consensus::KvRead& state,
                          uint64_t height);

    std::optional<pb::Transaction> get(const Hash256& txid) const;
    bool contains(const Hash256& txid) const { return entries_.count(txid) > 0; }
    // Every pending transaction, for saving: in arrival order, except that each sender's
    // transactions fill that sender's slots in nonce order (a replacement arrives after its
    // successors), so re-adding them in this order never meets a nonce before its predecessor.
    std::vector<pb::Transaction> transactions_for_save() const;
    // The txids of up to max_count entries, highest fee rate first: what a new peer is told of.
    std::vector<Hash256> best_txids(size_t max_count) const;
    // The account nonce plus the sender's gap-free run in the pool.
    uint64_t next_nonce(const consensus::Address& sender, uint64_t account_nonce) const;
    size_t size() const { return entries_.size(); }
    size_t bytes() const { return bytes_; }
    size_t max_bytes() const { return max_bytes_; }

private:
    void erase(const Hash256& txid);
    // Files an entry under its txid, its sender's nonce and its eviction key.
    void insert(MempoolEntry entry);
    // The sender's pending run from account_nonce, then `entry`, must apply in order against
    // `state` (an entry behind a nonce gap passes: it is checked once the gap fills).
    Status check_applies(const MempoolEntry& entry, const consensus::KvRead& state,
                         uint64_t account_nonce, uint64_t height) const;
    // Evicts lower fee rates until `entry` fits; false, touching nothing, when the entries
    // paying less than it cannot free enough.
    bool make_room_for(const MempoolEntry& entry);
    // Drops the sender's entries below account_nonce, then those that fail to apply in order
    // (and every later nonce behind a failure).
    void revalidate_sender(const consensus::Address& sender, const consensus::KvRead& state,
                           uint64_t height);
    // The eviction candidate: lowest fee rate; ties: the newest.
    const MempoolEntry* worst_entry() const;

    // Eviction order, so finding the worst entry is O(1) and keeping it O(log n).
    struct EvictionKey {
        uint64_t fee;
        size_t size;
        uint64_t sequence;
        Hash256 txid;
        bool operator<(const EvictionKey& o) const {
            if (higher_fee_rate(o.fee, o.size, fee, size)) return true;  // lower rate first
            if (higher_fee_rate(fee, size, o.fee, o.size)) return false;
            return sequence > o.sequence;  // then newest first
        }
    };
    static EvictionKey eviction_key(const MempoolEntry& e) {
        return {e.fee, e.size, e.sequence, e.txid};
    }

    const consensus::Params& params_;
    size_t max_bytes_;
    size_t bytes_ = 0;
    uint64_t next_sequence_ = 0;
    uint64_t blocks_since_full_check_ = 0;
    std::unordered_map<Hash256, MempoolEntry, Hash256Hasher> entries_;
    std::map<consensus::Address, std::map<uint64_t, Hash256>> by_sender_;
    std::set<EvictionKey> eviction_order_;
};

}  // namespace step::node
