// Placeholder pool: runs inline on the caller. The real worker pool (with the MXCSR check)
// replaces this in the kernels fast-path work.
#include "kernels/parallel.h"

namespace step::kernels {

struct ThreadPool::Impl {
    unsigned threads;
};

ThreadPool::ThreadPool(unsigned threads) : impl_(std::make_unique<Impl>(Impl{threads ? threads : 1})) {}
ThreadPool::~ThreadPool() = default;
unsigned ThreadPool::size() const { return impl_->threads; }
void ThreadPool::parallel_for(size_t n, const std::function<void(size_t)>& fn) {
    for (size_t i = 0; i < n; ++i) fn(i);
}

}  // namespace step::kernels
