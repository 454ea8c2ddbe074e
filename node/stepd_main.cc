// stepd: the Stepchain full node. Start-up order: config, datadir lock, logging, HTTP (live but
// not ready), cookie, chain load, mempool.dat, RPC methods (ready), miner; then wait for
// SIGINT/SIGTERM and shut down in reverse, saving the mempool once miner and RPC have stopped.
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "consensus/params.h"
#include "node/config.h"
#include "node/datadir.h"
#include "node/http_server.h"
#include "node/log.h"
#include "node/mempool.h"
#include "node/mempool_persistence.h"
#include "node/metrics.h"
#include "node/miner.h"
#include "node/node.h"
#include "node/rpc/blob_methods.h"
#include "node/rpc/chain_methods.h"
#include "node/rpc/market_methods.h"
#include "node/rpc/dispatcher.h"
#include "common/rpc_methods.h"
#include "node/storage/database.h"

extern char** environ;

namespace step::node {
namespace {

// JSON-RPC bodies above this are refused with HTTP 413: the largest legitimate request is a
// block for submitblock (MAX_BLOCK_BYTES of bytes, twice that as hex) plus framing.
size_t max_rpc_body_bytes(const consensus::Params& p) {
    return static_cast<size_t>(2 * p.max_block_bytes) + (1u << 20);
}
// Connections served at once (kMaxRpcConnections); one more gets HTTP 503 and is closed.
constexpr size_t kMaxRpcConnections = 64;
// Worker threads for HTTP: a long `generate` occupies one while others keep serving.
constexpr size_t kHttpThreads = 4;

std::optional<std::string> read_text_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) return std::nullopt;
    std::ostringstream os;
    os << in.rdbuf();
    return os.str();
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

struct Routes {
    std::atomic<bool> ready{false};
    std::atomic<RpcDispatcher*> dispatcher{nullptr};
    std::string credential;
    Metrics* metrics = nullptr;

