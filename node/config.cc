#include "node/config.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "common/rpc_methods.h"
#include "consensus/params.h"
#include "node/net/dial_policy.h"
#include "node/net/errors.h"
#include "node/errors.h"

namespace step::node {

const std::vector<std::string> kConfigKeys = {
    "network",   "datadir",   "rpc-bind",        "mine",           "miner-address",
    "log-level", "debug-log", "config",          "blob-store-mib", "p2p-bind",
    "connect",   "addnode",   "max-connections", "no-listen",      "mock-time"};
const std::vector<std::string> kRepeatableConfigKeys = {"connect", "addnode"};

namespace {

// Each key's values in the order given; a key that is not repeatable keeps its last value.
using Values = std::map<std::string, std::vector<std::string>>;

bool is_bool_key(const std::string& key) {
    return key == "mine" || key == "debug-log" || key == "no-listen";
}

bool is_repeatable(const std::string& key) {
    return std::find(kRepeatableConfigKeys.begin(), kRepeatableConfigKeys.end(), key) !=
           kRepeatableConfigKeys.end();
}

void set_value(Values& out, const std::string& key, std::string value) {
    auto& values = out[key];
    if (!is_repeatable(key)) values.clear();
    values.push_back(std::move(value));
}

std::string env_name(const std::string& key) {
    std::string out = "STEPD_";
    for (char c : key) out += c == '-' ? '_' : static_cast<char>(std::toupper(c));
    return out;
}

std::string trim(const std::string& s) {
    size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    return s.substr(b, e - b);
}

Result<bool> parse_bool(const std::string& key, const std::string& v) {
    if (v == "1" || v == "true" || v == "yes" || v == "on") return true;
    if (v == "0" || v == "false" || v == "no" || v == "off") return false;
    return Status::error(codes::kBadBool, key + ": expected true/false, got '" + v + "'");
}

bool known_key(const std::string& key) {
    return std::find(kConfigKeys.begin(), kConfigKeys.end(), key) != kConfigKeys.end();
}

// Flags as key -> values ("--key value", "--key=value", "--mine" or "--mine true" for booleans).
Result<Values> parse_args(const std::vector<std::string>& args, bool& help) {
    Values out;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--help" || a == "-h") {
            help = true;
            continue;
        }
        if (a.rfind("--", 0) != 0) return Status::error(codes::kUnknownOption, "unexpected argument '" + a + "'");
        std::string key = a.substr(2), value;
        bool has_value = false;
        if (auto eq = key.find('='); eq != std::string::npos) {
            value = key.substr(eq + 1);
            key = key.substr(0, eq);
            has_value = true;
        }
        if (!known_key(key)) return Status::error(codes::kUnknownOption, "unknown option --" + key);
        if (!has_value) {
            if (is_bool_key(key)) {
                // "--debug-log false" as the help shows it; a bare "--mine" means true.
                const bool next_is_bool =
                    i + 1 < args.size() && parse_bool(key, args[i + 1]).ok();
                value = next_is_bool ? args[++i] : "true";
            } else if (i + 1 < args.size()) {
                value = args[++i];
            } else {
                return Status::error(codes::kMissingValue, "option --" + key + " needs a value");
            }
        }
        set_value(out, key, value);
    }
    return out;
}

// The environment's settings; a repeatable key's variable holds comma-separated values.
Values read_env(const std::map<std::string, std::string>& environment) {
    Values out;
    for (const auto& key : kConfigKeys) {
        auto it = environment.find(env_name(key));
        if (it == environment.end()) continue;
        if (!is_repeatable(key)) {
            set_value(out, key, it->second);
            continue;
        }
        for (size_t pos = 0; pos <= it->second.size();) {
            size_t comma = it->second.find(',', pos);
            if (comma == std::string::npos) comma = it->second.size();
            if (std::string v = trim(it->second.substr(pos, comma - pos)); !v.empty())
                set_value(out, key, v);
            pos = comma + 1;
        }
    }
    return out;
}

}  // namespace

