// A small valid task spec file for the wallet's task tests, over the repository's MNIST fixture.
#pragma once

#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "temp_dir.h"

namespace step::wallet::testing {

// The market tests' small task: mlp{784,16,10}, 2 rounds x 2 units of 8 steps, L = 2, C = 4,
// V = Q = 2, over the 500-digit fixture. `edits` replaces whole lines "key = value" (keys of
// [optimizer], [split] and [audit] as "optimizer.lr", "split.units", "audit.leaves").
inline std::string write_spec(const TempDir& dir, const std::map<std::string, std::string>& edits = {}) {
    std::map<std::string, std::string> top = {
        {"kernel_version", "1"}, {"loss", "\"softmax-xent\""}, {"batch", "8"}, {"steps", "16"},
        {"seed", "7"}, {"leaf_interval", "2"}, {"checkpoint_interval", "4"},
        {"budget", "4000000000"}, {"unit_bond", "3000000000"}};
    std::map<std::string, std::string> optimizer = {{"kind", "\"sgd\""}, {"lr", "0.05"}, {"momentum", "0.5"}};
    std::map<std::string, std::string> split = {{"units", "2"}, {"steps_per_unit", "8"}};
    std::map<std::string, std::string> audit = {{"verifiers", "2"}, {"leaves", "2"}};
    for (const auto& [k, v] : edits) {
        if (k.rfind("optimizer.", 0) == 0) optimizer[k.substr(10)] = v;
        else if (k.rfind("split.", 0) == 0) split[k.substr(6)] = v;
        else if (k.rfind("audit.", 0) == 0) audit[k.substr(6)] = v;
        else top[k] = v;
    }
    const std::string fixtures = std::string(STEP_SOURCE_DIR) + "/tests/fixtures/";
    std::ostringstream s;
    for (const auto& [k, v] : top) s << k << " = " << v << "\n";
    s << "[model]\narch = \"mlp{784,16,10}\"\nactivation = \"relu\"\n[optimizer]\n";
    for (const auto& [k, v] : optimizer) s << k << " = " << v << "\n";
    s << "[data]\nformat = \"mnist-u8\"\ntrain = \"" << fixtures << "mnist-train-500.rec\"\ntest = \""
      << fixtures << "mnist-test-200.rec\"\n[split]\n";
    for (const auto& [k, v] : split) s << k << " = " << v << "\n";
    s << "[audit]\n";
    for (const auto& [k, v] : audit) s << k << " = " << v << "\n";
    const std::string path = dir.sub("task.toml");
    std::ofstream(path) << s.str();
    return path;
}

}  // namespace step::wallet::testing
