// What RPC asks of P2P about blobs (findblob, docs/rpc.md): fetch a blob by name from peers and
// report the progress. Implemented by BlobFetch (blob_fetch.h) on the peer manager's worker;
// RPC holds a BlobFetcher* that is null when P2P is off.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"
#include "node/p2p/proto/p2p.pb.h"

namespace step::node::p2p {

struct BlobFetchProgress {
    enum class State {
        kAsking,    // asking peers which of them hold it
        kFetching,  // chunks are coming from the holders
        kComplete,  // every chunk is stored (and, for a dataset, its records hash to the name)
        kNotFound,  // every peer asked lacks it (error: blob-not-found)
        kFailed,    // it cannot be fetched (error: why, e.g. leaf-not-committed, blob-store-full)
    };
    State state = State::kAsking;
    std::optional<Hash256> root;  // once a holder named it
    uint64_t size = 0;
    uint64_t chunks = 0;
    uint64_t have = 0;         // chunks stored
    uint32_t peers_asked = 0;  // peers asked so far (answered or not)
    uint32_t holders = 0;      // peers that hold it whole
    Status error;              // kNotFound and kFailed
    int64_t ended_ms = 0;      // P2P clock; set when it ends
    bool ended() const { return state >= State::kComplete; }
};

// findblob's `state` names (common/rpc_methods.h) for the first three; "not-found", "failed" (logs).
std::string_view state_name(BlobFetchProgress::State s);

class BlobFetcher {
public:
    virtual ~BlobFetcher() = default;
    // Any thread. Starts fetching `name` unless a fetch of it is under way, and returns its
    // progress as last published by the worker. An ended fetch is reported once and then
    // forgotten, so the next call starts afresh. Error blob-fetches-full when
    // kMaxActiveBlobFetches are under way.
    virtual Result<BlobFetchProgress> fetch_blob(const wire::BlobName& name) = 0;
};

}  // namespace step::node::p2p
