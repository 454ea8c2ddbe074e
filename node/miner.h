// The background miner (--mine): one thread that builds templates from the mempool, grinds
// nonces, and submits found blocks through the Node. Devnet difficulty is fixed and trivial,
// so there the miner paces itself to BLOCK_TIME instead of flooding the chain.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "consensus/keys.h"
#include "node/node.h"

namespace step::node {

class Miner {
public:
    Miner(Node& node, const consensus::Address& reward_address) : node_(node), address_(reward_address) {}
    ~Miner() { stop(); }
    void start();
    void stop();  // idempotent; returns after the thread has exited

private:
    void run();
    // Sleeps up to `seconds`, returning early (false) when stopped.
    bool sleep_for(std::chrono::milliseconds duration);

    Node& node_;
    consensus::Address address_;
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    std::condition_variable wake_;
    std::thread thread_;
};

}  // namespace step::node
