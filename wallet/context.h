// What every command works with: the parsed options, where things live, the keystore, the node.
// Commands are functions (Context&, args) -> Result<CommandOutput>; app.cc dispatches to them.
#pragma once

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "wallet/amount.h"
#include "wallet/cli_args.h"
#include "wallet/keystore.h"
#include "wallet/rpc_client.h"
#include "wallet/terminal.h"

namespace step::consensus {
struct Params;
}

namespace step::wallet {

namespace agent {
struct Deviation;
}

// A command's answer in both forms; app.cc prints the one --output asks for.
struct CommandOutput {
    nlohmann::json json;
    std::string text;  // ends with a newline unless empty
};

struct Context {
    Options options;
    std::optional<std::string> home;  // $HOME, the root of every default path
    Terminal* terminal = nullptr;
    std::ostream* out = nullptr;  // stdout, for commands that report as they go (agent)
    std::ostream* err = nullptr;  // stderr, for warnings (a command's error is its Result)
    const consensus::Params* params = nullptr;  // the --network's chain parameters
    // Null but in the adversary suite's test program (wallet/agent_deviation.h).
    std::shared_ptr<const agent::Deviation> agent_deviation;

    // The keystore of --wallet-dir or the network's default; its permissions are checked on
    // the first call (Keystore::check_permissions: warnings to `err`, keystore-insecure).
    Result<Keystore> keystore() const;
    // A warning on `err` when group or others may read or write `path` (a passphrase file).
    void warn_if_exposed(const std::string& path, const std::string& what) const;
    Result<RpcClient> rpc() const;
    CookieLocation cookie_location() const;
    std::string rpc_url_text() const;

    // The key named by --from, else the default key (no-default-key when there is none).
    Result<KeyRecord> signing_key() const;
    // An address argument: a step1 address as is, or a key name's address; nullopt means the
    // default key.
    Result<std::string> resolve_address(const std::optional<std::string>& name_or_address) const;
    // Asks the passphrase and decrypts the key's seed, checking it matches the stored address.
    Result<Seed> unlock(const KeyRecord& key) const;

private:
    mutable bool keystore_checked_ = false;
};

using CommandArgs = std::vector<std::string>;  // positional words after the command name(s)

Status usage(const std::string& message);
// Reads an unsigned field sent as a JSON number or a decimal string (rpc-bad-response).
Result<uint64_t> json_u64(const nlohmann::json& j, const char* key);
// Reads a base-unit amount sent as a decimal string (or number) (rpc-bad-response).
Result<Amount> json_amount(const nlohmann::json& j, const char* key);
// A string field, rpc-bad-response when absent.
Result<std::string> json_string(const nlohmann::json& j, const char* key);

}  // namespace step::wallet
