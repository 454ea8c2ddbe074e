#include "wallet/paths.h"

#include <cstdlib>
#include <filesystem>

#include "common/rpc_methods.h"
#include "wallet/errors.h"

namespace step::wallet {
namespace {

Status home_unset(const char* what) {
    return Status::error(codes::kHomeUnset, std::string("HOME is not set: cannot find the default ") +
                                           what);
}

}  // namespace

std::optional<std::string> home_from_environment() {
    const char* home = std::getenv("HOME");
    if (home == nullptr || *home == '\0') return std::nullopt;
    return std::string(home);
}

Result<std::string> default_wallet_dir(const std::optional<std::string>& home, Network network) {
    if (!home) return home_unset("wallet directory (pass --wallet-dir DIR)");
    return (std::filesystem::path(*home) / ".stepchain" / "wallet" /
            std::string(network_name(network)))
        .string();
}

Result<std::string> default_cookie_path(const std::optional<std::string>& home, Network network) {
    if (!home) return home_unset("node cookie (pass --cookie FILE)");
    return (std::filesystem::path(*home) / ".stepchain" / std::string(network_name(network)) /
            rpc::kCookieFileName)
        .string();
}

std::string default_rpc_url(Network network) {
    return "http://127.0.0.1:" + std::to_string(default_rpc_port(network));
}

}  // namespace step::wallet
