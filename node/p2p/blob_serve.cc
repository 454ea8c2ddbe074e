#include "node/p2p/blob_serve.h"

#include <algorithm>

#include "common/merkle.h"

namespace step::node::p2p {
namespace {

// A holding's tag and length prefix inside BlobInfo: at most 1 + 10 bytes.
constexpr size_t kHoldingOverheadBytes = 11;

}  // namespace

void BlobServe::set_store(BlobStore* store) {
    locator_ = store ? std::make_unique<BlobLocator>(*store) : nullptr;
}

wire::BlobHolding BlobServe::holding(const wire::BlobName& name, uint32_t& scans) {
    wire::BlobHolding h;
    *h.mutable_name() = name;
    if (!locator_) return h;
    if (name.name_case() != wire::BlobName::kRoot && scans++ >= kMaxBlobNameScansPerMessage)
        return h;
    auto target = resolve_blob_name(ctx_.node.chain(), name);
    if (!target.ok()) return h;  // not committed (yet, as far as we know): we hold nothing for it
    auto info = locator_->find(*target);
    if (!info) return h;
    h.set_root(hash_to_field(info->root));
    h.set_size(info->size);
    h.set_chunks_root(hash_to_field(info->chunks_root));
    h.set_complete(info->complete());
    return h;
}

void BlobServe::on_getblobinfo(Peer& peer, const wire::GetBlobInfo& m) {
    wire::BlobInfo answer;
    uint32_t scans = 0;
    // Holdings are larger than names: answer the names whose holdings fit in one blobinfo (the
    // asker counts the rest as unanswered).
    const size_t cap = max_payload_bytes(MessageType::kBlobInfo);
    size_t bytes = 0;
    for (const auto& name : m.names()) {
        wire::BlobHolding h = holding(name, scans);
        bytes += h.ByteSizeLong() + kHoldingOverheadBytes;
        if (bytes > cap) break;
        *answer.add_blobs() = std::move(h);
    }
    ctx_.send(peer, answer);
}

bool BlobServe::may_send(PeerId peer) {
    if (ctx_.transport.send_queue_bytes(peer) >= kMaxBlobServeQueueBytes) return false;
    const int64_t now = ctx_.now_ms();
    auto [it, fresh] = buckets_.try_emplace(peer);
    Bucket& b = it->second;
    if (fresh) b.at_ms = now;
    const uint64_t elapsed_ms = static_cast<uint64_t>(std::max<int64_t>(0, now - b.at_ms));
    b.bytes =
        std::min(kBlobServeBurstBytes, b.bytes + elapsed_ms * kBlobServeBytesPerSecond / 1000);
    b.at_ms = now;
    if (b.bytes < kChunkBytes) return false;
    b.bytes -= kChunkBytes;
    return true;
}

void BlobServe::on_getblobchunk(Peer& peer, const wire::GetBlobChunk& m) {
    const Hash256 root = *hash_from_field(m.root());
    wire::BlobChunk answer;
    answer.set_root(m.root());
    answer.set_index(m.index());
    answer.set_chunks_root(hash_to_field(Hash256{}));
    auto info = locator_ ? locator_->store().info(root) : std::nullopt;
    if (!info || !info->complete() || m.index() >= info->chunks) {
        ctx_.send(peer, answer);  // blob_size 0: not held whole
        return;
    }
    answer.set_blob_size(info->size);
    answer.set_chunks_root(hash_to_field(info->chunks_root));
    if (!may_send(peer.id)) {
        ctx_.send(peer, answer);  // no chunk but its size: held, ask again later
        return;
    }
    auto proof = locator_->store().get_chunk(root, m.index());
    if (proof.ok()) {
        answer.set_chunk(std::string(proof->chunk.begin(), proof->chunk.end()));
        for (const Hash256& h : proof->path) answer.add_path(hash_to_field(h));
        ++ctx_.counters.blob_chunks_sent;
    } else {
        answer.set_blob_size(0);  // pruned meanwhile
    }
    ctx_.send(peer, answer);
}

}  // namespace step::node::p2p
