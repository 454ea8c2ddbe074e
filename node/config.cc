#include "node/config.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "node/rpc_methods.h"

namespace step::node {

const std::vector<std::string> kConfigKeys = {"network",   "datadir",   "rpc-bind", "mine",
                                              "miner-address", "log-level", "debug-log", "config",
                                              "blob-store-mib"};

namespace {

bool is_bool_key(const std::string& key) { return key == "mine" || key == "debug-log"; }

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
    return Status::error("bad-bool", key + ": expected true/false, got '" + v + "'");
}

bool known_key(const std::string& key) {
    return std::find(kConfigKeys.begin(), kConfigKeys.end(), key) != kConfigKeys.end();
}

// Flags as key -> value ("--key value", "--key=value", "--mine" or "--mine true" for booleans).
Result<std::map<std::string, std::string>> parse_args(const std::vector<std::string>& args,
                                                      bool& help) {
    std::map<std::string, std::string> out;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--help" || a == "-h") {
            help = true;
            continue;
        }
        if (a.rfind("--", 0) != 0) return Status::error("unknown-option", "unexpected argument '" + a + "'");
        std::string key = a.substr(2), value;
        bool has_value = false;
        if (auto eq = key.find('='); eq != std::string::npos) {
            value = key.substr(eq + 1);
            key = key.substr(0, eq);
            has_value = true;
        }
        if (!known_key(key)) return Status::error("unknown-option", "unknown option --" + key);
        if (!has_value) {
            if (is_bool_key(key)) {
                // "--debug-log false" as the help shows it; a bare "--mine" means true.
                const bool next_is_bool =
                    i + 1 < args.size() && parse_bool(key, args[i + 1]).ok();
                value = next_is_bool ? args[++i] : "true";
            } else if (i + 1 < args.size()) {
                value = args[++i];
            } else {
                return Status::error("missing-value", "option --" + key + " needs a value");
            }
        }
        out[key] = value;
    }
    return out;
}

}  // namespace

Result<std::map<std::string, std::string>> parse_config_text(const std::string& text) {
    std::map<std::string, std::string> out;
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
            return Status::error("bad-config-file", "line " + std::to_string(line_no) + ": expected key = value");
        std::string key = trim(line.substr(0, eq));
        std::string value = trim(line.substr(eq + 1));
        if (!known_key(key) || key == "config")
            return Status::error("bad-config-file",
                                 "line " + std::to_string(line_no) + ": unknown key '" + key + "'");
        out[key] = value;
    }
    return out;
}

std::optional<uint16_t> default_rpc_port(const std::string& network) {
    if (network == "devnet") return rpc::kDevnetRpcPort;
    if (network == "testnet") return rpc::kTestnetRpcPort;
    if (network == "mainnet") return rpc::kMainnetRpcPort;
    return std::nullopt;
}

Result<NodeConfig> resolve_config(const ConfigInputs& in) {
    NodeConfig cfg;
    auto flags = parse_args(in.args, cfg.help);
    if (!flags.ok()) return flags.status();

    std::map<std::string, std::string> env;
    for (const auto& key : kConfigKeys)
        if (auto it = in.env.find(env_name(key)); it != in.env.end()) env[key] = it->second;

    // The config file's path itself follows flags > environment.
    std::map<std::string, std::string> file;
    std::string config_path = flags->count("config") ? flags->at("config")
                              : env.count("config")  ? env.at("config")
                                                     : "";
    if (!config_path.empty()) {
        auto text = in.read_file ? in.read_file(config_path) : std::nullopt;
        if (!text) return Status::error("bad-config-file", "cannot read config file " + config_path);
        auto parsed = parse_config_text(*text);
        if (!parsed.ok()) return Status::error("bad-config-file", config_path + ": " + parsed.status().message());
        file = std::move(*parsed);
        cfg.config_file = config_path;
    }

    auto pick = [&](const std::string& key) -> std::optional<std::string> {
        if (auto it = flags->find(key); it != flags->end()) return it->second;
        if (auto it = env.find(key); it != env.end()) return it->second;
        if (auto it = file.find(key); it != file.end()) return it->second;
        return std::nullopt;
    };

    if (auto v = pick("network")) cfg.network = *v;
    auto port = default_rpc_port(cfg.network);
    if (!port) return Status::error("bad-network", "unknown network '" + cfg.network + "'");
    cfg.rpc_port = *port;

    if (auto v = pick("datadir")) {
        cfg.datadir = *v;
    } else {
        auto home = in.env.find("HOME");
        if (home == in.env.end() || home->second.empty())
            return Status::error("no-datadir", "no --datadir and no HOME to derive one from");
        cfg.datadir = home->second + "/.stepchain/" + cfg.network;
    }

    if (auto v = pick("rpc-bind")) {
        auto colon = v->rfind(':');
        std::string host = colon == std::string::npos ? *v : v->substr(0, colon);
        if (colon != std::string::npos) {
            const std::string p = v->substr(colon + 1);
            unsigned value = 0;
            auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
            if (ec != std::errc() || ptr != p.data() + p.size() || value > 65535 || p.empty())
                return Status::error("bad-rpc-bind", "bad port in '" + *v + "'");
            cfg.rpc_port = static_cast<uint16_t>(value);
        }
        if (host.empty()) return Status::error("bad-rpc-bind", "no host in '" + *v + "'");
        cfg.rpc_host = host;
    }

    if (auto v = pick("mine")) {
        auto b = parse_bool("mine", *v);
        if (!b.ok()) return b.status();
        cfg.mine = *b;
    }
    if (auto v = pick("debug-log")) {
        auto b = parse_bool("debug-log", *v);
        if (!b.ok()) return b.status();
        cfg.debug_log = *b;
    }
    if (auto v = pick("miner-address")) cfg.miner_address = *v;
    if (auto v = pick("blob-store-mib")) {
        // At least one maximal blob (64 MiB); at most 2^40 MiB, so the byte count fits u64.
        uint64_t mib = 0;
        auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), mib);
        if (ec != std::errc() || ptr != v->data() + v->size() || v->empty() || mib < 64 ||
            mib > (uint64_t{1} << 40))
            return Status::error("bad-blob-store-mib",
                                 "blob-store-mib must be a whole number of MiB in 64..2^40, got '" + *v + "'");
        cfg.blob_store_mib = mib;
    }
    if (auto v = pick("log-level")) {
        auto level = parse_log_level(*v);
        if (!level) return Status::error("bad-log-level", "unknown log level '" + *v + "'");
        cfg.log_level = *level;
    }
    return cfg;
}

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
           "Precedence: flags > environment (STEPD_NETWORK, STEPD_DATADIR, STEPD_RPC_BIND,\n"
           "STEPD_MINE, STEPD_MINER_ADDRESS, STEPD_LOG_LEVEL, STEPD_DEBUG_LOG, STEPD_CONFIG,\n"
           "STEPD_BLOB_STORE_MIB)\n"
           "> config file > defaults.\n";
}

}  // namespace step::node
