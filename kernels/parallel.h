// A fixed-size worker pool. Work is split over outputs, never over a reduction (PROTOCOL.md
// section 1), so the thread count changes speed, never bits.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

namespace step::kernels {

class ThreadPool {
public:
    // `threads` counts the calling thread: ThreadPool(1) runs everything inline.
    explicit ThreadPool(unsigned threads);
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    unsigned size() const;
    // Calls fn(i) once for every i in [0, n) and returns when all calls are done. Calls may run
    // on any thread in any order; fn must only write outputs owned by index i.
    void parallel_for(size_t n, const std::function<void(size_t)>& fn);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace step::kernels
