// Chain activation: stores blocks, keeps the block index, and moves the best-chain tip to the
// valid chain with the most cumulative work, connecting and disconnecting blocks through
// consensus::apply_block and stored undo data. Each connect or disconnect is one atomic,
// synced LevelDB batch (state writes + undo + height/tx index + tip), so a process killed at any
// moment restarts on a consistent tip; start-up then resumes any interrupted reorganisation.
//
// Headers-first sync (header_index.cc): the index also holds headers without bodies
// (BlockStatus::kHeaderOnly), checked by the consensus header rules before they are stored. The
// best header chain (most work among headers not known invalid) says which blocks to download;
// a block becomes a candidate for the tip only once it and all its ancestors have bodies.
// What a peer can make the index grow by is bounded (accept_headers, docs/p2p.md).
//
// Thread safety: every public method takes the chain lock. The chain never calls out to the
// mempool or miner; callers act on SubmitResult (lock order: chain, then mempool).
#pragma once

#include <atomic>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "consensus/block.h"
#include "consensus/params.h"
#include "consensus/proto/chain.pb.h"
#include "node/storage/block_store.h"
#include "node/storage/database.h"

namespace step::node {

enum class BlockSource { kMiner, kRpc, kPeer };

struct SubmitResult {
    Hash256 hash{};
    bool already_known = false;  // the block was stored before this call
    bool tip_changed = false;
    std::vector<pb::Block> disconnected;  // old tip first
    std::vector<pb::Block> connected;     // fork point's child first
};

struct BlockInfo {
    Hash256 hash{};
    uint64_t height = 0;
    BlockStatus status = BlockStatus::kHaveData;
    std::string invalid_reason;
    bool in_best_chain = false;
};

struct Hash256Hasher {
    size_t operator()(const Hash256& h) const {
        size_t v = 0;
        std::memcpy(&v, h.data(), sizeof v);  // hashes are uniformly distributed already
        return v;
    }
};

// What accept_headers did with a batch of headers.
struct HeadersResult {
    size_t added = 0;       // headers newly stored (kHeaderOnly)
    size_t added_best = 0;  // of those, on the best header chain afterwards: they raised its work
    size_t added_side = 0;  // of those, on a side branch (not more work than the best chain)
    Hash256 last{};         // the last header of the batch
    uint64_t last_height = 0;
};

// The tip of the best header chain.
struct HeaderTip {
    Hash256 hash{};
    uint64_t height = 0;
    consensus::U256 work;
};

// A block of the best header chain whose body we lack.
struct BlockToFetch {
    Hash256 hash{};
    uint64_t height = 0;
};

// Seconds since the Unix epoch; injectable so tests can pin time.
using Clock = std::function<uint64_t()>;
uint64_t system_clock_seconds();

class ChainManager {
public:
    // Opens the chain in db: writes genesis into an empty database, refuses a database of another
    // network ("wrong-network"), checks the stored state against the tip's state root
    // ("corrupt-state"), and finishes any reorganisation a crash interrupted.
    static Result<std::unique_ptr<ChainManager>> open(Database& db, const consensus::Params& params,
                                                      Clock clock = system_clock_seconds);

    // Validates and stores a block, then activates the best chain. Errors carry the consensus
    // reason code ("bad-pow", "bad-state-root", ...) or "unknown-parent" / "invalid-parent".
    // A known valid block is not an error (already_known).
    Result<SubmitResult> submit_block(const pb::Block& block, BlockSource source);

    // --- Headers-first sync (header_index.cc) ---

    // Stores headers without bodies. headers[0] must extend a known header, each next one the
    // one before; each must pass consensus::check_header against its parent. Known headers are
    // skipped. Nothing is stored unless the whole batch passes, and nothing when:
    //  - the batch's last header ends a chain with less work than our best header chain minus
    //    kHeaderReachBlocks blocks of work (codes::kHeadersLowWork): a branch that far behind
    //    cannot overtake soon, and on an easy-target network it costs its sender nothing;
    //  - the batch does not raise the best header chain's work and the index already holds
    //    kMaxSideHeaders header-only entries off that chain, after pruning those fallen out of
    //    reach (codes::kSideHeadersFull). A branch that does raise it is always accepted.
    // Errors: the consensus header codes, kUnknownParent, kInvalidParent, the two above.
    Result<HeadersResult> accept_headers(const std::vector<pb::BlockHeader>& headers);
    HeaderTip best_header() const;
    // Hashes of the best header chain (or of the chain ending at `from`, when known), newest
    // first: the last 10 blocks, then exponentially sparser, ending with genesis (at most
    // kMaxLocatorHashes).
    std::vector<Hash256> locator(const std::optional<Hash256>& from = std::nullopt) const;
    // The header of any block in the index, body or not.
    std::optional<pb::BlockHeader> header(const Hash256& hash) const;
    // Whether block `hash` at `height` is `tip` or one of its ancestors (both in the index).
    bool in_chain_of(const Hash256& hash, uint64_t height, const Hash256& tip) const;
    // Headers of the active chain after the first locator hash found on it (genesis when none
    // is), up to and including `stop` or `max` headers.
    std::vector<pb::BlockHeader> headers_after(const std::vector<Hash256>& locator,
                                               const Hash256& stop, size_t max) const;
    // Blocks of the best header chain without bodies, lowest first, at heights up to `window`
    // past the last block it shares with the active chain; at most `max`.
    std::vector<BlockToFetch> blocks_to_fetch(uint64_t window, size_t max) const;
    // Header-only entries off the best header chain (what kMaxSideHeaders bounds).
    uint64_t side_header_count() const;
    // Every entry of the index: headers and blocks, valid or not.
    uint64_t index_size() const;

