#include "node/mempool_persistence.h"

#include "consensus/encoding.h"
#include "consensus/proto/chain.pb.h"
#include "node/log.h"
#include "node/node.h"

namespace step::node {

MempoolLoadReport readmit_records(const std::vector<Bytes>& records,
                                  const SubmitTransaction& submit) {
    MempoolLoadReport report;
    report.total = records.size();
    for (size_t i = 0; i < records.size(); ++i) {
        auto tx = consensus::decode_tx(records[i]);
        if (!tx.ok()) {
            ++report.dropped;
            log_debug("mempool.dat record ", i, " dropped: ", tx.status().to_string());
            continue;
        }
        auto admitted = submit(*tx);
        if (!admitted.ok()) {
            ++report.dropped;
            log_debug("mempool.dat record ", i, " dropped: ", admitted.status().to_string());
            continue;
        }
        ++report.accepted;
    }
    return report;
}

std::string mempool_file_path(const std::string& datadir) {
    return datadir + "/" + std::string(kMempoolFileName);
}

MempoolLoadReport load_mempool(const std::string& datadir, const MempoolFileLimits& limits,
                               const SubmitTransaction& submit) {
    const std::string path = mempool_file_path(datadir);
    RecordFileLoad load = load_record_file(path, mempool_file_format(limits), "an empty mempool");
    if (!load.loaded) {
        MempoolLoadReport report;
        report.file_status = load.file_status;
        return report;
    }
    MempoolLoadReport report = readmit_records(load.records, submit);
    log_info("mempool: loaded ", report.accepted, " of ", report.total, " transactions (",
             report.dropped, " dropped) from ", path);
    return report;
}

Status save_mempool(const Node& node, const std::string& datadir) {
    const auto txs = node.mempool_transactions();
    STEP_TRY(write_mempool_file(mempool_file_path(datadir), txs));
    log_debug("mempool: saved ", txs.size(), " transactions");
    return Status();
}

PeriodicMempoolSaver::PeriodicMempoolSaver(const Node& node, std::string datadir,
                                           std::chrono::milliseconds interval)
    : node_(node), datadir_(std::move(datadir)), interval_(interval) {}

void PeriodicMempoolSaver::start() {
    std::lock_guard lock(mutex_);
    if (thread_.joinable()) return;
    stopping_ = false;
    // Read here, not in the thread: a change made right after start() must count as a change.
    const uint64_t on_disk = node_.mempool_generation();
    thread_ = std::thread([this, on_disk] { run(on_disk); });
}

void PeriodicMempoolSaver::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void PeriodicMempoolSaver::run(uint64_t saved_generation) {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        if (wake_.wait_for(lock, interval_, [this] { return stopping_; })) break;
        const uint64_t generation = node_.mempool_generation();
        if (generation == saved_generation) continue;
        lock.unlock();  // stop() must not wait on the lock behind a long write
        const Status s = save_mempool(node_, datadir_);
        lock.lock();
        if (s.ok()) {
            saved_generation = generation;
        } else {
            log_warn("periodic mempool save failed: ", s.to_string());
        }
    }
}

}  // namespace step::node
