#include "kernels/backend_select.h"

#if defined(STEP_HAVE_CUDA)
#include "kernels/cuda/cuda_backend.h"
#endif

namespace step::kernels {
namespace {

std::string describe(const Backend& be) {
#if defined(STEP_HAVE_CUDA)
    if (be.name() == kBackendCuda) return "cuda backend on " + cuda_device_description();
#endif
    return be.name() + " backend";
}

}  // namespace

std::string cuda_unusable_reason() {
#if defined(STEP_HAVE_CUDA)
    return cuda_available() ? std::string() : cuda_device_description();
#else
    return "this build has no CUDA backend";
#endif
}

Result<BackendChoice> choose_backend(std::string_view name, const Exec& ex) {
    std::string fallback_reason;
    std::string_view chosen = name;
    if (name == kBackendAuto) {
        fallback_reason = cuda_unusable_reason();
        chosen = fallback_reason.empty() ? kBackendCuda : kBackendCpu;
    }
    auto be = make_backend(chosen, ex);
    if (!be.ok()) return be.status();
    BackendChoice out{std::move(*be), {}};
    out.note = fallback_reason.empty() ? describe(*out.backend)
                                       : fallback_reason + "; using the CPU backend";
    return out;
}

std::vector<std::string> usable_backends() {
    std::vector<std::string> out{kBackendCpu};
    if (cuda_unusable_reason().empty()) out.push_back(kBackendCuda);
    return out;
}

}  // namespace step::kernels