Result<std::vector<std::pair<std::string, std::string>>> parse_config_lines(
    const std::string& text) {
    std::vector<std::pair<std::string, std::string>> out;
    size_t pos = 0;
    int line_no = 0;
    while (pos <= text.size()) {
        size_t nl = text.find('\n', pos);
        if (nl == std::string::npos) nl = text.size();
        std::string line = text.substr(pos, nl - pos);
        pos = nl + 1;
        ++line_no;
        if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
        line = trim(line);
        if (line.empty()) continue;
        auto eq = line.find('=');
        if (eq == std::string::npos)
            return Status::error(codes::kBadConfigFile,
                                 "line " + std::to_string(line_no) + ": expected key = value");
        std::string key = trim(line.substr(0, eq));
        std::string value = trim(line.substr(eq + 1));
        if (!known_key(key) || key == "config")
            return Status::error(codes::kBadConfigFile,
                                 "line " + std::to_string(line_no) + ": unknown key '" + key + "'");
        out.emplace_back(std::move(key), std::move(value));
    }
    return out;
}

Result<std::map<std::string, std::string>> parse_config_text(const std::string& text) {
    auto lines = parse_config_lines(text);
    if (!lines.ok()) return lines.status();
    std::map<std::string, std::string> out;
    for (auto& [key, value] : *lines) out[key] = std::move(value);
    return out;
}

std::optional<uint16_t> default_rpc_port(const std::string& network) {
    if (network == "devnet") return rpc::kDevnetRpcPort;
    if (network == "testnet") return rpc::kTestnetRpcPort;
    if (network == "mainnet") return rpc::kMainnetRpcPort;
    return std::nullopt;
}

namespace {

// Where each setting comes from: flags > environment > config file.
struct Sources {
    Values flags, env, file;

