// Internal: split an output range across the pool in fixed blocks. Blocks partition outputs
// only, so the split never changes a bit.
#pragma once

#include <algorithm>
#include <cstddef>

#include "kernels/exec.h"

namespace step::kernels::detail {

// fn(begin, end) over [0, n) in blocks of `grain`.
template <class Fn>
void for_blocks(const Exec& ex, size_t n, size_t grain, Fn&& fn) {
    if (n == 0) return;
    size_t blocks = (n + grain - 1) / grain;
    if (!ex.pool || ex.pool->size() <= 1 || blocks <= 1) {
        fn(size_t{0}, n);
        return;
    }
    ex.pool->parallel_for(blocks, [&](size_t b) {
        size_t lo = b * grain;
        fn(lo, std::min(n, lo + grain));
    });
}

inline constexpr size_t kElementGrain = 16384;

// Whether a fast op takes its AVX2(+FMA) body: ex.simd asks for vectors and this CPU has them
// (ops_fast.cc). Out of line, so files built with -mavx2 never define it.
bool use_avx2(const Exec& ex);

}  // namespace step::kernels::detail
