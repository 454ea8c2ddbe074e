// stepd configuration: command-line flags > environment (STEPD_*) > config file > defaults.
// Resolution is a pure function of its inputs, so precedence is unit-tested without a process.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "node/log.h"

namespace step::node {

struct NodeConfig {
    std::string network = "devnet";
    std::string datadir;           // resolved: never empty after resolve_config
    std::string rpc_host = "127.0.0.1";
    uint16_t rpc_port = 0;         // resolved from the network when not given
    bool mine = false;
    std::string miner_address;     // bech32m; required when mine is set (checked by stepd)
    LogLevel log_level = LogLevel::kInfo;
    bool debug_log = true;         // also write <datadir>/debug.log
    std::optional<uint64_t> blob_store_mib;  // cap on the blob store; nullopt: the default
    std::string config_file;       // the file that was read, if any
    bool help = false;
};

// Option names (without "--"); each is also the config-file key and, upper-cased with '-'
// turned into '_' and prefixed with STEPD_, the environment variable.
extern const std::vector<std::string> kConfigKeys;

struct ConfigInputs {
    std::vector<std::string> args;                  // argv without the program name
    std::map<std::string, std::string> env;         // only STEPD_* and HOME are looked at
    // Reads a config file's text; nullopt when it cannot be read.
    std::function<std::optional<std::string>(const std::string& path)> read_file;
};

// Errors: "unknown-option", "missing-value", "bad-config-file", "bad-network", "bad-rpc-bind",
// "bad-log-level", "bad-bool", "no-datadir".
Result<NodeConfig> resolve_config(const ConfigInputs& in);

// Parses "key = value" lines ('#' starts a comment). Errors name the line.
Result<std::map<std::string, std::string>> parse_config_text(const std::string& text);

// The default RPC port of a network; nullopt for an unknown network.
std::optional<uint16_t> default_rpc_port(const std::string& network);

std::string config_usage();

}  // namespace step::node
