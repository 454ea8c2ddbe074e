// Read-only JSON-RPC methods over the market's state (issue 5; docs/rpc.md "Market"): tasks,
// units with their audits and settlements, pending fraud-proof commitments, a task's progress
// and the payout ledgers. They read the records consensus stores (consensus/market_state.h)
// and change nothing.
#pragma once

#include <cstdint>
#include <functional>

#include "consensus/kv.h"
#include "consensus/params.h"
#include "node/node.h"
#include "node/rpc/dispatcher.h"

namespace step::node {

// Runs its argument once with a consistent state view and that state's height. Lets the methods
// be served from a Node (the tip under the chain lock) or from any KvRead (tests).
using MarketStateFn = std::function<void(const consensus::KvRead& state, uint64_t height)>;
using MarketStateReader = std::function<void(const MarketStateFn&)>;

void register_market_methods(RpcDispatcher& dispatcher, const consensus::Params& params,
                             MarketStateReader read);
void register_market_methods(RpcDispatcher& dispatcher, Node& node);

}  // namespace step::node
