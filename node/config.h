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
#include "node/net/endpoint.h"
#include "node/p2p/limits.h"

namespace step::node {

struct NodeConfig {
    std::string network = "devnet";
    std::string datadir;  // resolved: never empty after resolve_config
    std::string rpc_host = "127.0.0.1";
    uint16_t rpc_port = 0;  // resolved from the network when not given
    bool mine = false;
    std::string miner_address;  // bech32m; required when mine is set (checked by stepd)
    LogLevel log_level = LogLevel::kInfo;
    bool debug_log = true;                   // also write <datadir>/debug.log
    std::optional<uint64_t> blob_store_mib;  // cap on the blob store; nullopt: the default
    // Devnet only: the chain's clock reads this (seconds since the epoch) instead of the system
    // clock, so blocks made with `generate` carry timestamps (and hashes) that depend on the
    // chain alone: a seeded devnet whose assignments tests can reproduce (docs/node.md).
    std::optional<uint64_t> mock_time;
    // Peer-to-peer (docs/node.md, "Peer-to-peer"); every address read by net::parse_endpoint.
    std::optional<net::Endpoint> p2p_bind;  // where to accept peers; nullopt with --no-listen
    std::vector<net::Endpoint>
        connect;  // --connect: dial only these, nothing from the address book
    std::vector<net::Endpoint> addnode;  // --addnode: kept connected besides the others
    uint32_t max_connections = p2p::kDefaultMaxConnections;
    std::string config_file;  // the file that was read, if any
    bool help = false;
};

// Option names (without "--"); each is also the config-file key and, upper-cased with '-'
// turned into '_' and prefixed with STEPD_, the environment variable.
extern const std::vector<std::string> kConfigKeys;
// Keys that may be given several times: repeated flags, the key on several lines of the config
// file, comma-separated values in the environment variable. The values of the first source
// (flags > environment > file) that gives the key are used together.
extern const std::vector<std::string> kRepeatableConfigKeys;

struct ConfigInputs {
    std::vector<std::string> args;           // argv without the program name
    std::map<std::string, std::string> env;  // only STEPD_* and HOME are looked at
    // Reads a config file's text; nullopt when it cannot be read.
    std::function<std::optional<std::string>(const std::string& path)> read_file;
};

// Errors (node/errors.h): kUnknownOption, kMissingValue, kBadConfigFile, kBadNetwork, kBadRpcBind,
// kBadLogLevel, kBadBool, kNoDatadir, kBadMaxConnections, kBadMockTime; for the P2P addresses
// net::codes::kBadEndpoint and (a devnet --connect/--addnode outside 127.0.0.0/8)
// net::codes::kDialRefused.
Result<NodeConfig> resolve_config(const ConfigInputs& in);

// Parses "key = value" lines ('#' starts a comment). Errors name the line.
Result<std::vector<std::pair<std::string, std::string>>> parse_config_lines(
    const std::string& text);
// The same as a map: a key given on several lines keeps its last value.
Result<std::map<std::string, std::string>> parse_config_text(const std::string& text);

// The default RPC port of a network; nullopt for an unknown network.
std::optional<uint16_t> default_rpc_port(const std::string& network);

std::string config_usage();

}  // namespace step::node