    // The setting's values from the first source that has it (empty when none does).
    std::vector<std::string> all(const std::string& key) const {
        for (const Values* v : {&flags, &env, &file})
            if (auto it = v->find(key); it != v->end()) return it->second;
        return {};
    }
    std::optional<std::string> pick(const std::string& key) const {
        auto values = all(key);
        if (values.empty()) return std::nullopt;
        return values.back();
    }
};

Result<Sources> read_sources(const ConfigInputs& in, NodeConfig& cfg) {
    Sources src;
    auto flags = parse_args(in.args, cfg.help);
    if (!flags.ok()) return flags.status();
    src.flags = std::move(*flags);
    src.env = read_env(in.env);

    // The config file's path itself follows flags > environment.
    const auto config_path = src.pick("config");
    if (!config_path || config_path->empty()) return src;
    auto text = in.read_file ? in.read_file(*config_path) : std::nullopt;
    if (!text) return Status::error(codes::kBadConfigFile, "cannot read config file " + *config_path);
    auto lines = parse_config_lines(*text);
    if (!lines.ok())
        return Status::error(codes::kBadConfigFile, *config_path + ": " + lines.status().message());
    for (auto& [key, value] : *lines) set_value(src.file, key, std::move(value));
    cfg.config_file = *config_path;
    return src;
}

// --rpc-bind HOST[:PORT] through the one endpoint parser; a bare host keeps the network's port.
Status resolve_rpc_bind(const Sources& src, NodeConfig& cfg) {
    auto v = src.pick("rpc-bind");
    if (!v) return Status();
    auto at = net::parse_endpoint(*v, cfg.rpc_port);
    if (!at.ok()) return Status::error(codes::kBadRpcBind, "--rpc-bind " + at.status().message());
    cfg.rpc_host = at->host;
    cfg.rpc_port = at->port;
    return Status();
}

// Every HOST:PORT of a P2P option (a bare host takes the network's P2P port).
Result<std::vector<net::Endpoint>> read_endpoints(const Sources& src, const std::string& key,
                                                  const consensus::Params& params, bool dialled) {
    std::vector<net::Endpoint> out;
    for (const std::string& v : src.all(key)) {
        auto at = net::parse_endpoint(v, params.default_p2p_port);
        if (!at.ok())
            return Status::error(net::codes::kBadEndpoint,
                                 "--" + key + " " + at.status().message());
        // The dialler's own rule, checked at start-up so a devnet node never starts to dial out.
        if (Status refused = net::check_dial(*at, params.p2p_dial_loopback_only);
            dialled && !refused.ok())
            return Status::error(net::codes::kDialRefused, "--" + key + " " + refused.message());
        out.push_back(*at);
    }
    return out;
}

Status resolve_p2p(const Sources& src, NodeConfig& cfg) {
    const consensus::Params& params = *consensus::params_by_name(cfg.network);
    auto bind = read_endpoints(src, "p2p-bind", params, false);
    if (!bind.ok()) return bind.status();
    cfg.p2p_bind = bind->empty()
                       ? net::Endpoint{params.default_p2p_bind_host, params.default_p2p_port}
                       : bind->back();
    if (auto v = src.pick("no-listen")) {
        auto no_listen = parse_bool("no-listen", *v);
        if (!no_listen.ok()) return no_listen.status();
        if (*no_listen) cfg.p2p_bind.reset();
    }
    auto connect = read_endpoints(src, "connect", params, true);
    if (!connect.ok()) return connect.status();
    cfg.connect = std::move(*connect);
    auto addnode = read_endpoints(src, "addnode", params, true);
    if (!addnode.ok()) return addnode.status();
    cfg.addnode = std::move(*addnode);
    if (auto v = src.pick("max-connections")) {
        uint32_t n = 0;
        auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
        if (ec != std::errc() || ptr != v->data() + v->size() || v->empty() ||
            n > p2p::kMaxConnectionsLimit)
            return Status::error(codes::kBadMaxConnections,
                                 "max-connections must be a whole number in 0.." +
                                     std::to_string(p2p::kMaxConnectionsLimit) + ", got '" + *v +
                                     "'");
        cfg.max_connections = n;
    }
    return Status();
}

Status resolve_datadir(const Sources& src, const ConfigInputs& in, NodeConfig& cfg) {
    if (auto v = src.pick("datadir")) {
        cfg.datadir = *v;
        return Status();
    }
    auto home = in.env.find("HOME");
    if (home == in.env.end() || home->second.empty())
        return Status::error(codes::kNoDatadir, "no --datadir and no HOME to derive one from");
    cfg.datadir = home->second + "/.stepchain/" + cfg.network;
    return Status();
}

Status resolve_misc(const Sources& src, NodeConfig& cfg) {
    if (auto v = src.pick("mine")) {
        auto b = parse_bool("mine", *v);
        if (!b.ok()) return b.status();
        cfg.mine = *b;
    }
    if (auto v = src.pick("debug-log")) {
        auto b = parse_bool("debug-log", *v);
        if (!b.ok()) return b.status();
        cfg.debug_log = *b;
    }
    if (auto v = src.pick("miner-address")) cfg.miner_address = *v;
    if (auto v = src.pick("blob-store-mib")) {
        // At least one maximal blob (64 MiB); at most 2^40 MiB, so the byte count fits u64.
        uint64_t mib = 0;
        auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), mib);
        if (ec != std::errc() || ptr != v->data() + v->size() || v->empty() || mib < 64 ||
            mib > (uint64_t{1} << 40))
            return Status::error(codes::kBadBlobStoreMib,
                                 "blob-store-mib must be a whole number of MiB in 64..2^40, got '" + *v + "'");
        cfg.blob_store_mib = mib;
    }
    if (auto v = src.pick("mock-time")) {
        uint64_t t = 0;
        auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), t);
        if (ec != std::errc() || ptr != v->data() + v->size() || v->empty())
            return Status::error(codes::kBadMockTime,
                                 "mock-time must be seconds since the epoch, got '" + *v + "'");
        if (cfg.network != consensus::devnet_params().network)
            return Status::error(codes::kBadMockTime, "mock-time is for devnet only");
        cfg.mock_time = t;
    }
    if (auto v = src.pick("log-level")) {
        auto level = parse_log_level(*v);
        if (!level) return Status::error(codes::kBadLogLevel, "unknown log level '" + *v + "'");
        cfg.log_level = *level;
    }
    return Status();
}

}  // namespace

