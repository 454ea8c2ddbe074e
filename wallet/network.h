// The networks the wallet can talk to, by name, and where their nodes listen by default.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace step::wallet {

enum class Network { kDevnet, kTestnet, kMainnet };

// "devnet" | "testnet" | "mainnet"; unknown-network otherwise.
Result<Network> parse_network(std::string_view name);
std::string_view network_name(Network network);

// The node's default JSON-RPC port on this network (RPC_CONTRACT.md).
uint16_t default_rpc_port(Network network);

}  // namespace step::wallet
