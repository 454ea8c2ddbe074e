// stepd's start-up and shut-down wiring, as Bitcoin Core's init.cpp: what a running node is made
// of (NodeContext), the order its parts start in (start_node) and the order they stop in
// (stop_node). stepd_main.cc only reads the configuration, calls these and waits for a signal.
//
// Start-up: datadir lock, debug.log, cookie, HTTP (live, not ready: /health/live answers while
// the chain loads), database, chain, blob store, mempool and mempool.dat, P2P, RPC methods
// (ready), miner. Shut-down: not ready, miner, HTTP (in-flight requests finish), P2P, the
// final mempool save; then NodeContext's members are destroyed, each before what it uses.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "consensus/keys.h"
#include "consensus/params.h"
#include "node/config.h"
#include "node/datadir.h"
#include "node/http_server.h"
#include "node/mempool.h"
#include "node/mempool_persistence.h"
#include "node/network.h"
#include "node/metrics.h"
#include "node/miner.h"
#include "node/node.h"
#include "node/rpc/dispatcher.h"
#include "node/storage/blob_store.h"
#include "node/storage/database.h"

namespace step::node {

// stepd's exit status.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // a part failed to start (datadir, RPC port, chain, ...)
inline constexpr int kExitUsage = 2;    // the configuration is wrong: nothing was started
// The database failed: damaged or unreadable at start-up, or, while running, a write it refused
// (a full disk) or a read that met corruption under a block connect, the miner or the mempool.
// Nothing acknowledged was lost; the data directory opens again once the cause is fixed
// (docs/storage.md "When storage fails").
inline constexpr int kExitStorage = 3;

// What the HTTP server answers: health, metrics, the dashboard (node/dashboard.h) and JSON-RPC. It
// is up before the chain loads, so the RPC dispatcher is set only once the node is ready (until
// then JSON-RPC answers "not ready").
struct HttpRoutes {
    std::atomic<bool> ready{false};
    std::atomic<RpcDispatcher*> dispatcher{nullptr};
    std::string credential;  // the cookie's "user:secret"
    Metrics* metrics = nullptr;

    HttpResponse operator()(const HttpRequest& req) const;
};

// Everything a running stepd holds. Members are declared so that each is destroyed before what it
// uses (destruction runs bottom-up): whatever start_node got through is torn down in the right
// order on every way out, and only the orderly extras (stop flags, the final mempool save) are
// stop_node's.
struct NodeContext {
    // Set by the first storage failure met while running (storage_failed): stepd stops and
    // exits kExitStorage. request_stop wakes stepd's main thread (unset in tests). First, so
    // they outlive every part that may report a failure.
    std::atomic<bool> storage_failure{false};
    std::function<void()> request_stop;

    // From the configuration, checked by apply_config before anything starts.
    NodeConfig config;
    const consensus::Params* params = nullptr;
    std::optional<consensus::Address> miner_address;

    DatadirLock lock;
    Metrics metrics;
    HttpRoutes routes;
    std::optional<CookieFile> cookie;

    std::unique_ptr<Database> db;
    std::unique_ptr<ChainManager> chain;
    std::unique_ptr<BlobStore> blobs;
    std::unique_ptr<Mempool> mempool;
    std::unique_ptr<Node> node;
    std::unique_ptr<PeriodicMempoolSaver> mempool_saver;

    // P2P: declared after the node and chain it calls into (so destroyed before them), started
    // once the chain is loaded, stopped once HTTP has stopped and before the final mempool save.
    std::unique_ptr<Network> network;

    std::atomic<bool> stopping{false};  // long RPC calls (generate) return once it is set
    std::unique_ptr<RpcDispatcher> dispatcher;
    std::optional<Miner> miner;
    // Last, so destroyed first: its handlers read the routes, the dispatcher and the node.
    std::unique_ptr<HttpServer> http;
};

// Reads the configuration: argv (without the program name), the STEPD_* environment and the
// config file (NodeConfig's precedence).
Result<NodeConfig> read_config(int argc, char** argv);

// Takes `config` into `ctx`: its network's parameters and the miner's address. False, after
// logging why, when they are wrong (exit with kExitUsage).
bool apply_config(NodeContext& ctx, const NodeConfig& config);

// Starts every part in order. Returns kExitOk, or the exit code after logging why a part
// failed (kExitStorage when the database is damaged or unreadable, kExitFailure otherwise):
// what did start is stopped by ctx's destructor.
int start_node(NodeContext& ctx);

// The node cannot go on with its storage (node/storage/database.h): logs the cause once, stops
// reporting ready and calls ctx.request_stop; stepd then stops as after a signal and exits
// kExitStorage. Safe from any thread, any number of times.
void storage_failed(NodeContext& ctx, const Status& why);

// stepd's exit code after stop_node: kExitStorage after a storage failure, kExitOk otherwise.
int exit_code(const NodeContext& ctx);

// The orderly stop after a signal: refuses new work, stops the miner, HTTP and P2P, and saves
// the mempool once nothing can change it. The parts are closed when ctx is destroyed.
void stop_node(NodeContext& ctx);

}  // namespace step::node
