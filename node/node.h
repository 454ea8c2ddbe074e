// The node's core services behind one object: block and transaction submission, block
// templates and mining. RPC handlers, the miner thread and (later) P2P all go through here.
// Lock order: submit mutex, then chain, then mempool.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include "consensus/block.h"
#include "node/chain/chain_manager.h"
#include "node/mempool.h"
#include "node/metrics.h"

namespace step::node {

class BlobStore;

struct MempoolInfo {
    size_t size = 0;
    size_t bytes = 0;
    size_t max_bytes = 0;
};

class Node {
public:
    Node(ChainManager& chain, Mempool& mempool, Metrics& metrics,
         Clock clock = system_clock_seconds)
        : chain_(chain), mempool_(mempool), metrics_(metrics), clock_(std::move(clock)) {}

    ChainManager& chain() { return chain_; }
    const consensus::Params& params() const { return chain_.params(); }

    // Submits a block (miner, RPC, peer), then brings the mempool in line with the new tip.
    Result<SubmitResult> submit_block(const pb::Block& block, BlockSource source);
    // Admits a transaction into the mempool. Errors carry the consensus or policy code.
    Result<Hash256> submit_transaction(const pb::Transaction& tx);

    // A block template on the current tip with the best mempool transactions (nonce 0).
    Result<consensus::AssembledBlock> block_template(const consensus::Address& miner);
    // Builds a template, grinds the nonce until proof of work is met, and submits the block.
    // Rebuilds when the tip moves under it. Returns nullopt when `stop` is raised first.
    Result<std::optional<Hash256>> mine_block(const consensus::Address& miner,
                                              const std::atomic<bool>& stop);

    // Called after a transaction entered the mempool (from RPC, a peer, or back from a block a
    // reorganisation disconnected), with no Node lock held: P2P announces it to peers. Set
    // once at start-up, before transactions arrive.
    void set_tx_accepted_hook(std::function<void(const Hash256&)> hook) {
        tx_accepted_hook_ = std::move(hook);
    }

    // Called after a block moved the active tip (from the miner, RPC or a peer; once per
    // submit_block, with the new tip, after a reorganisation too), with no Node lock held: the
    // dashboard's event stream tells its browsers. Set once at start-up, before blocks arrive.
    void set_tip_changed_hook(std::function<void(const consensus::ChainTip&)> hook) {
        tip_changed_hook_ = std::move(hook);
    }

    // The blob store that receives the chunks of the DataResponses in every connected block
    // (node/answered_chunks.h). Set once at start-up, before blocks arrive; none in tests that
    // need no blobs.
    void set_blob_store(BlobStore* blobs) { blobs_ = blobs; }

    // Called with every storage failure (a read or write the database could not do, or data on
    // disk that does not parse) met by the block-connect path, the miner or the mempool, with no
    // Node lock held: stepd stops on it (node/init.cc). Such a failure says nothing about the
    // block or transaction, so it is returned as it is and never counted as a rejection. Set
    // once at start-up, before anything is submitted.
    void set_storage_failure_hook(std::function<void(const Status&)> hook) {
        storage_failure_hook_ = std::move(hook);
    }
    // Reports a storage failure met elsewhere (the P2P worker) to the same hook.
    void storage_failed(const Status& why) const;

    // Mempool reads, under the mempool lock.
    MempoolInfo mempool_info() const;
    std::optional<pb::Transaction> mempool_tx(const Hash256& txid) const;
    bool has_mempool_tx(const Hash256& txid) const;
    // Mempool::best_txids: up to max_count txids, highest fee rate first.
    std::vector<Hash256> mempool_txids(size_t max_count) const;
    uint64_t next_nonce(const consensus::Address& sender, uint64_t account_nonce) const;
    // The pool's transactions for mempool.dat (Mempool::transactions_for_save).
    std::vector<pb::Transaction> mempool_transactions() const;
    // Changes whenever the pool's content may have changed: the periodic saver skips a write
    // when it has not moved since the last one.
    uint64_t mempool_generation() const { return mempool_generation_.load(); }

    void refresh_metrics();

private:
    // submit_block under the submit lock; `returned` gets the transactions of disconnected
    // blocks that are back in the mempool.
    Result<SubmitResult> submit_block_locked(const pb::Block& block, BlockSource source,
                                             std::vector<Hash256>& returned);
    // Runs fn; a storage failure it meets (a thrown consensus::KvReadError, or a returned error
    // of category kStorage) goes to the storage failure hook and comes back as fn's error.
    template <class T, class F>
    Result<T> storage_guarded(F&& fn) const;

    ChainManager& chain_;
    Mempool& mempool_;
    Metrics& metrics_;
    Clock clock_;
    std::mutex submit_mutex_;
    mutable std::mutex mempool_mutex_;
    std::atomic<uint64_t> mempool_generation_{0};
    std::function<void(const Hash256&)> tx_accepted_hook_;
    std::function<void(const Status&)> storage_failure_hook_;
    std::function<void(const consensus::ChainTip&)> tip_changed_hook_;
    BlobStore* blobs_ = nullptr;
};

}  // namespace step::node
