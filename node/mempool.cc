#include "node/mempool.h"

#include <algorithm>
#include <queue>
#include <unordered_set>

#include "consensus/encoding.h"
#include "consensus/state.h"
#include "consensus/transaction.h"
#include "consensus/errors.h"
#include "node/errors.h"

namespace step::node {

namespace {

MempoolEntry entry_for(const pb::Transaction& tx) {
    MempoolEntry entry;
    entry.tx = tx;
    entry.txid = consensus::txid(tx);
    entry.sender = consensus::tx_sender(tx);
    entry.nonce = tx.nonce();
    entry.fee = tx.fee();
    entry.size = consensus::encode_tx(tx).size();
    return entry;
}

}  // namespace

Result<Hash256> Mempool::add(const pb::Transaction& tx, const consensus::KvRead& state,
                             uint64_t height) {
    STEP_TRY(consensus::check_transaction(tx, params_));
    MempoolEntry entry = entry_for(tx);
    if (entries_.count(entry.txid))
        return Status::error(codes::kAlreadyInMempool, "transaction " + to_hex(entry.txid) + " is already in the mempool");

    auto account = consensus::read_account(state, entry.sender);
    if (!account.ok()) return account.status();
    if (entry.nonce < account->nonce)
        return Status::error(consensus::codes::kBadNonce, "nonce " + std::to_string(entry.nonce) + " is already used (account nonce " +
                                              std::to_string(account->nonce) + ")");
    if (entry.nonce > account->nonce + kMaxNonceGap)
        return Status::error(codes::kNonceTooFar, "nonce " + std::to_string(entry.nonce) + " is more than " +
                                                  std::to_string(kMaxNonceGap) + " ahead of the account");

    std::optional<MempoolEntry> replaced;
    if (auto q = by_sender_.find(entry.sender); q != by_sender_.end() && q->second.count(entry.nonce)) {
        const MempoolEntry& old = entries_.at(q->second.at(entry.nonce));
        if (entry.fee <= old.fee) {
            return Status::error(codes::kReplacementFeeTooLow,
                                 "a transaction with this nonce is pending; a replacement must pay a higher fee");
        }
        replaced = old;
        erase(old.txid);
    }
    // A refused newcomer leaves the pending transaction it would have replaced in place.
    Status admitted = check_applies(entry, state, account->nonce, height);
    if (admitted.ok() && !make_room_for(entry))
        admitted = Status::error(codes::kMempoolFull,
                                 "the mempool is full and this fee rate is too low to enter");
    if (!admitted.ok()) {
        if (replaced) insert(*replaced);
        return admitted;
    }

    entry.sequence = next_sequence_++;
    const Hash256 id = entry.txid;
    insert(std::move(entry));
    // A replacement can make the sender's later transactions unaffordable.
    revalidate_sender(entries_.at(id).sender, state, height);
    if (!entries_.count(id))
        return Status::error(consensus::codes::kInsufficientFunds, "transaction no longer applies");
    return id;
}

void Mempool::insert(MempoolEntry entry) {
    by_sender_[entry.sender][entry.nonce] = entry.txid;
    bytes_ += entry.size;
    eviction_order_.insert(eviction_key(entry));
    const Hash256 id = entry.txid;
    entries_.emplace(id, std::move(entry));
}

Status Mempool::check_applies(const MempoolEntry& entry, const consensus::KvRead& state,
                              uint64_t account_nonce, uint64_t height) const {
    consensus::OverlayKv overlay(state);
    uint64_t expected = account_nonce;
    if (auto q = by_sender_.find(entry.sender); q != by_sender_.end()) {
        for (auto it = q->second.begin(); it != q->second.end() && it->first < entry.nonce && it->first == expected;
             ++it, ++expected) {
            auto w = consensus::apply_transaction(overlay, entries_.at(it->second).tx, params_, height);
            if (!w.ok()) break;
            overlay.apply(*w);
        }
    }
    if (expected != entry.nonce) return Status();  // behind a gap: checked once the gap fills
    auto w = consensus::apply_transaction(overlay, entry.tx, params_, height);
    return w.ok() ? Status() : w.status();
}

bool Mempool::make_room_for(const MempoolEntry& entry) {
    if (bytes_ + entry.size <= max_bytes_) return true;
    // First check, without touching anything, that the entries paying less than the newcomer
    // free enough bytes; otherwise it is refused.
    const size_t needed = bytes_ + entry.size - max_bytes_;
    size_t freeable = 0;
    for (auto it = eviction_order_.begin(); it != eviction_order_.end() && freeable < needed;
         ++it) {
        if (!higher_fee_rate(entry.fee, entry.size, it->fee, it->size)) break;
        freeable += it->size;
    }
    if (freeable < needed) return false;
    while (bytes_ + entry.size > max_bytes_) {
        const MempoolEntry* worst = worst_entry();
        // The evicted sender's later nonces could never be mined: they go too.
        const consensus::Address victim = worst->sender;
        const uint64_t from_nonce = worst->nonce;
        std::vector<Hash256> doomed;
        const auto& victim_queue = by_sender_.at(victim);
        for (auto it = victim_queue.lower_bound(from_nonce); it != victim_queue.end(); ++it)
            doomed.push_back(it->second);
        for (const auto& id : doomed) erase(id);
    }
    return true;
}

const MempoolEntry* Mempool::worst_entry() const {
    if (eviction_order_.empty()) return nullptr;
    return &entries_.at(eviction_order_.begin()->txid);
}

void Mempool::erase(const Hash256& txid) {
    auto it = entries_.find(txid);
    if (it == entries_.end()) return;
    auto s = by_sender_.find(it->second.sender);
    if (s != by_sender_.end()) {
        s->second.erase(it->second.nonce);
        if (s->second.empty()) by_sender_.erase(s);
    }
    bytes_ -= it->second.size;
    eviction_order_.erase(eviction_key(it->second));
    entries_.erase(it);
}

void Mempool::revalidate_sender(const consensus::Address& sender, const consensus::KvRead& state, uint64_t height) {
    auto s = by_sender_.find(sender);
    if (s == by_sender_.end()) return;
    auto account = consensus::read_account(state, sender);
    if (!account.ok()) return;
    std::vector<Hash256> doomed;
    consensus::OverlayKv overlay(state);
    uint64_t expected = account->nonce;
    bool failed = false;
    for (const auto& [nonce, id] : s->second) {
        if (nonce < account->nonce) {
            doomed.push_back(id);
            continue;
        }
        if (failed) {
            doomed.push_back(id);  // behind an inapplicable nonce: can never be mined
            continue;
        }
        if (nonce != expected) break;  // a gap: later ones wait, unchecked
        auto w = consensus::apply_transaction(overlay, entries_.at(id).tx, params_, height);
        if (!w.ok()) {
            failed = true;
            doomed.push_back(id);
            continue;
        }
        overlay.apply(*w);
        ++expected;
    }
    for (const auto& id : doomed) erase(id);
}

std::vector<pb::Transaction> Mempool::select(const consensus::KvRead& state, size_t max_count) const {
    // Per sender, the gap-free run starting at the account nonce.
    struct Run {
        std::vector<const MempoolEntry*> txs;
        size_t next = 0;
    };
    std::vector<Run> runs;
    for (const auto& [sender, queue] : by_sender_) {
        auto account = consensus::read_account(state, sender);
        if (!account.ok()) continue;
        Run run;
        uint64_t expected = account->nonce;
        for (const auto& [nonce, id] : queue) {
            if (nonce < expected) continue;
            if (nonce != expected) break;
            run.txs.push_back(&entries_.at(id));
            ++expected;
        }
        if (!run.txs.empty()) runs.push_back(std::move(run));
    }
    auto worse = [&](size_t a, size_t b) {  // heap order: highest fee rate on top, then oldest
        const MempoolEntry* x = runs[a].txs[runs[a].next];
        const MempoolEntry* y = runs[b].txs[runs[b].next];
        if (higher_fee_rate(y->fee, y->size, x->fee, x->size)) return true;
        if (higher_fee_rate(x->fee, x->size, y->fee, y->size)) return false;
        return x->sequence > y->sequence;
    };
    std::priority_queue<size_t, std::vector<size_t>, decltype(worse)> heap(worse);
    for (size_t i = 0; i < runs.size(); ++i) heap.push(i);
    std::vector<pb::Transaction> out;
    while (!heap.empty() && out.size() < max_count) {
        size_t i = heap.top();
        heap.pop();
        out.push_back(runs[i].txs[runs[i].next]->tx);
        if (++runs[i].next < runs[i].txs.size()) heap.push(i);
    }
    return out;
}

void Mempool::update_for_chain(const SubmitResult& change, const consensus::KvRead& state, uint64_t height) {
    std::unordered_set<Hash256, Hash256Hasher> confirmed;
    for (const auto& block : change.connected)
        for (const auto& tx : block.transactions()) confirmed.insert(consensus::txid(tx));
    for (const auto& id : confirmed) erase(id);
    // Transactions of disconnected blocks come back unless the new chain confirmed them too.
    for (const auto& block : change.disconnected)
        for (const auto& tx : block.transactions())
            if (!confirmed.count(consensus::txid(tx))) (void)add(tx, state, height);
    // Today only a sender's own transactions spend from its account, so after a plain block
    // only the block's senders need a fresh look (O(block), not O(mempool) signature checks).
    // After a reorganisation, and every kFullRevalidationInterval blocks (later rules may debit
    // accounts from others' transactions), everyone is checked.
    std::set<consensus::Address> senders;
    blocks_since_full_check_ += change.connected.size();
    if (!change.disconnected.empty() || blocks_since_full_check_ >= kFullRevalidationInterval) {
        blocks_since_full_check_ = 0;
        for (const auto& [sender, q] : by_sender_) senders.insert(sender);
    } else {
        for (const auto& block : change.connected)
            for (const auto& tx : block.transactions()) senders.insert(consensus::tx_sender(tx));
    }
    for (const auto& sender : senders) revalidate_sender(sender, state, height);
}

std::optional<pb::Transaction> Mempool::get(const Hash256& txid) const {
    auto it = entries_.find(txid);
    if (it == entries_.end()) return std::nullopt;
    return it->second.tx;
}

std::vector<Hash256> Mempool::best_txids(size_t max_count) const {
    std::vector<Hash256> out;
    out.reserve(std::min(max_count, eviction_order_.size()));
    for (auto it = eviction_order_.rbegin(); it != eviction_order_.rend() && out.size() < max_count;
         ++it)
        out.push_back(it->txid);
    return out;
}

std::vector<pb::Transaction> Mempool::transactions_for_save() const {
    std::vector<const MempoolEntry*> arrival;
    arrival.reserve(entries_.size());
    for (const auto& [id, e] : entries_) arrival.push_back(&e);
    std::sort(arrival.begin(), arrival.end(),
              [](const MempoolEntry* a, const MempoolEntry* b) { return a->sequence < b->sequence; });
    // by_sender_ iterates each sender's entries in nonce order: hand them out slot by slot.
    std::map<consensus::Address, std::map<uint64_t, Hash256>::const_iterator> next_of;
    for (const auto& [sender, queue] : by_sender_) next_of.emplace(sender, queue.begin());
    std::vector<pb::Transaction> out;
    out.reserve(arrival.size());
    for (const MempoolEntry* slot : arrival) {
        auto& it = next_of.at(slot->sender);
        out.push_back(entries_.at(it->second).tx);
        ++it;
    }
    return out;
}

uint64_t Mempool::next_nonce(const consensus::Address& sender, uint64_t account_nonce) const {
    uint64_t next = account_nonce;
    auto s = by_sender_.find(sender);
    if (s == by_sender_.end()) return next;
    for (const auto& [nonce, id] : s->second) {
        if (nonce < next) continue;
        if (nonce != next) break;
        ++next;
    }
    return next;
}

}  // namespace step::node
