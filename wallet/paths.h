// Default locations, every one derived from $HOME so two users (or two test HOMEs) never share
// a keystore or pick up each other's node cookie.
#pragma once

#include <optional>
#include <string>

#include "common/status.h"
#include "wallet/network.h"

namespace step::wallet {

// $HOME as given, or nullopt when unset or empty.
std::optional<std::string> home_from_environment();

// $HOME/.stepchain/wallet/<network>. Keys live per network, outside the node's datadir
// ($HOME/.stepchain/<network>), so wiping a node's chain never touches keys, and a devnet
// habit (-y in scripts, a throwaway default key) cannot spend from a mainnet key by accident.
// home-unset when home is nullopt.
Result<std::string> default_wallet_dir(const std::optional<std::string>& home, Network network);

// $HOME/.stepchain/<network>/.cookie: the cookie stepd writes in its default datadir.
Result<std::string> default_cookie_path(const std::optional<std::string>& home, Network network);

// http://127.0.0.1:<default port of the network>
std::string default_rpc_url(Network network);

}  // namespace step::wallet