    HttpResponse operator()(const HttpRequest& req) const {
        const std::string path = req.target.substr(0, req.target.find('?'));
        if (req.method == "GET" && path == "/health/live") return {200, "text/plain", "live\n", false};
        if (req.method == "GET" && path == "/health/ready")
            return ready ? HttpResponse{200, "text/plain", "ready\n", false}
                         : HttpResponse{503, "text/plain", "loading\n", false};
        if (req.method == "GET" && path == "/metrics")
            return {200, "text/plain; version=0.0.4", metrics->render(), false};
        if (path != "/") return {404, "text/plain", "not found\n", false};
        if (req.method != "POST") return {405, "text/plain", "JSON-RPC needs POST\n", false};
        RpcDispatcher* d = dispatcher.load();
        if (!d)
            return {503, "application/json",
                    R"({"jsonrpc":"2.0","id":null,"error":{"code":)" + std::to_string(rpc::kErrNotReady) +
                        R"(,"message":"the node is still loading its chain"}})",
                    false};
        HttpResponse res;
        res.body = d->handle(req.body, basic_auth_matches(req.authorization, credential), res.status);
        res.www_authenticate = res.status == 401;
        if (res.body.empty()) res.status = 204;  // notifications only
        return res;
    }
};

int run(int argc, char** argv) {
    // Signals are taken by sigwait in the main thread: block them before any thread starts.
    // Reset dispositions first: a shell starts background jobs with SIGINT ignored, and an
    // ignored signal is discarded before sigwait could see it.
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    signal(SIGPIPE, SIG_IGN);

    ConfigInputs inputs;
    inputs.args.assign(argv + 1, argv + argc);
    inputs.env = environment();
    inputs.read_file = read_text_file;
    auto cfg = resolve_config(inputs);
    if (!cfg.ok()) {
        std::cerr << "stepd: " << cfg.status().to_string() << "\n" << config_usage();
        return 2;
    }
    if (cfg->help) {
        std::cout << config_usage();
        return 0;
    }
    set_log_level(cfg->log_level);
    const consensus::Params* params = consensus::params_by_name(cfg->network);
    if (!params) {
        log_error("unknown network ", cfg->network);
        return 2;
    }
    std::optional<consensus::Address> miner_address;
    if (!cfg->miner_address.empty()) {
        auto a = consensus::decode_address(cfg->miner_address);
        if (!a.ok()) {
            log_error("bad --miner-address: ", a.status().to_string());
            return 2;
        }
        miner_address = *a;
    }
    if (cfg->mine && !miner_address) {
        log_error("--mine needs --miner-address");
        return 2;
    }

    auto lock = lock_datadir(cfg->datadir);
    if (!lock.ok()) {
        log_error(lock.status().to_string());
        return 1;
    }
    if (cfg->debug_log && !set_log_file(cfg->datadir + "/debug.log"))
        log_warn("cannot open ", cfg->datadir, "/debug.log; logging to stderr only");
    log_info("stepd starting: network ", cfg->network, ", datadir ", cfg->datadir,
             cfg->config_file.empty() ? "" : ", config " + cfg->config_file);

    Metrics metrics;
    Routes routes;
    routes.metrics = &metrics;
    auto cookie = write_cookie(cfg->datadir);
    if (!cookie.ok()) {
        log_error(cookie.status().to_string());
        return 1;
    }
    routes.credential = *cookie;

    HttpServerOptions http_options;
    http_options.host = cfg->rpc_host;
    http_options.port = cfg->rpc_port;
    http_options.threads = kHttpThreads;
    http_options.max_body_bytes = max_rpc_body_bytes(*params);
    http_options.max_connections = kMaxRpcConnections;
    http_options.too_large_response = {413, "application/json", rpc_too_large_body(), false};
    auto server = HttpServer::start(http_options, std::ref(routes));
    if (!server.ok()) {
        log_error(server.status().to_string());
        remove_cookie(cfg->datadir);
        return 1;
    }
    if (cfg->rpc_host != "127.0.0.1" && cfg->rpc_host != "localhost" && cfg->rpc_host != "::1")
        log_warn("RPC is bound to ", cfg->rpc_host, ": reachable from other machines, over plain HTTP");
    log_info("RPC listening on ", cfg->rpc_host, ":", (*server)->port(), " (cookie ", cfg->datadir, "/",
             rpc::kCookieFileName, ")");

    int exit_code = 0;
    {
        auto db = Database::open(cfg->datadir + "/chain");
        if (!db.ok()) {
            log_error(db.status().to_string());
            (*server)->stop();
            remove_cookie(cfg->datadir);
            return 1;
        }
        auto chain = ChainManager::open(**db, *params);
        if (!chain.ok()) {
            log_error("cannot load the chain: ", chain.status().to_string());
            (*server)->stop();
            remove_cookie(cfg->datadir);
            return 1;
        }
        BlobLimits blob_limits;
        if (cfg->blob_store_mib) blob_limits.max_total_bytes = *cfg->blob_store_mib << 20;
        auto blobs = BlobStore::open(**db, blob_limits);
        if (!blobs.ok()) {
            log_error("cannot load the blob store: ", blobs.status().to_string());
            (*server)->stop();
            remove_cookie(cfg->datadir);
            return 1;
        }
        Mempool mempool(*params);
        Node node(**chain, mempool, metrics);
        // Before ready: the first RPC call already sees the restored pool. Never fatal.
        load_mempool(cfg->datadir, {mempool.max_bytes(), static_cast<size_t>(params->max_tx_bytes)},
                     [&](const pb::Transaction& tx) { return node.submit_transaction(tx); });
        node.refresh_metrics();
        PeriodicMempoolSaver mempool_saver(node, cfg->datadir);
        mempool_saver.start();
        std::atomic<bool> stopping{false};
        RpcDispatcher dispatcher(&metrics);
        register_chain_methods(dispatcher, node, stopping);
        register_market_methods(dispatcher, node);
        register_blob_methods(dispatcher, **blobs);
        routes.dispatcher = &dispatcher;
        routes.ready = true;
        log_info("ready: height ", (*chain)->tip().height);

        std::optional<Miner> miner;
        if (cfg->mine) {
            miner.emplace(node, *miner_address);
            miner->start();
        }

        int sig = 0;
        sigwait(&signals, &sig);
        log_info("received ", sig == SIGINT ? "SIGINT" : "SIGTERM", ", shutting down");
        routes.ready = false;
        stopping = true;
        if (miner) miner->stop();
        (*server)->stop();  // waits for in-flight requests; `generate` sees `stopping`
        routes.dispatcher = nullptr;
        // Nothing changes the pool any more: this save is its final content.
        mempool_saver.stop();
        if (auto saved = save_mempool(node, cfg->datadir); saved.ok()) {
            log_info("mempool: saved ", node.mempool_info().size, " transactions to ", mempool_file_path(cfg->datadir));
        } else {
            log_error("cannot save the mempool: ", saved.to_string());
        }
    }
    remove_cookie(cfg->datadir);
    log_info("shutdown complete");
    set_log_file("");
    return exit_code;
}

}  // namespace
}  // namespace step::node

int main(int argc, char** argv) {
    try {
        return step::node::run(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "stepd: fatal: " << e.what() << "\n";
        return 1;
    }
}
