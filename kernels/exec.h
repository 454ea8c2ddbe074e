// How a kernel runs: on which threads and with which vector level. Never changes results.
#pragma once

#include "kernels/parallel.h"
#include "kernels/simd.h"

namespace step::kernels {

struct Exec {
    ThreadPool* pool = nullptr;  // nullptr: run on the calling thread
    Simd simd = Simd::kScalar;

    unsigned threads() const { return pool ? pool->size() : 1; }
};

}  // namespace step::kernels
