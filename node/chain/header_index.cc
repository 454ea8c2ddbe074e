// Headers-first sync in the block index: accepting headers without bodies, the best header
// chain, locators, and which bodies to fetch. The anti-DoS rules are explained in
// chain_manager.h (accept_headers) and docs/p2p.md ("Header spam").
#include <algorithm>

#include "consensus/encoding.h"
#include "consensus/errors.h"
#include "consensus/pow.h"
#include "node/chain/chain_manager.h"
#include "node/chain/hash_field.h"
#include "node/errors.h"
#include "node/log.h"
#include "node/p2p/limits.h"

namespace step::node {

using consensus::U256;

namespace {

// Locator: this many most recent hashes one by one, then the step doubles.
constexpr size_t kLocatorDenseHashes = 10;

}  // namespace

Result<HeadersResult> ChainManager::accept_headers(const std::vector<pb::BlockHeader>& headers) {
    std::lock_guard lock(mutex_);
    HeadersResult out;
    if (headers.empty()) return out;
    // Skip what we already hold (a peer may resend a known prefix: that costs it nothing).
    size_t first_new = 0;
    Hash256 hash{};
    for (; first_new < headers.size(); ++first_new) {
        hash = consensus::header_hash(headers[first_new]);
        auto it = index_.find(hash);
        if (it == index_.end()) break;
        if (is_invalid(it->second.status))
            return known_invalid(it->second, codes::kInvalidParent,
                                 "header " + to_hex(hash) + " is known to be invalid");
        out.last = hash;
        out.last_height = it->second.height;
    }
    if (first_new == headers.size()) return out;

    const Hash256 parent_hash = hash_of_field(headers[first_new].prev_hash());
    auto parent = index_.find(parent_hash);
    if (parent == index_.end())
        return Status::error(codes::kUnknownParent,
                             "header " + to_hex(hash) + " extends an unknown block");
    if (is_invalid(parent->second.status))
        return Status::error(codes::kInvalidParent,
                             "header " + to_hex(hash) + " extends an invalid block");
    if (first_new > 0 && parent_hash != out.last)
        return Status::error(consensus::codes::kBadPrevHash, "the headers are not one chain");

    // Every new header against its parent, before anything is stored.
    std::vector<consensus::ChainTip> fresh;
    fresh.reserve(headers.size() - first_new);
    consensus::ChainTip tip = make_tip(parent_hash);
    const uint64_t now = clock_();
    for (size_t i = first_new; i < headers.size(); ++i) {
        STEP_TRY(consensus::check_header(headers[i], tip, now, params_));
        tip = consensus::next_tip(tip, headers[i], params_);
        fresh.push_back(tip);
    }
    if (tip.cumulative_work < header_work_threshold())
        return Status::error(codes::kHeadersLowWork,
                             "headers ending at height " + std::to_string(tip.height) +
                                 " are too far behind our best header chain");
    const bool raises =
        consensus::prefer_chain(tip.cumulative_work, index_.at(header_chain_.back()).work);
    if (!raises) STEP_TRY(check_side_room(fresh.size()));

    WriteBatch batch;
    for (size_t i = 0; i < fresh.size(); ++i) {
        IndexRecord rec;
        rec.status = BlockStatus::kHeaderOnly;
        rec.height = fresh[i].height;
        rec.cumulative_work = fresh[i].cumulative_work.to_be();
        rec.header = consensus::encode_header(headers[first_new + i]);
        batch.put(keys::index(fresh[i].hash), encode_index_record(rec));
    }
    // Not synced: headers lost in a power cut are fetched again.
    STEP_TRY(db_.write(batch, false));
    for (size_t i = 0; i < fresh.size(); ++i) {
        Entry e;
        e.header = headers[first_new + i];
        e.prev = i == 0 ? parent_hash : fresh[i - 1].hash;
        e.height = fresh[i].height;
        e.work = fresh[i].cumulative_work;
        e.status = BlockStatus::kHeaderOnly;
        e.sequence = next_sequence_++;
        index_.emplace(fresh[i].hash, std::move(e));
    }
    header_only_count_ += fresh.size();
    note_header(tip.hash);
    out.added = fresh.size();
    (raises ? out.added_best : out.added_side) = fresh.size();
    out.last = tip.hash;
    out.last_height = tip.height;
    return out;
}

void ChainManager::note_header(const Hash256& hash) {
    const Entry& e = index_.at(hash);
    if (consensus::prefer_chain(e.work, index_.at(header_chain_.back()).work))
        set_header_chain(hash);
}

void ChainManager::reset_best_header() {
    const Hash256* best = nullptr;
    const Entry* best_entry = nullptr;
    for (const auto& [h, e] : index_) {
        if (is_invalid(e.status)) continue;
        if (!best_entry || e.work > best_entry->work ||
            (e.work == best_entry->work && e.sequence < best_entry->sequence)) {
            best = &h;
            best_entry = &e;
        }
    }
    header_chain_.clear();
    set_header_chain(*best);  // genesis at least: it is never invalid
}

void ChainManager::set_header_chain(const Hash256& best) {
    std::vector<Hash256> path;
    Hash256 cursor = best;
    for (;;) {
        const Entry& e = index_.at(cursor);
        if (e.height < header_chain_.size() && header_chain_[e.height] == cursor) break;
        path.push_back(cursor);
        if (e.height == 0) break;
        cursor = e.prev;
    }
    const uint64_t fork = index_.at(path.back()).height;  // the lowest new height
    header_chain_.resize(fork);
    header_chain_.insert(header_chain_.end(), path.rbegin(), path.rend());
}

uint64_t ChainManager::header_fork_height() const {
    // Both are chains from genesis: once they differ at a height they differ above it.
    uint64_t lo = 0, hi = std::min(header_chain_.size(), active_.size()) - 1;
    while (lo < hi) {
        const uint64_t mid = (lo + hi + 1) / 2;
        if (header_chain_[mid] == active_[mid])
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

U256 ChainManager::header_work_threshold() const {
    const Entry& best = index_.at(header_chain_.back());
    const U256 target = U256::from_be(hash_of_field(best.header.target()));
    auto reach = consensus::block_work(target).mul_checked(p2p::kHeaderReachBlocks);
    if (!reach || !(*reach < best.work)) return U256();
    return best.work - *reach;
}

uint64_t ChainManager::count_side_headers() const {
    uint64_t on_best = 0;
    for (uint64_t h = header_fork_height() + 1; h < header_chain_.size(); ++h)
        if (index_.at(header_chain_[h]).status == BlockStatus::kHeaderOnly) ++on_best;
    return header_only_count_ - on_best;
}

Status ChainManager::check_side_room(size_t adding) {
    if (header_only_count_ + adding <= p2p::kMaxSideHeaders) return Status::ok_status();
    if (count_side_headers() + adding <= p2p::kMaxSideHeaders) return Status::ok_status();
    const size_t pruned = prune_side_headers();
    if (pruned > 0) log_info("pruned ", pruned, " side-branch headers that fell out of reach");
    if (count_side_headers() + adding <= p2p::kMaxSideHeaders) return Status::ok_status();
    return Status::error(
        codes::kSideHeadersFull,
        "the index holds " + std::to_string(p2p::kMaxSideHeaders) + " side-branch headers");
}

size_t ChainManager::prune_side_headers() {
    // Prunable: header-only, below the reach threshold, and nothing kept descends from it
    // (work grows along a chain, so a descendant within reach keeps its ancestors).
    const U256 threshold = header_work_threshold();
    auto prunable = [&](const Entry& e) {
        return e.status == BlockStatus::kHeaderOnly && e.work < threshold;
    };
    std::unordered_map<Hash256, bool, Hash256Hasher> needed;
    for (const auto& [h, e] : index_) {
        if (prunable(e)) continue;
        for (Hash256 cursor = e.prev; e.height > 0;) {
            auto it = index_.find(cursor);
            if (it == index_.end() || !prunable(it->second) || needed.count(cursor)) break;
            needed[cursor] = true;
            if (it->second.height == 0) break;
            cursor = it->second.prev;
        }
    }
    WriteBatch batch;
    std::vector<Hash256> doomed;
    for (const auto& [h, e] : index_)
        if (prunable(e) && !needed.count(h)) doomed.push_back(h);
    for (const Hash256& h : doomed) batch.erase(keys::index(h));
    if (doomed.empty() || !db_.write(batch, false).ok()) return 0;
    for (const Hash256& h : doomed) index_.erase(h);
    header_only_count_ -= doomed.size();
    return doomed.size();
}

HeaderTip ChainManager::best_header() const {
    std::lock_guard lock(mutex_);
    const Entry& e = index_.at(header_chain_.back());
    return {header_chain_.back(), e.height, e.work};
}

Hash256 ChainManager::ancestor(Hash256 hash, uint64_t height) const {
    for (;;) {
        const Entry& e = index_.at(hash);
        if (e.height == height) return hash;
        // On either chain vector the rest is a lookup; off them, walk back to one.
        if (e.height < header_chain_.size() && header_chain_[e.height] == hash)
            return header_chain_[height];
        if (e.height < active_.size() && active_[e.height] == hash) return active_[height];
        hash = e.prev;
    }
}

std::vector<Hash256> ChainManager::locator(const std::optional<Hash256>& from) const {
    std::lock_guard lock(mutex_);
    Hash256 cursor = header_chain_.back();
    if (from && index_.count(*from)) cursor = *from;
    std::vector<Hash256> out;
    uint64_t step = 1;
    for (uint64_t h = index_.at(cursor).height;;) {
        cursor = ancestor(cursor, h);
        out.push_back(cursor);
        if (h == 0) break;
        if (out.size() >= kLocatorDenseHashes) step *= 2;
        h = h > step ? h - step : 0;
    }
    return out;
}

std::optional<pb::BlockHeader> ChainManager::header(const Hash256& hash) const {
    std::lock_guard lock(mutex_);
    auto it = index_.find(hash);
    if (it == index_.end()) return std::nullopt;
    return it->second.header;
}

bool ChainManager::in_chain_of(const Hash256& hash, uint64_t height, const Hash256& tip) const {
    std::lock_guard lock(mutex_);
    auto it = index_.find(tip);
    if (it == index_.end() || height > it->second.height) return false;
    return ancestor(tip, height) == hash;
}

std::vector<pb::BlockHeader> ChainManager::headers_after(const std::vector<Hash256>& locator,
                                                         const Hash256& stop, size_t max) const {
    std::lock_guard lock(mutex_);
    uint64_t start = 1;  // nothing in common: from genesis's child
    for (const Hash256& h : locator) {
        auto it = index_.find(h);
        if (it == index_.end()) continue;
        const uint64_t height = it->second.height;
        if (height < active_.size() && active_[height] == h) {
            start = height + 1;
            break;
        }
    }
    std::vector<pb::BlockHeader> out;
    for (uint64_t h = start; h < active_.size() && out.size() < max; ++h) {
        out.push_back(index_.at(active_[h]).header);
        if (active_[h] == stop) break;
    }
    return out;
}

std::vector<BlockToFetch> ChainManager::blocks_to_fetch(uint64_t window, size_t max) const {
    std::lock_guard lock(mutex_);
    std::vector<BlockToFetch> out;
    const uint64_t fork = header_fork_height();
    const uint64_t end = std::min<uint64_t>(header_chain_.size() - 1, fork + window);
    for (uint64_t h = fork + 1; h <= end && out.size() < max; ++h)
        if (index_.at(header_chain_[h]).status == BlockStatus::kHeaderOnly)
            out.push_back({header_chain_[h], h});
    return out;
}

uint64_t ChainManager::side_header_count() const {
    std::lock_guard lock(mutex_);
    return count_side_headers();
}

uint64_t ChainManager::index_size() const {
    std::lock_guard lock(mutex_);
    return index_.size();
}

}  // namespace step::node
