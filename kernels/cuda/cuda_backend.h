// The CUDA backend (built only with STEP_HAVE_CUDA): every op bitwise equal to the CPU reference
// (kernels/ops.h, kernels/gemm.h), so a node without a GPU can re-check any GPU-trained step.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "kernels/backend.h"

namespace step::kernels {

// True when the CUDA runtime reports at least one usable device.
bool cuda_available();
// "NVIDIA H100 80GB HBM3 (sm_90)", or why there is none.
std::string cuda_device_description();
// Errors: "cuda-unavailable" when there is no usable device.
Result<std::unique_ptr<Backend>> make_cuda_backend(const Exec& ex);

}  // namespace step::kernels
