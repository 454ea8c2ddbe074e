// Chunks answered on chain (docs/protocol.md "Data availability"): a DataResponse carries one
// chunk of a checkpoint or final state with its proof, which consensus checked against the
// committed leaf when the block connected. Every node adds those chunks to its blob store, so a
// state a solver publishes only under challenge, chunk by chunk, becomes fetchable like any
// other blob (P2P, getblob, the agents' fetch path).
#pragma once

#include <cstddef>

#include "consensus/proto/chain.pb.h"
#include "node/storage/blob_store.h"

namespace step::node {

// Stores the chunk of every unit-blob DataResponse in `block`; returns how many were stored
// (new or already there). The store's limits apply: a chunk it refuses (blob-store-full, ...) is
// logged and skipped, never fatal, since the block is valid whatever this node keeps. A
// reorganisation does not remove them: they prove into a committed root either way.
size_t store_answered_chunks(BlobStore& blobs, const pb::Block& block);

}  // namespace step::node