    consensus::ChainTip tip() const;
    // Runs fn under the chain lock with the tip's state; the view is valid only inside fn.
    void with_tip_state(
        const std::function<void(const consensus::KvRead&, const consensus::ChainTip&)>& fn) const;

    std::optional<Hash256> hash_at_height(uint64_t height) const;
    std::optional<pb::Block> block(const Hash256& hash) const;
    std::optional<BlockInfo> block_info(const Hash256& hash) const;
    // The best-chain block that confirmed txid.
    std::optional<Hash256> tx_block(const Hash256& txid) const;

    // SHA-256 over every stored consensus key and value in key order (length-prefixed), their
    // count, and the tip they belong to (read under one lock): a digest of the whole state, tree
    // nodes included, for comparing two nodes.
    struct StateDigest {
        Hash256 digest{};
        uint64_t entries = 0;
        Hash256 tip{};
        uint64_t height = 0;
        friend bool operator==(const StateDigest&, const StateDigest&) = default;
    };
    StateDigest state_digest() const;

    uint64_t blocks_validated() const { return blocks_validated_; }
    const consensus::Params& params() const { return params_; }

private:
    struct Entry {
        pb::BlockHeader header;
        Hash256 prev{};
        uint64_t height = 0;
        consensus::U256 work;
        BlockStatus status = BlockStatus::kHaveData;
        std::string invalid_reason;
        uint64_t sequence = 0;  // arrival order: ties in work keep the block seen first
        // This block and every ancestor have bodies (not persisted: recomputed by load), so
        // it may head the active chain.
        bool linked = false;
    };

    // Blocks that may head the best chain (stored, not known invalid), heaviest first, then
    // the first seen; keeps chain activation O(log n) per block.
    struct Candidate {
        consensus::U256 work;
        uint64_t sequence = 0;
        Hash256 hash{};
        bool operator<(const Candidate& o) const {
            if (work != o.work) return work > o.work;
            return sequence < o.sequence;
        }
    };

    ChainManager(Database& db, const consensus::Params& params, Clock clock);
    Status load();
    Status init_genesis();
    consensus::ChainTip make_tip(const Hash256& hash) const;
    Status persist_entry(const Hash256& hash, const Entry& e, bool sync);
    // Moves the tip to the best valid chain; appends what it did to result.
    Status activate_best_chain(SubmitResult& result);
    Status connect_block(const Hash256& hash, SubmitResult& result);
    Status disconnect_tip(SubmitResult& result);
    void mark_invalid(const Hash256& hash, const Status& why);
    // The error for an entry known to be invalid, from the code its index entry stored (a code
    // that marked it invalid, so invalid by consensus); `unrecorded` when none was stored.
    static Status known_invalid(const Entry& e, const ErrorCode& unrecorded, std::string message);
    std::optional<pb::Block> load_block(const Hash256& hash) const;
    // Makes a block with a body whose parent is linked a candidate, then every waiting
    // descendant that this completes (unlinked_).
    void link_block(const Hash256& hash);
    // Stores a body for a header already in the index, or a new block.
    Status store_body(const pb::Block& block, const Hash256& hash, bool header_known);

    // Header index (header_index.cc); mutex held.
    void note_header(const Hash256& hash);       // a new entry: may be the new best header
    void reset_best_header();                    // after entries were marked invalid
    void set_header_chain(const Hash256& best);  // header_chain_ ends at best
    uint64_t header_fork_height() const;         // last height header_chain_ shares with active_
    Hash256 ancestor(Hash256 hash, uint64_t height) const;  // height <= hash's height
    consensus::U256 header_work_threshold() const;
    uint64_t count_side_headers() const;
    size_t prune_side_headers();  // header-only side entries fallen out of reach
    Status check_side_room(size_t adding);

    Database& db_;
    const consensus::Params& params_;
    Clock clock_;
    mutable std::mutex mutex_;
    std::unordered_map<Hash256, Entry, Hash256Hasher> index_;
    std::vector<Hash256> active_;  // best chain by height
    std::set<Candidate> candidates_;
    // Headers-first: the best header chain by height (genesis .. most-work header not known
    // invalid), bodies or not; header-only entries in the index; bodies waiting for an
    // ancestor's body, by parent.
    std::vector<Hash256> header_chain_;
    uint64_t header_only_count_ = 0;
    std::unordered_multimap<Hash256, Hash256, Hash256Hasher> unlinked_;
    uint64_t next_sequence_ = 0;
    std::atomic<uint64_t> blocks_validated_{0};
};

}  // namespace step::node
