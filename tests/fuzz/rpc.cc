// The JSON-RPC front door: one HTTP body through RpcDispatcher::handle, the entry the HTTP server
// calls, with the chain, market and blob methods of a devnet node registered (each method's params
// reader runs on whatever the body names). The node lives in a private temporary directory with
// a fixed clock and two mined blocks. The shutdown flag is set, so `generate` checks its params
// and mines nothing; net methods need live sockets and are not registered. Every answer must be
// JSON.
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "consensus/params.h"
#include "node/chain/chain_manager.h"
#include "node/mempool.h"
#include "node/metrics.h"
#include "node/node.h"
#include "node/rpc/blob_methods.h"
#include "node/rpc/chain_methods.h"
#include "node/rpc/dispatcher.h"
#include "node/rpc/market_methods.h"
#include "node/storage/blob_store.h"
#include "node/storage/database.h"
#include "tests/fuzz/fuzz.h"

namespace {

using namespace step;
using namespace step::node;

struct RpcNode {
    std::string dir;
    uint64_t now = consensus::devnet_params().genesis_timestamp + 1000;
    std::atomic<bool> stop{false};
    std::unique_ptr<Database> db;
    std::unique_ptr<ChainManager> chain;
    std::unique_ptr<Mempool> mempool;
    std::unique_ptr<BlobStore> blobs;
    Metrics metrics;
    std::unique_ptr<Node> node;
    std::unique_ptr<RpcDispatcher> dispatcher;

    RpcNode() {
        std::string templ = "/tmp/step-fuzz-rpc-XXXXXX";
        STEP_FUZZ_CHECK(::mkdtemp(templ.data()) != nullptr);
        dir = templ;
        const auto& p = consensus::devnet_params();
        auto d = Database::open(dir + "/db");
        STEP_FUZZ_CHECK(d.ok());
        db = std::move(*d);
        auto c = ChainManager::open(*db, p, [this] { return now; });
        STEP_FUZZ_CHECK(c.ok());
        chain = std::move(*c);
        mempool = std::make_unique<Mempool>(p);
        auto b = BlobStore::open(*db);
        STEP_FUZZ_CHECK(b.ok());
        blobs = std::move(*b);
        node = std::make_unique<Node>(*chain, *mempool, metrics, [this] { return now; });
        for (int i = 0; i < 2; ++i) {
            auto mined = node->mine_block(consensus::Address{}, stop);
            STEP_FUZZ_CHECK(mined.ok() && mined->has_value());
        }
        stop = true;  // from here on `generate` mines nothing
        dispatcher = std::make_unique<RpcDispatcher>(&metrics);
        register_chain_methods(*dispatcher, *node, stop);
        register_market_methods(*dispatcher, *node);
        register_blob_methods(*dispatcher, *blobs);
    }
    ~RpcNode() {
        dispatcher.reset();
        node.reset();
        blobs.reset();
        mempool.reset();
        chain.reset();
        db.reset();
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
};

}  // namespace

STEP_FUZZ_TARGET(rpc) {
    static RpcNode n;
    const std::string body(reinterpret_cast<const char*>(data), size);
    int http_status = 0;
    const std::string answer = n.dispatcher->handle(body, /*authorized=*/true, http_status);
    STEP_FUZZ_CHECK(http_status >= 200 && http_status < 600);
    STEP_FUZZ_CHECK(answer.empty() || nlohmann::json::accept(answer));
}
