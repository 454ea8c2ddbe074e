#include "wallet/network.h"

#include "common/rpc_methods.h"
#include "wallet/errors.h"

namespace step::wallet {

Result<Network> parse_network(std::string_view name) {
    if (name == "devnet") return Network::kDevnet;
    if (name == "testnet") return Network::kTestnet;
    if (name == "mainnet") return Network::kMainnet;
    return Status::error(codes::kUnknownNetwork, "unknown network '" + std::string(name) +
                                                "' (expected devnet, testnet or mainnet)");
}

std::string_view network_name(Network network) {
    switch (network) {
        case Network::kDevnet: return "devnet";
        case Network::kTestnet: return "testnet";
        case Network::kMainnet: return "mainnet";
    }
    return "devnet";
}

uint16_t default_rpc_port(Network network) {
    switch (network) {
        case Network::kDevnet: return rpc::kDevnetRpcPort;
        case Network::kTestnet: return rpc::kTestnetRpcPort;
        case Network::kMainnet: return rpc::kMainnetRpcPort;
    }
    return rpc::kDevnetRpcPort;
}

}  // namespace step::wallet
