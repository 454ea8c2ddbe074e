// Work an agent does off its poll loop (docs/market.md "Agents"): training a unit, replaying an
// audit. The poll thread starts one job, keeps polling (revealing, opening, answering
// challenges) and takes the result once the job is done. The hand-off is the only thing the two
// threads share: the job owns copies of its inputs, or reads data the poll thread leaves
// unchanged until the result is taken (a dataset, the backend), and returns everything it made
// in its result, which crosses under the mutex. The job checks `stop` between pieces of work:
// cancel() sets it, and the destructor sets it and waits, so SIGTERM ends a training at the
// next checkpoint.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "common/status.h"

namespace step::wallet::agent {

template <class T>
class Background {
public:
    using Job = std::function<Result<T>(const std::atomic<bool>& stop)>;

    Background() = default;
    Background(const Background&) = delete;
    Background& operator=(const Background&) = delete;
    ~Background() { stop(); }

    // A job is running, or has finished and its result is not taken yet.
    bool busy() const { return thread_.joinable(); }

    // Starts `job` on its own thread. Only while !busy(): one job at a time.
    void start(Job job) {
        stop_.store(false);
        thread_ = std::thread([this, job = std::move(job)] {
            Result<T> r = job(stop_);
            std::lock_guard lock(mutex_);
            result_.emplace(std::move(r));
        });
    }

    // The result of the job once it has finished (busy() is false after); nullopt while it
    // runs, or when none was started.
    std::optional<Result<T>> take() {
        std::optional<Result<T>> out;
        {
            std::lock_guard lock(mutex_);
            if (!result_) return std::nullopt;
            out = std::move(result_);
            result_.reset();
        }
        thread_.join();  // the job has returned: this waits only for its thread to end
        return out;
    }

    // Asks the running job to stop at its next check (its result still comes through take()).
    void cancel() { stop_.store(true); }

    // Stops the job at its next check, waits for it and drops its result: busy() is false after.
    void stop() {
        cancel();
        if (thread_.joinable()) thread_.join();
        std::lock_guard lock(mutex_);
        result_.reset();
    }

private:
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    std::optional<Result<T>> result_;  // guarded by mutex_
    std::thread thread_;               // the poll thread's only
};

}  // namespace step::wallet::agent
