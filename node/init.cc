#include "node/init.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <map>

#include "common/rpc_methods.h"
#include "node/dashboard.h"
#include "node/log.h"
#include "node/net/endpoint.h"
#include "node/regular_file.h"
#include "node/rpc/blob_methods.h"
#include "node/rpc/chain_methods.h"
#include "node/rpc/market_methods.h"
#include "node/rpc/net_methods.h"
#include "node/rpc_limits.h"

extern char** environ;

namespace step::node {
namespace {

// The config file, refused unread unless it is a regular file (a FIFO would block start-up).
std::optional<std::string> read_text_file(const std::string& path) {
    const OpenedFile opened = open_regular_file(path, O_RDONLY);
    if (!opened.ok()) {
        if (!opened.missing()) log_error("cannot read ", path, ": ", opened.why());
        return std::nullopt;
    }
    Bytes text;
    const bool read = read_up_to(opened.fd, static_cast<size_t>(opened.size), text);
    ::close(opened.fd);
    if (!read) return std::nullopt;
    return std::string(text.begin(), text.end());
}

std::map<std::string, std::string> environment() {
    std::map<std::string, std::string> env;
    for (char** e = environ; e && *e; ++e) {
        std::string kv = *e;
        auto eq = kv.find('=');
        if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    return env;
}

// Takes the datadir for this process alone and opens debug.log in it.
bool open_datadir(NodeContext& ctx) {
    auto lock = lock_datadir(ctx.config.datadir);
    if (!lock.ok()) {
        log_error(lock.status().to_string());
        return false;
    }
    ctx.lock = std::move(*lock);
    if (ctx.config.debug_log && !set_log_file(ctx.config.datadir + "/debug.log"))
        log_warn("cannot open ", ctx.config.datadir, "/debug.log; logging to stderr only");
    log_info("stepd starting: network ", ctx.config.network, ", datadir ", ctx.config.datadir,
             ctx.config.config_file.empty() ? "" : ", config " + ctx.config.config_file);
    return true;
}

// Writes the cookie and starts HTTP: health answers at once, JSON-RPC once the node is ready.
bool start_http(NodeContext& ctx) {
    ctx.routes.metrics = &ctx.metrics;
    auto cookie = CookieFile::write(ctx.config.datadir);
    if (!cookie.ok()) {
        log_error(cookie.status().to_string());
        return false;
    }
    ctx.cookie.emplace(std::move(*cookie));
    ctx.routes.credential = ctx.cookie->credential();

    HttpServerOptions options;
    options.host = ctx.config.rpc_host;
    options.port = ctx.config.rpc_port;
    options.threads = rpc_limits::kHttpThreads;
    options.max_body_bytes = rpc_limits::max_body_bytes(*ctx.params);
    options.max_connections = rpc_limits::kMaxConnections;
    options.events_path = kEventsPath;
    options.max_event_streams = rpc_limits::kMaxEventStreams;
    options.too_large_response = {413, "application/json", rpc_too_large_body(), false};
    auto server = HttpServer::start(options, std::ref(ctx.routes));
    if (!server.ok()) {
        log_error(server.status().to_string());
        return false;
    }
    ctx.http = std::move(*server);
    const std::string& host = ctx.config.rpc_host;
    if (host != "127.0.0.1" && host != "localhost" && host != "::1")
        log_warn("RPC is bound to ", host, ": reachable from other machines, over plain HTTP");
    log_info("RPC listening on ", net::Endpoint{host, ctx.http->port()}.to_string(), " (cookie ",
             ctx.config.datadir, "/",
             rpc::kCookieFileName, ")");
    return true;
}

// What block timestamps and the chain's time checks read: --mock-time when given (devnet).
Clock chain_clock(const NodeConfig& config) {
    if (!config.mock_time) return system_clock_seconds;
    return [t = *config.mock_time] { return t; };
}

// Opens the database, the chain and the blob store; a storage failure from now on stops the node.
Status open_stores(NodeContext& ctx) {
    DatabaseOptions options;
    options.on_write_failure = [&ctx](const Status& why) { storage_failed(ctx, why); };
    auto db = Database::open(ctx.config.datadir + "/chain", std::move(options));
    if (!db.ok()) return db.status();
    ctx.db = std::move(*db);
    auto chain = ChainManager::open(*ctx.db, *ctx.params, chain_clock(ctx.config));
    if (!chain.ok()) return chain.status().with_message("cannot load the chain: " + chain.status().message());
    ctx.chain = std::move(*chain);
    BlobLimits blob_limits;
    if (ctx.config.blob_store_mib) blob_limits.max_total_bytes = *ctx.config.blob_store_mib << 20;
    auto blobs = BlobStore::open(*ctx.db, blob_limits);
    if (!blobs.ok())
        return blobs.status().with_message("cannot load the blob store: " + blobs.status().message());
    ctx.blobs = std::move(*blobs);
    return Status::ok_status();
}

// The stores, then the mempool refilled from mempool.dat.
Status load_chain(NodeContext& ctx) {
    STEP_TRY(open_stores(ctx));
    ctx.mempool = std::make_unique<Mempool>(*ctx.params);
    ctx.node =
        std::make_unique<Node>(*ctx.chain, *ctx.mempool, ctx.metrics, chain_clock(ctx.config));
    ctx.node->set_storage_failure_hook([&ctx](const Status& why) { storage_failed(ctx, why); });
    ctx.node->set_blob_store(ctx.blobs.get());
    // The dashboard's live updates. Blocks come from the miner, RPC and P2P, all started later and
    // stopped by stop_node before ctx.http (started earlier) is destroyed, so the hook never
    // outlives the server.
    ctx.node->set_tip_changed_hook([&ctx](const consensus::ChainTip& tip) {
        ctx.http->publish(kBlockEvent, R"({"height":)" + std::to_string(tip.height) +
                                           R"(,"hash":")" + to_hex(tip.hash) + R"("})");
    });
    // Before ready: the first RPC call already sees the restored pool. Never fatal.
    Node& node = *ctx.node;
    load_mempool(ctx.config.datadir,
                 {ctx.mempool->max_bytes(), static_cast<size_t>(ctx.params->max_tx_bytes)},
                 [&node](const pb::Transaction& tx) { return node.submit_transaction(tx); });
    node.refresh_metrics();
    ctx.mempool_saver = std::make_unique<PeriodicMempoolSaver>(node, ctx.config.datadir);
    ctx.mempool_saver->start();
    return Status::ok_status();
}

// load_chain at start-up: a damaged or unreadable database is a clear line and kExitStorage,
// never an abort (a read LevelDB cannot answer throws consensus::KvReadError).
int load_chain_or_exit_code(NodeContext& ctx) {
    Status loaded;
    try {
        loaded = load_chain(ctx);
    } catch (const consensus::KvReadError& e) {
        loaded = e.status().with_message("cannot load the chain: " + e.status().message());
    }
    if (loaded.ok()) return kExitOk;
    const bool storage = loaded.category() == ErrorCategory::kStorage;
    log_error(loaded.to_string(), storage ? "; the database in " + ctx.config.datadir +
                                                "/chain is damaged or unreadable (docs/storage.md)"
                                          : "");
    return storage ? kExitStorage : kExitFailure;
}

// Starts the peer-to-peer network: the transport binds --p2p-bind (unless --no-listen), the
// connection manager dials --connect / --addnode and the address book.
bool start_p2p(NodeContext& ctx) {
    NetworkOptions o;
    o.params = ctx.params;
    o.datadir = ctx.config.datadir;
    o.listen = ctx.config.p2p_bind;
    o.connect = ctx.config.connect;
    o.addnode = ctx.config.addnode;
    o.max_connections = ctx.config.max_connections;
    o.user_agent = kStepdUserAgent;
    o.metrics = &ctx.metrics;
    o.blobs = ctx.blobs.get();
    auto network = Network::start(*ctx.node, std::move(o));
    if (!network.ok()) {
        log_error("cannot start P2P: ", network.status().to_string());
        return false;
    }
    ctx.network = std::move(*network);
    return true;
}

// Registers the JSON-RPC methods and tells HTTP the node is ready.
void start_rpc(NodeContext& ctx) {
    ctx.dispatcher = std::make_unique<RpcDispatcher>(&ctx.metrics);
    register_chain_methods(*ctx.dispatcher, *ctx.node, ctx.stopping);
    register_market_methods(*ctx.dispatcher, *ctx.node);
    register_blob_methods(*ctx.dispatcher, *ctx.blobs, *ctx.chain, &ctx.network->blob_fetcher());
    register_net_methods(*ctx.dispatcher, *ctx.network);
    ctx.routes.dispatcher = ctx.dispatcher.get();
    ctx.routes.ready = true;
    log_info("ready: height ", ctx.chain->tip().height);
}

}  // namespace

HttpResponse HttpRoutes::operator()(const HttpRequest& req) const {
    const std::string path = req.target.substr(0, req.target.find('?'));
    if (req.method == "GET" && path == "/health/live") return {200, "text/plain", "live\n", false};
    if (req.method == "GET" && path == "/health/ready")
        return ready ? HttpResponse{200, "text/plain", "ready\n", false}
                     : HttpResponse{503, "text/plain", "loading\n", false};
    if (req.method == "GET" && path == "/metrics")
        return {200, "text/plain; version=0.0.4", metrics->render(), false};
    if (req.method != "POST")
        if (auto page = serve_dashboard(req)) return std::move(*page);
    if (path != "/") return {404, "text/plain", "not found\n", false};
    if (req.method != "POST") return {405, "text/plain", "JSON-RPC needs POST\n", false};
    RpcDispatcher* d = dispatcher.load();
    if (!d)
        return {503, "application/json",
                R"({"jsonrpc":"2.0","id":null,"error":{"code":)" +
                    std::to_string(rpc::kErrNotReady) +
                    R"(,"message":"the node is still loading its chain"}})",
                false};
    HttpResponse res;
    res.body = d->handle(req.body, basic_auth_matches(req.authorization, credential), res.status);
    res.www_authenticate = res.status == 401;
    if (res.body.empty()) res.status = 204;  // notifications only
    return res;
}

Result<NodeConfig> read_config(int argc, char** argv) {
    ConfigInputs inputs;
    inputs.args.assign(argv + 1, argv + argc);
    inputs.env = environment();
    inputs.read_file = read_text_file;
    return resolve_config(inputs);
}

bool apply_config(NodeContext& ctx, const NodeConfig& config) {
    ctx.config = config;
    ctx.params = consensus::params_by_name(config.network);
    if (!ctx.params) {
        log_error("unknown network ", config.network);
        return false;
    }
    if (!config.miner_address.empty()) {
        auto a = consensus::decode_address(config.miner_address);
        if (!a.ok()) {
            log_error("bad --miner-address: ", a.status().to_string());
            return false;
        }
        ctx.miner_address = *a;
    }
    if (config.mine && !ctx.miner_address) {
        log_error("--mine needs --miner-address");
        return false;
    }
    return true;
}

int start_node(NodeContext& ctx) {
    if (!open_datadir(ctx) || !start_http(ctx)) return kExitFailure;
    if (const int failed = load_chain_or_exit_code(ctx); failed != kExitOk) return failed;
    // P2P starts once the chain is loaded (the handshake announces our tip), before RPC is ready.
    if (!start_p2p(ctx)) return kExitFailure;
    start_rpc(ctx);
    if (ctx.config.mine) {
        ctx.miner.emplace(*ctx.node, *ctx.miner_address);
        ctx.miner->start();
    }
    return kExitOk;
}

void storage_failed(NodeContext& ctx, const Status& why) {
    if (ctx.storage_failure.exchange(true)) return;
    ctx.routes.ready = false;
    ctx.stopping = true;
    log_error("storage failure: ", why.to_string(), "; stopping (exit ", kExitStorage,
              "): nothing acknowledged is lost, and the data directory opens again once the "
              "cause is fixed (free disk space, replace the disk)");
    if (ctx.request_stop) ctx.request_stop();
}

int exit_code(const NodeContext& ctx) { return ctx.storage_failure ? kExitStorage : kExitOk; }

void stop_node(NodeContext& ctx) {
    ctx.routes.ready = false;
    ctx.stopping = true;
    if (ctx.miner) ctx.miner->stop();
    if (ctx.http) ctx.http->stop();  // waits for in-flight requests; `generate` sees `stopping`
    ctx.routes.dispatcher = nullptr;
    // Before the final save, so no peer's transaction arrives after it.
    if (ctx.network) ctx.network->stop();
    if (!ctx.node) return;
    // Nothing changes the pool any more: this save is its final content.
    ctx.mempool_saver->stop();
    if (auto saved = save_mempool(*ctx.node, ctx.config.datadir); saved.ok()) {
        log_info("mempool: saved ", ctx.node->mempool_info().size, " transactions to ",
                 mempool_file_path(ctx.config.datadir));
    } else {
        log_error("cannot save the mempool: ", saved.to_string());
    }
}

}  // namespace step::node
