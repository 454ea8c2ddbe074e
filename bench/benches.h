// The benchmark table of step-bench. Each entry's function lives in bench/<part>_<name>.cc.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace step::bench {

// A benchmark's own check failed (its workload did not do what it measures).
inline constexpr ErrorCode kBenchFailed{"bench", ErrorCategory::kInternal};

struct Entry {
    const char* name;
    const char* what;
    int (*run)(const std::vector<std::string>& args);
};

// Defined in main.cc from the per-part lists below.
const std::vector<Entry>& all_benches();

}  // namespace step::bench
