#include "node/node.h"

#include <chrono>

#include "consensus/pow.h"
#include "consensus/transaction.h"
#include "node/answered_chunks.h"
#include "node/errors.h"
#include "node/log.h"

namespace step::node {

namespace {

// Nonces tried between checks for a new tip or a stop request: ~tens of milliseconds of hashing.
constexpr uint64_t kNoncesPerCheck = 4096;
// A template older than this is rebuilt to pick up new transactions and a fresh timestamp.
constexpr std::chrono::seconds kTemplateMaxAge{10};

bool is_storage_failure(const Status& s) { return s.category() == ErrorCategory::kStorage; }

}  // namespace

void Node::storage_failed(const Status& why) const {
    if (storage_failure_hook_) storage_failure_hook_(why);
}

template <class T, class F>
Result<T> Node::storage_guarded(F&& fn) const {
    try {
        Result<T> result = fn();
        if (!result.ok() && is_storage_failure(result.status())) storage_failed(result.status());
        return result;
    } catch (const consensus::KvReadError& e) {
        storage_failed(e.status());
        return e.status();
    }
}

Result<SubmitResult> Node::submit_block(const pb::Block& block, BlockSource source) {
    std::vector<Hash256> returned;
    auto result = storage_guarded<SubmitResult>(
        [&] { return submit_block_locked(block, source, returned); });
    // Announced as if new, with no Node lock held: the peers on the winning side of a
    // reorganisation never saw them, and nothing else would ever send them there.
    if (tx_accepted_hook_)
        for (const Hash256& txid : returned) tx_accepted_hook_(txid);
    if (blobs_ && result.ok())
        for (const auto& connected : result->connected) store_answered_chunks(*blobs_, connected);
    if (tip_changed_hook_ && result.ok() && result->tip_changed) tip_changed_hook_(chain_.tip());
    return result;
}

Result<SubmitResult> Node::submit_block_locked(const pb::Block& block, BlockSource source,
                                               std::vector<Hash256>& returned) {
    std::lock_guard submit_lock(submit_mutex_);
    auto result = chain_.submit_block(block, source);
    if (!result.ok()) {
        if (!is_storage_failure(result.status()))
            metrics_.add_counter("stepd_blocks_rejected_total", "Blocks rejected as invalid");
        return result;
    }
    if (result->tip_changed) {
        chain_.with_tip_state([&](const consensus::KvRead& state, const consensus::ChainTip& tip) {
            std::lock_guard lock(mempool_mutex_);
            mempool_.update_for_chain(*result, state, tip.height + 1);
            for (const auto& disconnected : result->disconnected)
                for (const auto& tx : disconnected.transactions())
                    if (mempool_.contains(consensus::txid(tx)))
                        returned.push_back(consensus::txid(tx));
        });
        ++mempool_generation_;
        if (!result->disconnected.empty())
            log_info("reorganisation: ", result->disconnected.size(), " blocks disconnected, ",
                     result->connected.size(), " connected");
        const auto tip = chain_.tip();
        log_info("new tip height ", tip.height, " hash ", to_hex(tip.hash));
    }
    refresh_metrics();
    return result;
}

Result<Hash256> Node::submit_transaction(const pb::Transaction& tx) {
    Result<Hash256> out = storage_guarded<Hash256>([&] {
        Result<Hash256> added = Status::error(codes::kInternal, "not run");
        chain_.with_tip_state([&](const consensus::KvRead& state, const consensus::ChainTip& tip) {
            std::lock_guard lock(mempool_mutex_);
            added = mempool_.add(tx, state, tip.height + 1);
        });
        return added;
    });
    if (out.ok()) {
        ++mempool_generation_;
        log_debug("accepted transaction ", to_hex(*out));
    }
    refresh_metrics();
    if (out.ok() && tx_accepted_hook_) tx_accepted_hook_(*out);
    return out;
}

Result<consensus::AssembledBlock> Node::block_template(const consensus::Address& miner) {
    return storage_guarded<consensus::AssembledBlock>([&] {
        Result<consensus::AssembledBlock> out = Status::error(codes::kInternal, "not run");
        chain_.with_tip_state([&](const consensus::KvRead& state, const consensus::ChainTip& tip) {
            std::vector<pb::Transaction> candidates;
            {
                std::lock_guard lock(mempool_mutex_);
                candidates = mempool_.select(state, params().max_block_txs);
            }
            // Timestamps must exceed the median of recent blocks; the clock may lag it briefly.
            const uint64_t timestamp =
                std::max(clock_(), consensus::median_time_past(tip.recent_timestamps) + 1);
            out = consensus::assemble_block(state, tip, candidates, miner, timestamp, params());
        });
        return out;
    });
}

Result<std::optional<Hash256>> Node::mine_block(const consensus::Address& miner,
                                                const std::atomic<bool>& stop) {
    while (!stop) {
        auto tmpl = block_template(miner);
        if (!tmpl.ok()) return tmpl.status();
        pb::Block& block = tmpl->block;
        pb::BlockHeader* header = block.mutable_header();
        const std::string parent = header->prev_hash();
        const auto built = std::chrono::steady_clock::now();
        bool found = false;
        for (uint64_t nonce = 0; !stop; ++nonce) {
            header->set_nonce(nonce);
            if (consensus::check_pow(*header, params())) {
                found = true;
                break;
            }
            if (nonce % kNoncesPerCheck == kNoncesPerCheck - 1) {
                const auto tip = chain_.tip();
                if (std::string(tip.hash.begin(), tip.hash.end()) != parent) break;
                if (std::chrono::steady_clock::now() - built > kTemplateMaxAge) break;
            }
        }
        if (!found) continue;
        auto submitted = submit_block(block, BlockSource::kMiner);
        if (!submitted.ok()) return submitted.status();
        metrics_.add_counter("stepd_blocks_mined_total", "Blocks mined by this node");
        return std::optional<Hash256>(submitted->hash);
    }
    return std::optional<Hash256>();
}

MempoolInfo Node::mempool_info() const {
    std::lock_guard lock(mempool_mutex_);
    return {mempool_.size(), mempool_.bytes(), mempool_.max_bytes()};
}

std::optional<pb::Transaction> Node::mempool_tx(const Hash256& txid) const {
    std::lock_guard lock(mempool_mutex_);
    return mempool_.get(txid);
}

bool Node::has_mempool_tx(const Hash256& txid) const {
    std::lock_guard lock(mempool_mutex_);
    return mempool_.contains(txid);
}

std::vector<Hash256> Node::mempool_txids(size_t max_count) const {
    std::lock_guard lock(mempool_mutex_);
    return mempool_.best_txids(max_count);
}

std::vector<pb::Transaction> Node::mempool_transactions() const {
    std::lock_guard lock(mempool_mutex_);
    return mempool_.transactions_for_save();
}

uint64_t Node::next_nonce(const consensus::Address& sender, uint64_t account_nonce) const {
    std::lock_guard lock(mempool_mutex_);
    return mempool_.next_nonce(sender, account_nonce);
}

void Node::refresh_metrics() {
    const auto tip = chain_.tip();
    const auto info = mempool_info();
    metrics_.set_gauge("stepd_chain_height", "Height of the best-chain tip",
                       static_cast<double>(tip.height));
    metrics_.set_gauge("stepd_mempool_size", "Transactions in the mempool",
                       static_cast<double>(info.size));
    metrics_.set_gauge("stepd_mempool_bytes", "Bytes of transactions in the mempool",
                       static_cast<double>(info.bytes));
    metrics_.set_counter("stepd_blocks_validated_total",
                         "Blocks validated by apply_block since start", chain_.blocks_validated());
}

}  // namespace step::node
