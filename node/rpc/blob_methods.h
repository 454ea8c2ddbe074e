// JSON-RPC methods over the node's blob store (docs/rpc.md "Blobs"): upload one verified chunk,
// serve a chunk with its proof (the fields of a DataResponse), report and list blobs, prune one,
// and find one by name (fetching it from peers when the node lacks it).
#pragma once

#include "node/chain/chain_manager.h"
#include "node/p2p/blob_fetcher.h"
#include "node/rpc/dispatcher.h"
#include "node/storage/blob_store.h"

namespace step::node {

// The store's methods (put, get, info, list, prune).
void register_blob_methods(RpcDispatcher& dispatcher, BlobStore& store);
// The same and findblob, which resolves names through `chain` and fetches a blob the node lacks
// through `fetcher`: the peer manager's (PeerManager::blob_fetcher()), or null when P2P is off
// (then a blob the node lacks is not found).
void register_blob_methods(RpcDispatcher& dispatcher, BlobStore& store, const ChainManager& chain,
                           p2p::BlobFetcher* fetcher);

}  // namespace step::node
