// Fail fast on CUDA runtime errors, with file and line (llm.c's cudaCheck). The Backend ops return
// nothing, and a failed kernel means no result at all: aborting is the only honest outcome.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdio>
#include <cstdlib>

namespace step::kernels::cuda {

inline void check(cudaError_t err, const char* what, const char* file, int line) {
    if (err == cudaSuccess) return;
    std::fprintf(stderr, "stepchain: fatal CUDA error at %s:%d (%s): %s\n", file, line, what,
                 cudaGetErrorString(err));
    std::abort();
}

}  // namespace step::kernels::cuda

#define STEP_CUDA_CHECK(expr) ::step::kernels::cuda::check((expr), #expr, __FILE__, __LINE__)
