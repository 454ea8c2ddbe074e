// Task spec files (TOML) that step-wallet and step-train read: the parser and its validation.
// Relative paths in the spec are only resolved, never opened, so no base directory is given.
#include "kernels/spec.h"
#include "tests/fuzz/fuzz.h"

STEP_FUZZ_TARGET(task_toml) {
    using namespace step;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto spec = kernels::parse_task_spec(text);
    if (spec.ok()) STEP_FUZZ_CHECK(kernels::validate_task_spec(*spec).ok());
}
