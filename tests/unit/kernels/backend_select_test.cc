// --backend auto|cpu|cuda: auto takes CUDA exactly when a device is usable, else the CPU, and
// says why; a name this build cannot make is an error, never a silent fallback.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "kernels/backend_select.h"
#include "kernels/errors.h"
#include "tests/support/status_check.h"

using namespace step::kernels;

TEST_CASE("auto takes the CUDA backend when a device is usable, else the CPU, and says why") {
    const Exec ex{};
    auto chosen = choose_backend(kBackendAuto, ex);
    REQUIRE(chosen.ok());
    const std::string why_not = cuda_unusable_reason();
    const auto usable = usable_backends();
    REQUIRE(usable.front() == kBackendCpu);
    if (why_not.empty()) {
        CHECK(chosen->backend->name() == kBackendCuda);
        CHECK(std::find(usable.begin(), usable.end(), kBackendCuda) != usable.end());
        CHECK(chosen->note.rfind("cuda backend on ", 0) == 0);
    } else {
        CHECK(chosen->backend->name() == kBackendCpu);
        CHECK(usable.size() == 1);
        CHECK(chosen->note == why_not + "; using the CPU backend");
    }
}

TEST_CASE("a backend asked for by name is that backend or an error") {
    const Exec ex{};
    auto cpu = choose_backend(kBackendCpu, ex);
    REQUIRE(cpu.ok());
    CHECK(cpu->backend->name() == kBackendCpu);
    CHECK(cpu->note == "cpu backend");
    CHECK(choose_backend("tpu", ex).status() == codes::kUnknownBackend);
    auto cuda = choose_backend(kBackendCuda, ex);
    if (cuda_unusable_reason().empty()) {
        REQUIRE(cuda.ok());
        CHECK(cuda->backend->name() == kBackendCuda);
    } else {
#if defined(STEP_HAVE_CUDA)
        CHECK(cuda.status() == codes::kCudaUnavailable);
#else
        CHECK(cuda.status() == codes::kBackendUnavailable);
#endif
    }
}
