// The JSON-RPC methods of RPC_CONTRACT.md (and the node extensions in docs/rpc.md), served
// from a Node.
#pragma once

#include <atomic>

#include "node/node.h"
#include "node/rpc/dispatcher.h"

namespace step::node {

// Most blocks one `generate` call may mine: bounds how long one request holds a worker.
inline constexpr uint64_t kMaxGenerateCount = 10'000;

// `stop` aborts long calls (generate) at shutdown.
void register_chain_methods(RpcDispatcher& dispatcher, Node& node, const std::atomic<bool>& stop);

}  // namespace step::node
