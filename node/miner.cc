#include "node/miner.h"

#include "node/log.h"

namespace step::node {

void Miner::start() {
    stop_ = false;
    thread_ = std::thread([this] { run(); });
}

void Miner::stop() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

bool Miner::sleep_for(std::chrono::milliseconds duration) {
    std::unique_lock lock(mutex_);
    return !wake_.wait_for(lock, duration, [this] { return stop_.load(); });
}

void Miner::run() {
    log_info("miner started, rewards to ", consensus::encode_address(address_));
    // Devnet's proof of work is trivial (every other hash wins): pace to BLOCK_TIME there.
    const bool paced = node_.params().network == "devnet";
    const auto block_time = std::chrono::seconds(node_.params().block_time_s);
    while (!stop_) {
        const auto started = std::chrono::steady_clock::now();
        auto mined = node_.mine_block(address_, stop_);
        if (!mined.ok()) {
            log_warn("miner: ", mined.status().to_string());
            if (!sleep_for(std::chrono::seconds(1))) break;
            continue;
        }
        if (mined->has_value()) log_info("mined block ", to_hex(**mined));
        if (paced) {
            const auto elapsed = std::chrono::steady_clock::now() - started;
            if (elapsed < block_time &&
                !sleep_for(std::chrono::duration_cast<std::chrono::milliseconds>(block_time - elapsed)))
                break;
        }
    }
    log_info("miner stopped");
}

}  // namespace step::node