Result<NodeConfig> resolve_config(const ConfigInputs& in) {
    NodeConfig cfg;
    auto src = read_sources(in, cfg);
    if (!src.ok()) return src.status();

    if (auto v = src->pick("network")) cfg.network = *v;
    auto port = default_rpc_port(cfg.network);
    if (!port || !consensus::params_by_name(cfg.network))
        return Status::error(codes::kBadNetwork, "unknown network '" + cfg.network + "'");
    cfg.rpc_port = *port;

    STEP_TRY(resolve_datadir(*src, in, cfg));
    STEP_TRY(resolve_rpc_bind(*src, cfg));
    STEP_TRY(resolve_p2p(*src, cfg));
    STEP_TRY(resolve_misc(*src, cfg));
    return cfg;
}

// clang-format off
std::string config_usage() {
    return "Usage: stepd [options]\n"
           "  --network NAME        devnet (default), testnet or mainnet\n"
           "  --datadir DIR         data directory (default $HOME/.stepchain/<network>)\n"
           "  --rpc-bind HOST:PORT  JSON-RPC, health and metrics endpoint\n"
           "                        (default 127.0.0.1:<18443 devnet, 28443 testnet, 8443 mainnet>)\n"
           "  --mine                mine blocks (needs --miner-address)\n"
           "  --miner-address ADDR  bech32m address that receives block rewards\n"
           "  --config FILE         'key = value' lines with the same keys as these options\n"
           "  --log-level LEVEL     trace, debug, info (default), warn, error\n"
           "  --debug-log BOOL      also log to <datadir>/debug.log (default true)\n"
           "  --blob-store-mib N    cap on stored blobs (checkpoints, datasets) in MiB (default 4096)\n"
           "  --mock-time SECONDS   devnet only: the chain's clock reads this (reproducible)\n"
           "Peer-to-peer (HOST is numeric, IPv6 as [::1]:PORT; a bare HOST takes the network's P2P\n"
           "port: 18444 devnet, 28444 testnet, 8444 mainnet):\n"
           "  --p2p-bind HOST:PORT  where to accept peers (default 127.0.0.1 on devnet,\n"
           "                        0.0.0.0 on testnet and mainnet)\n"
           "  --no-listen           accept no peers (dial out only)\n"
           "  --connect HOST:PORT   dial only this peer (repeatable); no other outbound peers\n"
           "  --addnode HOST:PORT   keep this peer connected besides the others (repeatable)\n"
           "  --max-connections N   peers in and out together (default 125)\n"
           "  A devnet node dials 127.0.0.0/8 only.\n"
           "Precedence: flags > environment (STEPD_NETWORK, STEPD_DATADIR, STEPD_RPC_BIND,\n"
           "STEPD_MINE, STEPD_MINER_ADDRESS, STEPD_LOG_LEVEL, STEPD_DEBUG_LOG, STEPD_CONFIG,\n"
           "STEPD_BLOB_STORE_MIB, STEPD_P2P_BIND, STEPD_CONNECT, STEPD_ADDNODE (comma-separated),\n"
           "STEPD_MAX_CONNECTIONS, STEPD_NO_LISTEN)\n"
           "> config file (a repeatable key on several lines) > defaults.\n";
}
// clang-format on

}  // namespace step::node
