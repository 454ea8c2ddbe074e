#include "consensus/block.h"

#include <algorithm>
#include <cstring>
#include <thread>

#include "common/hash.h"
#include "common/hash_tags.h"
#include "common/merkle.h"
#include "consensus/encoding.h"
#include "consensus/errors.h"
#include "consensus/market.h"
#include "consensus/pow.h"
#include "consensus/state_cache.h"
#include "consensus/state_tree.h"
#include "consensus/transaction.h"
#include "consensus/tx_engine.h"

namespace step::consensus {
namespace {

Status fail(const ErrorCode& code, const std::string& msg) { return Status::error(code, msg); }

Status at_tx(size_t i, const Status& s) {
    return s.with_message("tx " + std::to_string(i) + ": " + s.message());
}

template <size_t N>
bool equals(const std::string& field, const std::array<uint8_t, N>& want) {
    // Compare as bytes: std::string's char may be signed.
    return field.size() == N && std::memcmp(field.data(), want.data(), N) == 0;
}

Address miner_of(const pb::BlockHeader& h) {
    Address a{};
    std::copy(h.miner().begin(), h.miner().end(), a.begin());  // size checked by check_header
    return a;
}

// Block-end bookkeeping: matured locked entries return to balances, the subsidy is split
// between the miner and the useful-work pool, and fees go to the miner.
Status finish_block(detail::StateCache& cache, uint64_t height, const Address& miner,
                    uint64_t fees, const Params& p, uint64_t* subsidy_out) {
    auto released = cache.release_list(height);
    if (!released.ok()) return released.status();
    for (const Address& addr : **released) {
        auto acct_r = cache.account(addr);
        if (!acct_r.ok()) return acct_r.status();
        AccountState& a = **acct_r;
        uint64_t balance = a.balance;
        for (const auto& e : a.locked)
            if (e.release_height <= height && __builtin_add_overflow(balance, e.amount, &balance))
                return fail(codes::kAmountOverflow, "released balance overflows u64");
        a.balance = balance;
        std::erase_if(a.locked, [height](const LockedEntry& e) { return e.release_height <= height; });
    }
    (*released)->clear();

    const uint64_t subsidy = block_subsidy(height, p);
    const uint64_t miner_part = miner_subsidy_share(subsidy, p);
    auto totals_r = cache.totals();
    if (!totals_r.ok()) return totals_r.status();
    ChainTotals& t = **totals_r;
    ChainTotals nt = t;
    if (__builtin_add_overflow(nt.pool, subsidy - miner_part, &nt.pool) ||
        __builtin_add_overflow(nt.minted, subsidy, &nt.minted))
        return fail(codes::kAmountOverflow, "totals overflow u64");
    uint64_t reward;
    if (__builtin_add_overflow(miner_part, fees, &reward))
        return fail(codes::kAmountOverflow, "miner reward overflows u64");
    if (reward > 0) {
        auto acct_r = cache.account(miner);
        if (!acct_r.ok()) return acct_r.status();
        AccountState& m = **acct_r;
        if (p.coinbase_maturity == 0) {
            if (__builtin_add_overflow(m.balance, reward, &m.balance))
                return fail(codes::kAmountOverflow, "miner balance overflows u64");
        } else {
            uint64_t release;
            if (__builtin_add_overflow(height, p.coinbase_maturity, &release))
                return fail(codes::kAmountOverflow, "maturity height overflows u64");
            LockedEntry e{LockKind::kCoinbase, reward, release};
            auto at = std::upper_bound(m.locked.begin(), m.locked.end(), e, [](auto& a, auto& b) {
                return std::pair(a.release_height, a.kind) < std::pair(b.release_height, b.kind);
            });
            m.locked.insert(at, e);
            auto list_r = cache.release_list(release);
            if (!list_r.ok()) return list_r.status();
            auto& list = **list_r;
            auto pos = std::lower_bound(list.begin(), list.end(), miner);
            if (pos == list.end() || *pos != miner) list.insert(pos, miner);
        }
    }
    t = nt;
    *subsidy_out = subsidy;
    return Status();
}

struct Finished {
    KvWrites writes;
    KvWrites undo;
    Hash256 root{};
    uint64_t subsidy = 0;
};

// Runs the block-end rules and the state tree update over everything the cache changed.
Result<Finished> finish(const KvRead& parent_state, detail::StateCache& cache, uint64_t height,
                        const Address& miner, uint64_t fees, const Hash256& prev_hash,
                        const Params& p) {
    Finished f;
    STEP_TRY(finish_block(cache, height, miner, fees, p, &f.subsidy));
    // Market deadlines after the subsidy: a unit final in this block may draw this block's pool.
    STEP_TRY(detail::market_end_block(cache, height, prev_hash, p));
    f.writes = cache.writes();
    auto tree = update_state_tree(parent_state, f.writes);
    if (!tree.ok()) return tree.status();
    f.root = tree->root;
    for (auto& [k, v] : tree->node_writes) f.writes[k] = std::move(v);
    for (const auto& [k, v] : f.writes) f.undo.emplace(k, parent_state.get(k));
    return f;
}

}  // namespace

Hash256 header_hash(const pb::BlockHeader& header) {
    return tagged_hash(tags::kBlockHash, encode_header(header));
}

Hash256 pow_hash(const pb::BlockHeader& header) {
    return tagged_hash(tags::kPow, encode_header(header));
}

bool check_pow(const pb::BlockHeader& header, const Params& p) {
    auto target = U256::from_be(as_bytes(header.target()));
    if (!target || target->is_zero() || *target > p.pow_limit) return false;
    return hash_meets_target(pow_hash(header), *target);
}

Hash256 compute_tx_root(const pb::Block& block) {
    std::vector<Hash256> ids;
    ids.reserve(static_cast<size_t>(block.transactions_size()));
    for (const auto& tx : block.transactions()) ids.push_back(txid(tx));
    return merkle_root(ids);
}

Status check_header(const pb::BlockHeader& h, const ChainTip& parent, uint64_t now,
                    const Params& p) {
    if (h.version() != p.block_version)
        return fail(codes::kBadVersion, "version " + std::to_string(h.version()));
    if (h.height() != parent.height + 1)
        return fail(codes::kBadHeight, "height " + std::to_string(h.height()) + " after " +
                                           std::to_string(parent.height));
    if (h.prev_hash().size() != 32 || h.tx_root().size() != 32 || h.state_root().size() != 32 ||
        h.miner().size() != 20 || h.target().size() != 32)
        return fail(codes::kBadHeaderField, "a hash, target or miner field has the wrong length");
    if (!equals(h.prev_hash(), parent.hash))
        return fail(codes::kBadPrevHash, "prev_hash is not the parent's hash");
    const uint64_t mtp = median_time_past(parent.recent_timestamps);
    if (h.timestamp() <= mtp)
        return fail(codes::kTimeTooOld, "timestamp " + std::to_string(h.timestamp()) +
                                            " <= median time past " + std::to_string(mtp));
    uint64_t latest;
    if (__builtin_add_overflow(now, p.max_future_drift_s, &latest)) latest = UINT64_MAX;
    if (h.timestamp() > latest)
        return fail(codes::kTimeTooNew, "timestamp " + std::to_string(h.timestamp()) +
                                            " > now + MAX_FUTURE_DRIFT " + std::to_string(latest));
    const U256 want = next_target(parent.height, parent.timestamp, p);
    if (U256::from_be(as_bytes(h.target())) != want)
        return fail(codes::kBadTarget, "target is not the ASERT target " + want.to_hex());
    if (!check_pow(h, p)) return fail(codes::kBadPow, "pow hash above target");
    return Status();
}

Status check_block_body(const pb::Block& block, const Params& p) {
    const size_t size = block.ByteSizeLong();
    if (size > p.max_block_bytes)
        return fail(codes::kBlockTooLarge, std::to_string(size) + " bytes > MAX_BLOCK_BYTES");
    if (static_cast<uint64_t>(block.transactions_size()) > p.max_block_txs)
        return fail(codes::kTooManyTxs, std::to_string(block.transactions_size()) +
                                            " transactions > MAX_BLOCK_TXS");
    if (!equals(block.header().tx_root(), compute_tx_root(block)))
        return fail(codes::kBadTxRoot, "tx_root does not match the transactions");
    return Status();
}

Result<BlockApplied> apply_block(const KvRead& parent_state, const pb::Block& block,
                                 const Params& p, const ApplyContext& ctx,
                                 unsigned verify_threads) {
    const pb::BlockHeader& h = block.header();
    STEP_TRY(check_header(h, ctx.parent, ctx.now, p));
    STEP_TRY(check_block_body(block, p));

    std::vector<detail::TxDigest> digests;
    digests.reserve(static_cast<size_t>(block.transactions_size()));
    for (const auto& tx : block.transactions()) digests.push_back(detail::digest_tx(tx));

    // Signatures are independent of state and of each other: verify them up front in parallel
    // when asked. The sequential pass below still reports the first failing rule in order.
    std::vector<uint8_t> sig_valid;
    const bool parallel = verify_threads > 1 && digests.size() > 1;
    if (parallel) {
        sig_valid.assign(digests.size(), 0);
        auto work = [&](size_t first) {
            for (size_t i = first; i < digests.size(); i += verify_threads) {
                const auto& tx = block.transactions(static_cast<int>(i));
                sig_valid[i] = tx.sender_pubkey().size() == 32 && tx.signature().size() == 64 &&
                               detail::check_tx_signature(tx, digests[i].sighash).ok();
            }
        };
        std::vector<std::thread> pool;
        for (unsigned t = 1; t < verify_threads; ++t) pool.emplace_back(work, t);
        work(0);
        for (auto& th : pool) th.join();
    }

    detail::StateCache cache(parent_state);
    uint64_t fees = 0;
    for (size_t i = 0; i < digests.size(); ++i) {
        const auto& tx = block.transactions(static_cast<int>(i));
        Status s = detail::check_tx_fields(tx, p, digests[i].bytes.size());
        if (s.ok())
            s = !parallel ? detail::check_tx_signature(tx, digests[i].sighash)
                : sig_valid[i] ? Status()
                               : Status::error(codes::kBadSignature, "signature invalid");
        if (s.ok()) s = detail::apply_tx(cache, tx, p, h.height(), &fees);
        if (!s.ok()) return at_tx(i, s);
    }
    auto f = finish(parent_state, cache, h.height(), miner_of(h), fees, ctx.parent.hash, p);
    if (!f.ok()) return f.status();
    if (!equals(h.state_root(), f->root))
        return fail(codes::kBadStateRoot, "state_root is not the computed " + to_hex(f->root));

    BlockApplied out;
    out.writes = std::move(f->writes);
    out.undo = std::move(f->undo);
    out.state_root = f->root;
    out.tip = next_tip(ctx.parent, h, p);
    out.fees = fees;
    out.subsidy = f->subsidy;
    return out;
}

Result<AssembledBlock> assemble_block(const KvRead& parent_state, const ChainTip& parent,
                                      const std::vector<pb::Transaction>& candidates,
                                      const Address& miner, uint64_t timestamp, const Params& p) {
    AssembledBlock out;
    pb::BlockHeader& h = *out.block.mutable_header();
    h.set_version(p.block_version);
    h.set_height(parent.height + 1);
    h.set_prev_hash(parent.hash.data(), parent.hash.size());
    h.set_timestamp(timestamp);
    h.set_target(next_target(parent.height, parent.timestamp, p).to_be().data(), 32);
    h.set_miner(miner.data(), miner.size());
    const Hash256 ones = U256::max().to_be();  // placeholders as long as the real roots
    h.set_tx_root(ones.data(), 32);
    h.set_state_root(ones.data(), 32);
    h.set_nonce(UINT64_MAX);  // the longest nonce encoding, so any mined nonce still fits
    // Block = field 1 (header) + field 2 per tx, each a 1-byte tag, a varint length, the bytes.
    auto framed = [](size_t n) {
        size_t len = 1;
        for (size_t v = n; v >= 0x80; v >>= 7) ++len;
        return 1 + len + n;
    };
    size_t size = framed(h.ByteSizeLong());
    h.set_nonce(0);

    detail::StateCache cache(parent_state);
    uint64_t fees = 0;
    std::vector<Hash256> ids;
    for (const auto& tx : candidates) {
        const detail::TxDigest d = detail::digest_tx(tx);
        Status s;
        if (ids.size() >= p.max_block_txs)
            s = fail(codes::kTooManyTxs, "block is full (MAX_BLOCK_TXS)");
        else if (size + framed(d.bytes.size()) > p.max_block_bytes)
            s = fail(codes::kBlockTooLarge, "does not fit MAX_BLOCK_BYTES");
        if (s.ok()) s = detail::check_tx_fields(tx, p, d.bytes.size());
        if (s.ok()) s = detail::check_tx_signature(tx, d.sighash);
        if (s.ok()) s = detail::apply_tx(cache, tx, p, h.height(), &fees);
        if (!s.ok()) {
            out.skipped.emplace_back(d.id, s);
            continue;
        }
        size += framed(d.bytes.size());
        ids.push_back(d.id);
        *out.block.add_transactions() = tx;
    }
    auto f = finish(parent_state, cache, h.height(), miner, fees, parent.hash, p);
    if (!f.ok()) return f.status();
    const Hash256 tx_root = merkle_root(ids);
    h.set_tx_root(tx_root.data(), tx_root.size());
    h.set_state_root(f->root.data(), f->root.size());
    out.included = std::move(ids);
    return out;
}

pb::Block genesis_block(const Params& p) {
    pb::Block b;
    pb::BlockHeader& h = *b.mutable_header();
    const Hash256 zero{};
    const Address no_miner{};
    h.set_version(p.block_version);
    h.set_height(0);
    h.set_prev_hash(zero.data(), zero.size());
    h.set_timestamp(p.genesis_timestamp);
    h.set_target(p.genesis_target.to_be().data(), 32);
    h.set_nonce(0);
    h.set_miner(no_miner.data(), no_miner.size());
    const Hash256 tx_root = merkle_root({});
    h.set_tx_root(tx_root.data(), tx_root.size());
    // No premine: the genesis state is empty on every network (state root = empty tree). Coins
    // exist only through SUBSIDY, so nobody holds an unearned stake in bonds or the pool.
    h.set_state_root(zero.data(), zero.size());
    return b;
}

KvWrites genesis_state_writes(const Params&) { return {}; }

ChainTip genesis_tip(const Params& p) {
    const pb::Block g = genesis_block(p);
    ChainTip t;
    t.hash = header_hash(g.header());
    t.height = 0;
    t.timestamp = p.genesis_timestamp;
    t.target = p.genesis_target;
    t.cumulative_work = block_work(p.genesis_target);
    t.recent_timestamps = {p.genesis_timestamp};
    t.state_root = Hash256{};
    return t;
}

ChainTip next_tip(const ChainTip& parent, const pb::BlockHeader& header, const Params& p) {
    ChainTip t;
    t.hash = header_hash(header);
    t.height = header.height();
    t.timestamp = header.timestamp();
    t.target = U256::from_be(as_bytes(header.target())).value_or(U256());
    t.cumulative_work = parent.cumulative_work + block_work(t.target);
    t.recent_timestamps = parent.recent_timestamps;
    t.recent_timestamps.push_back(header.timestamp());
    const size_t keep = static_cast<size_t>(std::max<uint64_t>(1, p.median_time_blocks));
    if (t.recent_timestamps.size() > keep)
        t.recent_timestamps.erase(t.recent_timestamps.begin(),
                                  t.recent_timestamps.end() - static_cast<std::ptrdiff_t>(keep));
    std::copy(header.state_root().begin(),
              header.state_root().begin() + std::min<size_t>(32, header.state_root().size()),
              t.state_root.begin());
    return t;
}

}  // namespace step::consensus
