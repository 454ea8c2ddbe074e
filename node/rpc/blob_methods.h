// JSON-RPC methods over the node's blob store (docs/rpc.md "Blobs"): upload one verified chunk,
// serve a chunk with its proof (the fields of a DataResponse), report and list blobs, prune one.
#pragma once

#include "node/rpc/dispatcher.h"
#include "node/storage/blob_store.h"

namespace step::node {

void register_blob_methods(RpcDispatcher& dispatcher, BlobStore& store);

}  // namespace step::node
