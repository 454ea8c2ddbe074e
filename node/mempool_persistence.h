// Keeping the mempool across restarts: load <datadir>/mempool.dat at start-up (each transaction
// re-admitted through the normal path against the current tip), save it at clean shutdown and
// periodically while running, so a SIGKILL loses at most kMempoolSaveInterval of arrivals.
// The file format is node/mempool_file.h.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "node/mempool_file.h"

namespace step::pb {
class Transaction;
}

namespace step::node {

class Node;

// Between periodic saves (when the pool changed since the last one): the most a SIGKILL or
// power cut loses. A full 64 MiB pool is one sequential write per interval at worst.
inline constexpr std::chrono::seconds kMempoolSaveInterval{60};

struct MempoolLoadReport {
    size_t total = 0;     // records in the file
    size_t accepted = 0;  // back in the pool
    size_t dropped = 0;   // undecodable, or refused by admission (mined meanwhile, nonce used, ...)
    // Why the file was set aside; ok when it loaded or there was none.
    Status file_status;
};

// Admission, e.g. Node::submit_transaction or Mempool::add bound to a state.
using SubmitTransaction = std::function<Result<Hash256>(const pb::Transaction&)>;

// Decodes each record and submits it, in order; a record that fails either way is dropped and
// counted, never fatal.
MempoolLoadReport readmit_records(const std::vector<Bytes>& records, const SubmitTransaction& submit);

std::string mempool_file_path(const std::string& datadir);

// Loads <datadir>/mempool.dat when present and logs "loaded N of M transactions (K dropped)".
// A file that cannot be used (bad magic, version, checksum, size, truncation, IO) is logged
// with its code, renamed to mempool.dat.bad, and the pool starts empty: never a reason not to
// start.
MempoolLoadReport load_mempool(const std::string& datadir, const MempoolFileLimits& limits,
                               const SubmitTransaction& submit);

// Writes the node's pool to <datadir>/mempool.dat (atomically, see write_mempool_file).
Status save_mempool(const Node& node, const std::string& datadir);

// A thread that saves the pool every `interval` while it changes. stop() (or the destructor)
// returns once no save is in progress.
class PeriodicMempoolSaver {
public:
    PeriodicMempoolSaver(const Node& node, std::string datadir,
                         std::chrono::milliseconds interval = kMempoolSaveInterval);
    ~PeriodicMempoolSaver() { stop(); }
    PeriodicMempoolSaver(const PeriodicMempoolSaver&) = delete;
    PeriodicMempoolSaver& operator=(const PeriodicMempoolSaver&) = delete;

    // The file on disk is taken to match the pool as it is now (just loaded, or just saved).
    void start();
    void stop();

private:
    void run(uint64_t saved_generation);

    const Node& node_;
    std::string datadir_;
    std::chrono::milliseconds interval_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace step::node
