#include "node/p2p/blob_fetch.h"

#include <algorithm>

#include "common/merkle.h"
#include "common/rpc_errors.h"
#include "common/rpc_methods.h"
#include "node/log.h"
#include "node/p2p/errors.h"
#include "node/p2p/limits.h"
#include "verifier/proofs.h"

namespace step::node::p2p {

using State = BlobFetchProgress::State;

std::string_view state_name(State s) {
    switch (s) {
        case State::kAsking:
            return rpc::kBlobAsking;
        case State::kFetching:
            return rpc::kBlobFetching;
        case State::kComplete:
            return rpc::kBlobComplete;
        case State::kNotFound:
            return "not-found";
        case State::kFailed:
            return "failed";
    }
    return "failed";
}

void BlobFetch::set_store(BlobStore* store) {
    locator_ = store ? std::make_unique<BlobLocator>(*store) : nullptr;
}

// --- Requests (any thread) -----------------------------------------------------------------

Result<BlobFetchProgress> BlobFetch::fetch_blob(const wire::BlobName& name) {
    const std::string key = blob_name_key(name);
    std::lock_guard lock(mutex_);
    if (auto it = published_.find(key); it != published_.end()) {
        BlobFetchProgress p = it->second;
        if (p.ended()) published_.erase(it);  // reported once; the next call starts afresh
        return p;
    }
    // Only fetches under way take a slot: a result nobody reads (a caller that found the blob
    // in the store meanwhile) must not keep new fetches out for kBlobResultKeepS.
    const auto under_way = std::count_if(published_.begin(), published_.end(),
                                         [](const auto& kv) { return !kv.second.ended(); });
    if (static_cast<uint32_t>(under_way) >= kMaxActiveBlobFetches)
        return Status::error(codes::kBlobFetchesFull,
                             std::to_string(kMaxActiveBlobFetches) + " blob fetches under way");
    if (published_.size() >= kMaxBlobResults) forget_oldest_result_locked();
    requests_.push_back(name);
    return published_[key] = BlobFetchProgress();
}

void BlobFetch::forget_oldest_result_locked() {
    auto oldest = published_.end();
    for (auto it = published_.begin(); it != published_.end(); ++it)
        if (it->second.ended() &&
            (oldest == published_.end() || it->second.ended_ms < oldest->second.ended_ms))
            oldest = it;
    if (oldest != published_.end()) published_.erase(oldest);
}

// --- Worker --------------------------------------------------------------------------------

void BlobFetch::start(const wire::BlobName& name) {
    const std::string key = blob_name_key(name);
    if (fetches_.count(key)) return;
    Fetch& f = fetches_[key];
    f.name = name;
    if (!locator_)
        return end(f, State::kFailed,
                   Status::error(rpc::codes::kBlobNotFound, "this node stores no blobs"));
    auto target = resolve_blob_name(ctx_.node.chain(), name);
    if (!target.ok()) return end(f, State::kFailed, target.status());
    f.target = *target;
    if (auto held = locator_->find(f.target)) {
        f.root = held->root;  // a partial blob resumes; a whole one ends at check_end
        f.size = held->size;
    }
    log_debug("fetching ", describe(name), " from peers");
}

void BlobFetch::ask_peers(Fetch& f) {
    wire::GetBlobInfo ask;
    *ask.add_names() = f.name;
    for (auto& [id, peer] : ctx_.peers) {
        if (peer.gone || !peer.handshake_done) continue;
        if (f.asking.count(id) || f.lacking.count(id) || f.holders.count(id)) continue;
        f.asking[id] = ctx_.now_ms();
        ctx_.send(peer, ask);
    }
}

void BlobFetch::expire(Fetch& f, int64_t now) {
    for (auto it = f.asking.begin(); it != f.asking.end();) {
        if (now - it->second < static_cast<int64_t>(kBlobInfoTimeoutS * 1000)) {
            ++it;
            continue;
        }
        f.lacking.insert(it->first);  // silent: as good as "not held"
        it = f.asking.erase(it);
    }
    for (auto it = f.holders.begin(); it != f.holders.end();) {
        if (now - it->second.progress_ms < static_cast<int64_t>(kBlobHolderStallS * 1000)) {
            ++it;
            continue;
        }
        log_debug("blob fetch of ", describe(f.name), ": peer ", it->first, " delivered no chunk in ",
                  kBlobHolderStallS, " s; taken as not holding it");
        f.lacking.insert(it->first);
        it = f.holders.erase(it);
    }
    for (auto& [id, h] : f.holders)
        for (auto it = h.in_flight.begin(); it != h.in_flight.end();) {
            if (now - it->second < static_cast<int64_t>(kBlobChunkTimeoutS * 1000)) {
                ++it;
                continue;
            }
            it = h.in_flight.erase(it);  // asked again, of whoever is free
            h.busy_until_ms = now + static_cast<int64_t>(kBlobBusyBackoffMs);
        }
}

// Spreads the missing chunks over the free holders one at a time, so every holder serves.
void BlobFetch::request_chunks(Fetch& f, int64_t now) {
    if (!f.root || f.holders.empty()) return;
    std::set<uint64_t> asked;
    size_t want = 0;
    for (auto& [id, h] : f.holders) {
        for (const auto& [index, at] : h.in_flight) asked.insert(index);
        want += kMaxBlobChunksInFlightPerPeer;
    }
    std::deque<uint64_t> todo;
    const uint64_t chunks = blob_chunk_count(f.size);
    const auto held = locator_->store().info(*f.root);
    if (held) {
        for (uint64_t i : locator_->store().missing(*f.root, want))
            if (!asked.count(i)) todo.push_back(i);
    } else {
        for (uint64_t i = 0; i < chunks && todo.size() < want; ++i)
            if (!asked.count(i)) todo.push_back(i);
    }
    for (bool sent = true; sent && !todo.empty();) {
        sent = false;
        for (auto& [id, h] : f.holders) {
            Peer* peer = ctx_.find(id);
            if (todo.empty() || !peer || h.busy_until_ms > now ||
                h.in_flight.size() >= kMaxBlobChunksInFlightPerPeer)
                continue;
            wire::GetBlobChunk m;
            m.set_root(hash_to_field(*f.root));
            m.set_index(todo.front());
            h.in_flight[todo.front()] = now;
            todo.pop_front();
            ctx_.send(*peer, m);
            sent = true;
        }
    }
}

void BlobFetch::end(Fetch& f, State state, Status why) {
    f.progress.state = state;
    f.progress.error = std::move(why);
    f.progress.ended_ms = ctx_.now_ms();
    if (state == State::kComplete) ++ctx_.counters.blobs_fetched;
    log_debug("blob fetch of ", describe(f.name), " ended ", state_name(state),
              f.progress.error.ok() ? "" : ": " + f.progress.error.to_string());
}

void BlobFetch::check_end(Fetch& f) {
    if (f.progress.ended()) return;
    const auto held = f.root ? locator_->store().info(*f.root) : std::nullopt;
    if (held && held->complete()) {
        if (f.target.kind != BlobTarget::Kind::kDataset ||
            locator_->dataset_matches(*f.root, f.target.root))
            return end(f, State::kComplete);
        // The holder that named it lied: its bytes are not the dataset. Forget them.
        (void)locator_->store().prune(*f.root);
        const Status why = Status::error(codes::kBlobNameMismatch,
                                         "blob " + to_hex(*f.root) + " is not " + describe(f.name));
        if (Peer* p = f.named_by ? ctx_.find(*f.named_by) : nullptr) ctx_.misbehaving(*p, why);
        return end(f, State::kFailed, why);
    }
    if (!f.holders.empty() || !f.asking.empty()) return;
    const size_t asked = f.lacking.size();
    end(f, State::kNotFound,
        Status::error(rpc::codes::kBlobNotFound,
                      "no peer holds " + describe(f.name) + " (" + std::to_string(asked) +
                          " asked" +
                          (held ? "; " + std::to_string(held->have) + " of " +
                                      std::to_string(held->chunks) + " chunks kept"
                                : "") +
                          ")"));
}

void BlobFetch::tick() {
    std::deque<wire::BlobName> requests;
    {
        std::lock_guard lock(mutex_);
        requests.swap(requests_);
    }
    for (const auto& name : requests) start(name);
    const int64_t now = ctx_.now_ms();
    for (auto& [key, f] : fetches_) {
        if (f.progress.ended()) continue;
        ask_peers(f);
        expire(f, now);
        request_chunks(f, now);
        check_end(f);
    }
    publish();
}

// Progress is read from the store first; the lock shared with RPC is taken only to copy it.
void BlobFetch::publish() {
    const int64_t now = ctx_.now_ms();
    std::vector<std::pair<std::string, BlobFetchProgress>> out;
    for (auto it = fetches_.begin(); it != fetches_.end();) {
        Fetch& f = it->second;
        BlobFetchProgress& p = f.progress;
        p.root = f.root;
        p.size = f.size;
        p.chunks = f.root ? blob_chunk_count(f.size) : 0;
        const auto held = f.root && locator_ ? locator_->store().info(*f.root) : std::nullopt;
        p.have = held ? held->have : 0;
        p.holders = static_cast<uint32_t>(f.holders.size());
        p.peers_asked = static_cast<uint32_t>(f.asking.size() + f.lacking.size() + p.holders);
        if (!p.ended()) p.state = p.holders > 0 ? State::kFetching : State::kAsking;
        out.emplace_back(it->first, p);
        it = p.ended() ? fetches_.erase(it) : std::next(it);
    }
    std::lock_guard lock(mutex_);
    for (auto& [key, p] : out) published_[key] = std::move(p);
    for (auto it = published_.begin(); it != published_.end();)
        it = it->second.ended() &&
                     now - it->second.ended_ms > static_cast<int64_t>(kBlobResultKeepS * 1000)
                 ? published_.erase(it)
                 : std::next(it);
}

void BlobFetch::peer_gone(PeerId peer) {
    unrequested_.erase(peer);
    for (auto& [key, f] : fetches_) {
        f.asking.erase(peer);
        f.lacking.erase(peer);
        f.holders.erase(peer);  // its chunks in flight go to the other holders
    }
}

// --- Answers from peers --------------------------------------------------------------------

void BlobFetch::take_holding(Peer& peer, Fetch& f, const wire::BlobHolding& h) {
    f.asking.erase(peer.id);
    const auto root = hash_from_field(h.root());
    const auto chunks_root = hash_from_field(h.chunks_root());
    if (!root || !chunks_root || !h.complete() || h.size() == 0 ||
        h.size() > locator_->store().limits().max_blob_bytes) {
        f.lacking.insert(peer.id);
        return;
    }
    if (blob_root_from_chunks_root(h.size(), *chunks_root) != *root ||
        !root_matches(f.target, *root)) {
        ctx_.misbehaving(
            peer, Status::error(codes::kBlobNameMismatch,
                                "its blob " + to_hex(*root) + " is not " + describe(f.name)));
        return;
    }
    if (f.root && *f.root != *root) {  // another dataset candidate: keep to the first
        f.lacking.insert(peer.id);
        return;
    }
    if (!f.root) {
        f.root = *root;
        f.size = h.size();
    }
    if (!f.named_by) f.named_by = peer.id;
    if (auto [h, added] = f.holders.try_emplace(peer.id); added) h->second.progress_ms = ctx_.now_ms();
}

void BlobFetch::on_blobinfo(Peer& peer, const wire::BlobInfo& m) {
    if (!locator_) return;
    for (const auto& h : m.blobs()) {
        auto it = fetches_.find(blob_name_key(h.name()));
        // Only answers to what we asked this peer count; anything else is ignored (harmless).
        if (it == fetches_.end() || !it->second.asking.count(peer.id)) continue;
        take_holding(peer, it->second, h);
        if (peer.gone) return;
    }
}

BlobFetch::Fetch* BlobFetch::fetch_of_root(const Hash256& root) {
    for (auto& [key, f] : fetches_)
        if (!f.progress.ended() && f.root == root) return &f;
    return nullptr;
}

// A requested chunk, a refusal, or a late one for a blob still being fetched. False when the
// peer was punished.
bool BlobFetch::take_chunk(Peer& peer, Fetch& f, const wire::BlobChunk& m) {
    auto h = f.holders.find(peer.id);
    if (h != f.holders.end()) h->second.in_flight.erase(m.index());
    if (m.chunk().empty()) {  // refused: not held any more (size 0), or busy
        if (h == f.holders.end()) return true;
        if (m.blob_size() == 0) {
            f.holders.erase(h);
            f.lacking.insert(peer.id);
        } else {
            h->second.busy_until_ms = ctx_.now_ms() + static_cast<int64_t>(kBlobBusyBackoffMs);
        }
        return true;
    }
    verifier::ChunkProof p;
    p.blob_size = m.blob_size();
    p.index = m.index();
    p.chunk.assign(m.chunk().begin(), m.chunk().end());
    p.chunks_root = *hash_from_field(m.chunks_root());
    for (const auto& s : m.path()) p.path.push_back(*hash_from_field(s));
    if (!verifier::verify_chunk_proof(*f.root, p)) {
        f.holders.erase(peer.id);
        ctx_.misbehaving(peer, Status::error(codes::kBadBlobChunk,
                                             "chunk " + std::to_string(p.index) + " of blob " +
                                                 to_hex(*f.root) + " fails its proof"));
        return false;
    }
    auto put = locator_->store().put_chunk(*f.root, p);
    if (!put.ok()) {
        end(f, State::kFailed, put.status());  // the store's own limit or failure
        return true;
    }
    if (put->stored) ++ctx_.counters.blob_chunks_received;
    if (h != f.holders.end()) h->second.progress_ms = ctx_.now_ms();
    return true;
}

void BlobFetch::on_blobchunk(Peer& peer, const wire::BlobChunk& m) {
    Fetch* f = locator_ ? fetch_of_root(*hash_from_field(m.root())) : nullptr;
    if (!f) {
        if (++unrequested_[peer.id] > kMaxUnrequestedBlobChunks)
            ctx_.misbehaving(peer, Status::error(codes::kUnrequestedBlobChunks,
                                                 std::to_string(unrequested_[peer.id]) +
                                                     " blob chunks nobody asked for"));
        return;
    }
    if (take_chunk(peer, *f, m)) check_end(*f);
}

}  // namespace step::node::p2p
