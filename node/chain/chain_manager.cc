#include "node/chain/chain_manager.h"

#include <algorithm>
#include <chrono>
#include <cryptopp/sha.h>
#include <cstring>
#include <thread>

#include "common/coding.h"
#include "common/hash.h"
#include "consensus/encoding.h"
#include "consensus/errors.h"
#include "consensus/pow.h"
#include "consensus/state_tree.h"
#include "consensus/transaction.h"
#include "node/errors.h"
#include "node/chain/hash_field.h"
#include "node/chain/state_view.h"
#include "node/log.h"

namespace step::node {

using consensus::U256;

uint64_t system_clock_seconds() {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
}

namespace {

std::string short_hex(const Hash256& h) { return to_hex(ByteSpan(h.data(), 8)); }

// Below this many transactions, starting threads costs more than the signatures they check.
constexpr int kParallelVerifyMinTxs = 64;
// Signature-checking threads for a large block; capped so a block never takes the whole machine.
constexpr unsigned kMaxVerifyThreads = 4;

unsigned verify_threads_for(const pb::Block& block) {
    if (block.transactions_size() < kParallelVerifyMinTxs) return 1;
    return std::clamp(std::thread::hardware_concurrency(), 1u, kMaxVerifyThreads);
}

// Storage failures say nothing about the block being connected.
bool is_storage_failure(const Status& s) { return s.category() == ErrorCategory::kStorage; }

void put_state_changes(WriteBatch& batch, const consensus::KvWrites& changes) {
    for (const auto& [key, value] : changes) {
        if (value)
            batch.put(keys::state(key), *value);
        else
            batch.erase(keys::state(key));
    }
}

}  // namespace

ChainManager::ChainManager(Database& db, const consensus::Params& params, Clock clock)
    : db_(db), params_(params), clock_(std::move(clock)) {}

Result<std::unique_ptr<ChainManager>> ChainManager::open(Database& db, const consensus::Params& params,
                                                         Clock clock) {
    std::unique_ptr<ChainManager> chain(new ChainManager(db, params, std::move(clock)));
    std::lock_guard lock(chain->mutex_);
    if (auto net = db.get(keys::network())) {
        if (std::string(net->begin(), net->end()) != params.network)
            return Status::error(codes::kWrongNetwork, "the data directory belongs to network '" +
                                                      std::string(net->begin(), net->end()) + "'");
    } else {
        STEP_TRY(chain->init_genesis());
    }
    STEP_TRY(chain->load());

    // The stored state must be exactly the state the tip's header commits to.
    DbStateView view(db);
    auto root = consensus::state_tree_root(view);
    if (!root.ok()) return root.status();
    const auto& tip = chain->index_.at(chain->active_.back());
    if (hash_of_field(tip.header.state_root()) != *root)
        return Status::error(consensus::codes::kCorruptState, "stored state root " + to_hex(*root) +
                                                  " differs from the tip's header");

    // A crash in the middle of a reorganisation leaves a valid but lighter tip: finish it.
    SubmitResult ignored;
    STEP_TRY(chain->activate_best_chain(ignored));
    log_info("chain loaded: ", chain->index_.size(), " blocks indexed, tip height ",
             chain->active_.size() - 1, " hash ", to_hex(chain->active_.back()));
    return chain;
}

Status ChainManager::init_genesis() {
    const pb::Block genesis = consensus::genesis_block(params_);
    const consensus::ChainTip gtip = consensus::genesis_tip(params_);
    const Hash256 hash = consensus::header_hash(genesis.header());
    IndexRecord rec;
    rec.status = BlockStatus::kValid;
    rec.height = 0;
    rec.cumulative_work = gtip.cumulative_work.to_be();
    rec.header = consensus::encode_header(genesis.header());

    WriteBatch batch;
    batch.put(keys::block(hash), consensus::encode_block(genesis));
    batch.put(keys::index(hash), encode_index_record(rec));
    put_state_changes(batch, consensus::genesis_state_writes(params_));
    batch.put(keys::undo(hash), encode_undo({}));
    batch.put(keys::height(0), hash);
    batch.put(keys::tip(), hash);
    batch.put(keys::network(), as_bytes(params_.network));
    log_info("initialising a new ", params_.network, " chain at genesis ", to_hex(hash));
    return db_.write(batch, true);
}

Status ChainManager::load() {
    Status failure;
    db_.scan(Bytes{keys::kIndex}, [&](ByteSpan key, ByteSpan value) {
        auto rec = decode_index_record(value);
        auto header = rec.ok() ? consensus::decode_header(rec->header) : Result<pb::BlockHeader>(rec.status());
        if (!rec.ok() || !header.ok() || key.size() != 33) {
            failure = Status::error(codes::kCorruptIndex, "unreadable block index entry");
            return false;
        }
        Entry e;
        e.header = std::move(*header);
        e.prev = hash_of_field(e.header.prev_hash());
        e.height = rec->height;
        e.work = U256::from_be(rec->cumulative_work);
        e.status = rec->status;
        e.invalid_reason = rec->invalid_reason;
        Hash256 hash;
        std::copy(key.begin() + 1, key.end(), hash.begin());
        index_.emplace(hash, std::move(e));
        return true;
    });
    STEP_TRY(failure);
    // Sequence numbers only order ties; after a restart, order by height is the best we know.
    std::vector<std::pair<uint64_t, Hash256>> by_height;
    for (auto& [h, e] : index_) by_height.emplace_back(e.height, h);
    std::sort(by_height.begin(), by_height.end());
    for (auto& [height, h] : by_height) {
        Entry& e = index_[h];
        e.sequence = next_sequence_++;
        if (e.status == BlockStatus::kHeaderOnly) ++header_only_count_;
        if (!has_body(e.status)) continue;
        // Heights ascend, so a parent was linked (or not) before its children.
        auto parent = index_.find(e.prev);
        if (height == 0 || (parent != index_.end() && parent->second.linked)) {
            e.linked = true;
            candidates_.insert({e.work, e.sequence, h});
        } else {
            unlinked_.emplace(e.prev, h);
        }
    }

    auto tip = db_.get(keys::tip());
    if (!tip || tip->size() != 32) return Status::error(codes::kCorruptIndex, "no best-chain tip stored");
    Hash256 cursor;
    std::copy(tip->begin(), tip->end(), cursor.begin());
    auto it = index_.find(cursor);
    if (it == index_.end()) return Status::error(codes::kCorruptIndex, "tip block is not indexed");
    active_.assign(it->second.height + 1, Hash256{});
    for (;;) {
        auto e = index_.find(cursor);
        if (e == index_.end()) return Status::error(codes::kCorruptIndex, "best chain has a gap");
        active_[e->second.height] = cursor;
        if (e->second.height == 0) break;
        cursor = e->second.prev;
    }
    reset_best_header();
    return Status::ok_status();
}

consensus::ChainTip ChainManager::make_tip(const Hash256& hash) const {
    const Entry& e = index_.at(hash);
    consensus::ChainTip tip;
    tip.hash = hash;
    tip.height = e.height;
    tip.timestamp = e.header.timestamp();
    tip.target = U256::from_be(hash_of_field(e.header.target()));
    tip.cumulative_work = e.work;
    tip.state_root = hash_of_field(e.header.state_root());
    Hash256 cursor = hash;
    for (uint64_t i = 0; i < params_.median_time_blocks; ++i) {
        const Entry& c = index_.at(cursor);
        tip.recent_timestamps.push_back(c.header.timestamp());
        if (c.height == 0) break;
        cursor = c.prev;
    }
    std::reverse(tip.recent_timestamps.begin(), tip.recent_timestamps.end());
    return tip;
}

Status ChainManager::persist_entry(const Hash256& hash, const Entry& e, bool sync) {
    WriteBatch batch;
    IndexRecord rec;
    rec.status = e.status;
    rec.height = e.height;
    rec.cumulative_work = e.work.to_be();
    rec.invalid_reason = e.invalid_reason;
    rec.header = consensus::encode_header(e.header);
    batch.put(keys::index(hash), encode_index_record(rec));
    return db_.write(batch, sync);
}

Result<SubmitResult> ChainManager::submit_block(const pb::Block& block, BlockSource source) {
    std::lock_guard lock(mutex_);
    SubmitResult result;
    result.hash = consensus::header_hash(block.header());
    bool header_known = false;
    if (auto it = index_.find(result.hash); it != index_.end()) {
        const Entry& e = it->second;
        if (is_invalid(e.status))
            return known_invalid(e, codes::kInvalidBlock, "block " + to_hex(result.hash) + " is known to be invalid");
        if (has_body(e.status)) {
            result.already_known = true;
            return result;
        }
        header_known = true;  // headers-first: the header came earlier, now its body
    } else {
        auto parent = index_.find(hash_of_field(block.header().prev_hash()));
        if (parent == index_.end())
            return Status::error(codes::kUnknownParent,
                                 "block " + to_hex(result.hash) + " extends an unknown block");
        if (is_invalid(parent->second.status))
            return Status::error(codes::kInvalidParent,
                                 "block " + to_hex(result.hash) + " extends an invalid block");
        // Header rules first: a block without valid proof of work is never stored (cheap DoS guard).
        STEP_TRY(consensus::check_header(block.header(), make_tip(parent->first), clock_(), params_));
    }
    // A body that does not match its header says nothing about the header: refuse the body,
    // never mark the header invalid for it.
    STEP_TRY(consensus::check_block_body(block, params_));
    STEP_TRY(store_body(block, result.hash, header_known));
    log_debug("stored block ", short_hex(result.hash), " at height ", block.header().height(), " from ",
              source == BlockSource::kMiner ? "miner" : source == BlockSource::kRpc ? "rpc" : "peer");

    STEP_TRY(activate_best_chain(result));
    const Entry& stored = index_.at(result.hash);
    if (is_invalid(stored.status))
        return known_invalid(stored, codes::kInvalidBlock, "block " + to_hex(result.hash) + " is invalid");
    return result;
}

Status ChainManager::store_body(const pb::Block& block, const Hash256& hash, bool header_known) {
    if (!header_known) {
        const consensus::ChainTip child =
            consensus::next_tip(make_tip(hash_of_field(block.header().prev_hash())), block.header(), params_);
        Entry e;
        e.header = block.header();
        e.prev = hash_of_field(block.header().prev_hash());
        e.height = child.height;
        e.work = child.cumulative_work;
        e.status = BlockStatus::kHeaderOnly;
        e.sequence = next_sequence_++;
        index_.emplace(hash, std::move(e));
        ++header_only_count_;
    }
    Entry& e = index_.at(hash);
    WriteBatch batch;
    batch.put(keys::block(hash), consensus::encode_block(block));
    IndexRecord rec;
    rec.status = BlockStatus::kHaveData;
    rec.height = e.height;
    rec.cumulative_work = e.work.to_be();
    rec.header = consensus::encode_header(e.header);
    batch.put(keys::index(hash), encode_index_record(rec));
    // Not synced: losing a side block in a power cut costs a re-download, never consistency.
    Status written = db_.write(batch, false);
    if (!written.ok()) {
        if (!header_known) {
            index_.erase(hash);
            --header_only_count_;
        }
        return written;
    }
    e.status = BlockStatus::kHaveData;
    --header_only_count_;
    if (!header_known) note_header(hash);
    auto parent = index_.find(e.prev);
    if (parent != index_.end() && parent->second.linked)
        link_block(hash);
    else
        unlinked_.emplace(e.prev, hash);
    return Status::ok_status();
}

void ChainManager::link_block(const Hash256& hash) {
    std::vector<Hash256> todo{hash};
    while (!todo.empty()) {
        const Hash256 h = todo.back();
        todo.pop_back();
        Entry& e = index_.at(h);
        if (is_invalid(e.status)) continue;
        e.linked = true;
        candidates_.insert({e.work, e.sequence, h});
        auto [first, last] = unlinked_.equal_range(h);
        for (auto it = first; it != last; ++it) todo.push_back(it->second);
        unlinked_.erase(first, last);
    }
}

Status ChainManager::activate_best_chain(SubmitResult& result) {
    for (;;) {
        // The heaviest block whose data we have and that is not known invalid.
        if (candidates_.empty()) return Status::ok_status();
        const Hash256 best = candidates_.begin()->hash;  // a copy: mark_invalid erases the element
        const Entry* best_entry = &index_.at(best);
        const Entry& tip_entry = index_.at(active_.back());
        if (!consensus::prefer_chain(best_entry->work, tip_entry.work)) return Status::ok_status();

        // Path from the candidate back to the active chain.
        std::vector<Hash256> path;
        Hash256 cursor = best;
        bool path_invalid = false;
        for (;;) {
            const Entry& c = index_.at(cursor);
            if (c.height < active_.size() && active_[c.height] == cursor) break;
            if (is_invalid(c.status)) path_invalid = true;
            path.push_back(cursor);
            cursor = c.prev;
        }
        if (path_invalid) {
            mark_invalid(best, Status::error(codes::kInvalidParent, "descends from an invalid block"));
            continue;
        }
        const uint64_t fork_height = index_.at(cursor).height;
        if (fork_height + 1 < active_.size())
            log_info("reorganising: disconnecting ", active_.size() - 1 - fork_height, " blocks to height ",
                     fork_height, ", connecting ", path.size());
        while (active_.size() - 1 > fork_height) STEP_TRY(disconnect_tip(result));
        for (auto it = path.rbegin(); it != path.rend(); ++it) {
            Status s = connect_block(*it, result);
            if (!s.ok()) {
                // Storage failures say nothing about the block: stop rather than mark it invalid.
                if (is_storage_failure(s)) return s;
                log_warn("block ", to_hex(*it), " is invalid: ", s.to_string());
                mark_invalid(*it, s);
                break;  // choose again: the old chain may be the best valid one now
            }
        }
    }
}

Status ChainManager::connect_block(const Hash256& hash, SubmitResult& result) {
    auto block = load_block(hash);
    if (!block) return Status::error(codes::kMissingBlockData, "block " + to_hex(hash) + " has no stored body");
    consensus::ApplyContext ctx;
    ctx.now = clock_();
    ctx.parent = make_tip(active_.back());
    DbStateView view(db_);
    auto applied = consensus::apply_block(view, *block, params_, ctx, verify_threads_for(*block));
    if (!applied.ok()) return applied.status();
    blocks_validated_++;

    Entry& e = index_.at(hash);
    WriteBatch batch;
    put_state_changes(batch, applied->writes);
    batch.put(keys::undo(hash), encode_undo(applied->undo));
    batch.put(keys::height(e.height), hash);
    for (const auto& tx : block->transactions()) batch.put(keys::tx_location(consensus::txid(tx)), hash);
    batch.put(keys::tip(), hash);
    IndexRecord rec;
    rec.status = BlockStatus::kValid;
    rec.height = e.height;
    rec.cumulative_work = e.work.to_be();
    rec.header = consensus::encode_header(e.header);
    batch.put(keys::index(hash), encode_index_record(rec));
    // One synced batch: state, undo, indexes and tip move together or not at all.
    Status s = db_.write(batch, true);
    if (!s.ok()) return s;
    e.status = BlockStatus::kValid;
    active_.push_back(hash);
    result.tip_changed = true;
    result.connected.push_back(std::move(*block));
    log_debug("connected block ", short_hex(hash), " height ", e.height);
    return Status::ok_status();
}

Status ChainManager::disconnect_tip(SubmitResult& result) {
    const Hash256 hash = active_.back();
    const Entry& e = index_.at(hash);
    if (e.height == 0) return Status::error(codes::kCannotDisconnectGenesis, "genesis is never disconnected");
    auto block = load_block(hash);
    auto undo_bytes = db_.get(keys::undo(hash));
    if (!block || !undo_bytes) return Status::error(codes::kCorruptUndo, "no undo data for block " + to_hex(hash));
    auto undo = decode_undo(*undo_bytes);
    if (!undo.ok()) return undo.status();

    WriteBatch batch;
    put_state_changes(batch, *undo);
    batch.erase(keys::height(e.height));
    for (const auto& tx : block->transactions()) batch.erase(keys::tx_location(consensus::txid(tx)));
    batch.put(keys::tip(), e.prev);
    STEP_TRY(db_.write(batch, true));
    active_.pop_back();
    result.tip_changed = true;
    result.disconnected.push_back(std::move(*block));
    log_debug("disconnected block ", short_hex(hash), " height ", e.height);
    return Status::ok_status();
}

Status ChainManager::known_invalid(const Entry& e, const ErrorCode& unrecorded, std::string message) {
    if (e.invalid_reason.empty()) return Status::error(unrecorded, std::move(message));
    return Status::from_received(e.invalid_reason, ErrorCategory::kConsensus, std::move(message));
}

void ChainManager::mark_invalid(const Hash256& hash, const Status& why) {
    Entry& e = index_.at(hash);
    if (e.status == BlockStatus::kHeaderOnly) --header_only_count_;
    e.status = BlockStatus::kInvalid;
    e.invalid_reason = why.code();
    candidates_.erase({e.work, e.sequence, hash});
    (void)persist_entry(hash, e, false);
    // Descendants inherit the verdict (index scan: rare event, small index).
    bool changed = true;
    while (changed) {
        changed = false;
        for (auto& [h, c] : index_) {
            if (is_invalid(c.status)) continue;
            auto parent = index_.find(c.prev);
            if (c.height == 0 || parent == index_.end()) continue;
            if (is_invalid(parent->second.status)) {
                if (c.status == BlockStatus::kHeaderOnly) --header_only_count_;
                c.status = BlockStatus::kInvalidParent;
                c.invalid_reason = codes::kInvalidParent.name;
                candidates_.erase({c.work, c.sequence, h});
                (void)persist_entry(h, c, false);
                changed = true;
            }
        }
    }
    reset_best_header();
}

std::optional<pb::Block> ChainManager::load_block(const Hash256& hash) const {
    auto bytes = db_.get(keys::block(hash));
    if (!bytes) return std::nullopt;
    auto block = consensus::decode_block(*bytes);
    if (!block.ok()) return std::nullopt;
    return std::move(*block);
}

consensus::ChainTip ChainManager::tip() const {
    std::lock_guard lock(mutex_);
    return make_tip(active_.back());
}

void ChainManager::with_tip_state(
    const std::function<void(const consensus::KvRead&, const consensus::ChainTip&)>& fn) const {
    std::lock_guard lock(mutex_);
    DbStateView view(db_);
    fn(view, make_tip(active_.back()));
}

std::optional<Hash256> ChainManager::hash_at_height(uint64_t height) const {
    std::lock_guard lock(mutex_);
    if (height >= active_.size()) return std::nullopt;
    return active_[height];
}

std::optional<pb::Block> ChainManager::block(const Hash256& hash) const {
    std::lock_guard lock(mutex_);
    return load_block(hash);
}

std::optional<BlockInfo> ChainManager::block_info(const Hash256& hash) const {
    std::lock_guard lock(mutex_);
    auto it = index_.find(hash);
    if (it == index_.end()) return std::nullopt;
    BlockInfo info;
    info.hash = hash;
    info.height = it->second.height;
    info.status = it->second.status;
    info.invalid_reason = it->second.invalid_reason;
    info.in_best_chain = info.height < active_.size() && active_[info.height] == hash;
    return info;
}

std::optional<Hash256> ChainManager::tx_block(const Hash256& txid) const {
    std::lock_guard lock(mutex_);
    auto v = db_.get(keys::tx_location(txid));
    if (!v || v->size() != 32) return std::nullopt;
    Hash256 h;
    std::copy(v->begin(), v->end(), h.begin());
    return h;
}

ChainManager::StateDigest ChainManager::state_digest() const {
    std::lock_guard lock(mutex_);
    // Hashed as it is scanned: SHA-256 of every entry's length-prefixed key and value, without
    // holding a copy of the whole state in memory.
    CryptoPP::SHA256 hasher;
    StateDigest out;
    Bytes entry;
    db_.scan(Bytes{keys::kState}, [&](ByteSpan key, ByteSpan value) {
        entry.clear();
        append_bytes_u32(entry, key.subspan(1));
        append_bytes_u32(entry, value);
        hasher.Update(entry.data(), entry.size());
        ++out.entries;
        return true;
    });
    hasher.Final(out.digest.data());
    out.tip = active_.back();
    out.height = active_.size() - 1;
    return out;
}

}  // namespace step::node
