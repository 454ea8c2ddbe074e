// JSON-RPC methods over the peer-to-peer network (docs/rpc.md "Network"): read the peers and the
// network's state; with the cookie, steer connections and bans.
#pragma once

#include "node/network.h"
#include "node/rpc/dispatcher.h"

namespace step::node {

void register_net_methods(RpcDispatcher& dispatcher, Network& network);

}  // namespace step::node
