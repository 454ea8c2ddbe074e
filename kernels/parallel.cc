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

struct ThreadPool::Impl {
    unsigned threads = 1;
    std::vector<std::thread> workers;

    std::mutex call_mutex;  // one job at a time when several threads share a pool

    std::mutex mutex;  // guards the sleeping side of generation/stop
    std::condition_variable work_cv;
    std::condition_variable done_cv;
    std::atomic<uint64_t> generation{0};  // bumped once per job
    bool stop = false;

    // The current job; written by the caller before generation is bumped.
    const std::function<void(size_t)>* fn = nullptr;
    size_t n = 0;
    size_t chunk = 1;
    std::atomic<size_t> next{0};
    std::atomic<unsigned> pending{0};  // workers that have not finished the current job

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

    void worker_main() {
        set_fp_control_exact();
        require_fp_control_exact("kernel pool worker start-up");
        uint64_t seen = 0;
        for (;;) {
            uint64_t gen = generation.load(std::memory_order_acquire);
            for (int spin = 0; gen == seen && spin < kSpinIterations; ++spin) {
                cpu_relax();
                gen = generation.load(std::memory_order_acquire);
            }
            if (gen == seen) {
                std::unique_lock<std::mutex> lock(mutex);
                work_cv.wait(lock, [&] {
                    return stop || generation.load(std::memory_order_acquire) != seen;
                });
                if (stop) return;
                gen = generation.load(std::memory_order_acquire);
            }
            seen = gen;
            // A job may have changed this thread's MXCSR (a kernel must not, but a callback
            // could): refuse to run the next one with it.
            require_fp_control_exact("kernel pool worker");
            run_share();
            if (pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
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
    p.pending.store(static_cast<unsigned>(p.workers.size()), std::memory_order_relaxed);
    {
        std::lock_guard<std::mutex> lock(p.mutex);
        p.generation.fetch_add(1, std::memory_order_release);
    }
    p.work_cv.notify_all();

    p.run_share();

    for (int spin = 0; p.pending.load(std::memory_order_acquire) != 0 && spin < kSpinIterations;
         ++spin)
        cpu_relax();
    if (p.pending.load(std::memory_order_acquire) != 0) {
        std::unique_lock<std::mutex> lock(p.mutex);
        p.done_cv.wait(lock, [&] { return p.pending.load(std::memory_order_acquire) == 0; });
    }
    p.fn = nullptr;
}

}  // namespace step::kernels
