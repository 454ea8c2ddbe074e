// Serving blobs to peers (docs/p2p.md "Blobs"): getblobinfo is answered for each name with what
// we hold of the blob it names (resolved through the chain and the blob store, blob_names.h),
// getblobchunk with the chunk and its Merkle path rebuilt by the blob store.
//
// Serve limits per peer (limits.h): chunk bytes come from a token bucket of
// kBlobServeBytesPerSecond (depth kBlobServeBurstBytes), and no chunk is sent while the peer's
// send queue holds kMaxBlobServeQueueBytes. A chunk not served is answered with an empty chunk:
// blob_size 0 when we do not hold the blob whole (ask another holder), the blob's size when we
// are busy (ask again later). Names that need a scan of the store (a unit's leaf, a dataset
// root) are resolved at most kMaxBlobNameScansPerMessage per getblobinfo.
#pragma once

#include <map>
#include <memory>

#include "node/p2p/blob_names.h"
#include "node/p2p/context.h"
#include "node/p2p/limits.h"

namespace step::node::p2p {

class BlobServe {
public:
    explicit BlobServe(PeerContext& ctx) : ctx_(ctx) {}

    // The store served from; null (the default) serves nothing: every name is "not held".
    void set_store(BlobStore* store);
    void on_getblobinfo(Peer& peer, const wire::GetBlobInfo& m);
    void on_getblobchunk(Peer& peer, const wire::GetBlobChunk& m);
    void peer_gone(PeerId peer) { buckets_.erase(peer); }

private:
    struct Bucket {
        uint64_t bytes = kBlobServeBurstBytes;
        int64_t at_ms = 0;
    };
    wire::BlobHolding holding(const wire::BlobName& name, uint32_t& scans);
    // Whether `peer` may be sent a chunk now (send queue and bucket); takes kChunkBytes if so.
    bool may_send(PeerId peer);

    PeerContext& ctx_;
    std::unique_ptr<BlobLocator> locator_;
    std::map<PeerId, Bucket> buckets_;
};

}  // namespace step::node::p2p
