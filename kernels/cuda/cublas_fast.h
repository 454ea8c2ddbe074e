// NOT CONSENSUS. A CUDA backend whose matrix multiplies go through cuBLAS (its own reduction
// order, possibly tensor cores): faster on some shapes, different bits. Only the three matmuls
// change; every other op is the exact CUDA one, so any model (the MLP and the GPT in step-bench
// cuda-step) gets its "cuBLAS path" from this one backend. For benchmarks and for
// evaluating finished models only; nothing it computes may be committed to the chain
// (PROTOCOL.md section 1). Linked into step-bench only, never into the node or the verifier.
#pragma once

#include <memory>

#include "common/status.h"
#include "kernels/backend.h"

namespace step::kernels {

// name() is "cuda-cublas". Errors: "cuda-unavailable".
Result<std::unique_ptr<Backend>> make_cublas_fast_backend(const Exec& ex);

}  // namespace step::kernels
