// step-train --check: retrains every committed golden run (tests/golden/*.toml on the fixture
// data) and compares each leaf with the committed tests/golden/*.leaves.
#pragma once

#include <string>

#include "kernels/backend.h"

namespace step::kernels {

// Prints one line per run; returns 0 when every leaf matches, 1 otherwise (2 on a setup error).
int check_golden_runs(const std::string& golden_dir, Backend& backend, const Exec& ex, bool json);

// Reads a file into a string; false when it cannot be opened.
bool read_text_file(const std::string& path, std::string& out);

}  // namespace step::kernels
