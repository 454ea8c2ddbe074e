// A program's --backend option (step-train, step-wallet agent): "cpu", "cuda", or "auto", which
// takes the CUDA backend when this build has it and a device is usable, else the CPU reference.
// Every backend computes the same bits (kernels/backend.h), so the choice changes speed only.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "kernels/backend.h"

namespace step::kernels {

inline constexpr char kBackendAuto[] = "auto";
inline constexpr char kBackendCpu[] = "cpu";
inline constexpr char kBackendCuda[] = "cuda";

struct BackendChoice {
    std::unique_ptr<Backend> backend;
    // One line for the program's first log: the backend and its device, or why "auto" did not
    // take CUDA ("no CUDA device: ...; using the CPU backend").
    std::string note;
};

// Errors: unknown-backend, backend-unavailable (cuda in a build without it), cuda-unavailable
// (cuda asked for by name, no device).
Result<BackendChoice> choose_backend(std::string_view name, const Exec& ex);

// The backends that can run on this machine now: "cpu", then "cuda" when a device is usable.
std::vector<std::string> usable_backends();
// Why the CUDA backend cannot run here ("this build has no CUDA backend", "no CUDA device: ..."),
// or empty when it can.
std::string cuda_unusable_reason();

}  // namespace step::kernels
