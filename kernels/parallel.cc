// A persistent worker pool. The calling thread takes a share of every job, so ThreadPool(n)
// starts n - 1 workers. Indices are handed out in small chunks from one atomic counter: which
// thread runs which index varies from call to call, which is harmless because fn(i) writes only
// outputs owned by i (parallel.h) and never splits a reduction.
//
// Every thread that runs part of a job must use the exact FP control state (PROTOCOL.md
// section 1): workers set it when they start and check it before every job, and the caller is
// checked on entry; a wrong state aborts with a message instead of producing divergent bits.
#include "kernels/parallel.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include "kernels/fp_control.h"

namespace step::kernels {

namespace {
// How long a thread polls before sleeping on a condition variable. Training calls the pool
// back to back (one GEMM after another), so a short poll saves the wake-up latency; it is kept
// short because the machines we run on are often shared.
constexpr int kSpinIterations = 4000;

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#endif
}

// Nesting depth of parallel_for on this thread: a nested call runs inline (the pool is busy
// with the outer job, and waiting for it from inside would deadlock).
thread_local int t_parallel_depth = 0;
}  // namespace

// Job admission word: generation (high 32 bits) | closed flag (bit 31) | active workers (low
// 31 bits). A worker joins job g only by a compare-and-swap that sees generation g still open,
// so a worker that wakes late never touches a finished job, and the caller never waits for a
// worker that has not joined: it closes the job once every index is claimed and waits only for
// the workers still running a claimed chunk.
constexpr uint64_t kClosed = uint64_t{1} << 31;
constexpr uint64_t kActiveMask = kClosed - 1;
constexpr uint64_t generation_of(uint64_t word) { return word >> 32; }

struct ThreadPool::Impl {
    unsigned threads = 1;
    std::vector<std::thread> workers;

    std::mutex call_mutex;  // one job at a time when several threads share a pool

    std::atomic<uint64_t> admission{kClosed};  // generation 0: closed
    std::mutex mutex;                          // guards sleeping on the condition variables
    std::condition_variable work_cv;
    std::condition_variable done_cv;
    bool stop = false;

    // The current job; written by the caller before its generation is published.
    const std::function<void(size_t)>* fn = nullptr;
    size_t n = 0;
    size_t chunk = 1;
    std::atomic<size_t> next{0};

    void run_share() {
        ++t_parallel_depth;
        for (;;) {
            size_t begin = next.fetch_add(chunk, std::memory_order_relaxed);
            if (begin >= n) break;
            size_t end = begin + chunk < n ? begin + chunk : n;
            for (size_t i = begin; i < end; ++i) (*fn)(i);
        }
        --t_parallel_depth;
    }

    // Joins the open job of a generation other than `seen`, or returns false after sleeping
    // (or on stop). On true, `seen` is the joined generation.
    bool join(uint64_t& seen) {
        uint64_t word = admission.load(std::memory_order_acquire);
        for (int spin = 0; spin < kSpinIterations; ++spin) {
            if (generation_of(word) != seen && !(word & kClosed)) {
                if (admission.compare_exchange_weak(word, word + 1, std::memory_order_acq_rel,
                                                    std::memory_order_acquire)) {
                    seen = generation_of(word);
                    return true;
                }
                continue;
            }
            if (generation_of(word) != seen) seen = generation_of(word);  // missed: closed
            cpu_relax();
            word = admission.load(std::memory_order_acquire);
        }
        std::unique_lock<std::mutex> lock(mutex);
        work_cv.wait(lock, [&] {
            uint64_t w = admission.load(std::memory_order_acquire);
            return stop || (generation_of(w) != seen && !(w & kClosed));
        });
        return false;
    }

    void worker_main() {
        set_fp_control_exact();
        require_fp_control_exact("kernel pool worker start-up");
        uint64_t seen = 0;
        for (;;) {
            if (!join(seen)) {
                std::lock_guard<std::mutex> lock(mutex);
                if (stop) return;
                continue;
            }
            // A job may have changed this thread's MXCSR (a kernel must not, but a callback
            // could): refuse to run the next one with it.
            require_fp_control_exact("kernel pool worker");
            run_share();
            uint64_t before = admission.fetch_sub(1, std::memory_order_acq_rel);
            if ((before & kClosed) && (before & kActiveMask) == 1) {
                std::lock_guard<std::mutex> lock(mutex);
                done_cv.notify_one();
            }
        }
    }
};

ThreadPool::ThreadPool(unsigned threads) : impl_(std::make_unique<Impl>()) {
    impl_->threads = threads ? threads : 1;
    impl_->workers.reserve(impl_->threads - 1);
    for (unsigned t = 1; t < impl_->threads; ++t)
        impl_->workers.emplace_back([impl = impl_.get()] { impl->worker_main(); });
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard<std::mutex> lock(impl_->mutex);
        impl_->stop = true;
    }
    impl_->work_cv.notify_all();
    for (auto& w : impl_->workers) w.join();
}

unsigned ThreadPool::size() const { return impl_->threads; }

void ThreadPool::parallel_for(size_t n, const std::function<void(size_t)>& fn) {
    require_fp_control_exact("ThreadPool::parallel_for caller");
    if (n == 0) return;
    Impl& p = *impl_;
    if (p.workers.empty() || n == 1 || t_parallel_depth > 0) {
        ++t_parallel_depth;
        for (size_t i = 0; i < n; ++i) fn(i);
        --t_parallel_depth;
        return;
    }
    std::lock_guard<std::mutex> call(p.call_mutex);
    p.fn = &fn;
    p.n = n;
    // About four chunks per thread: few atomic operations for fine-grained loops, yet some
    // balancing when the calls differ in cost.
    size_t chunk = n / (static_cast<size_t>(p.threads) * 4);
    p.chunk = chunk ? chunk : 1;
    p.next.store(0, std::memory_order_relaxed);
    uint64_t generation = generation_of(p.admission.load(std::memory_order_relaxed)) + 1;
    {
        // Published under the mutex so a worker about to sleep cannot miss it.
        std::lock_guard<std::mutex> lock(p.mutex);
        p.admission.store(generation << 32, std::memory_order_release);
    }
    p.work_cv.notify_all();

    p.run_share();

    // Every index is claimed: admit nobody else, then wait for the chunks still running.
    uint64_t before = p.admission.fetch_or(kClosed, std::memory_order_acq_rel);
    if (before & kActiveMask) {
        int spin = 0;
        while ((p.admission.load(std::memory_order_acquire) & kActiveMask) != 0 &&
               spin++ < kSpinIterations)
            cpu_relax();
        std::unique_lock<std::mutex> lock(p.mutex);
        p.done_cv.wait(lock, [&] {
            return (p.admission.load(std::memory_order_acquire) & kActiveMask) == 0;
        });
    }
    p.fn = nullptr;
}

}  // namespace step::kernels
