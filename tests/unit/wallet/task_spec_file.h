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
// [model], [optimizer], [data], [split] and [audit] as "model.arch", "optimizer.lr",
// "data.train", "split.units", "audit.leaves"; values as TOML writes them, strings quoted).
inline std::string write_spec(const TempDir& dir, const std::map<std::string, std::string>& edits = {}) {
    std::map<std::string, std::string> top = {
        {"kernel_version", "1"}, {"loss", "\"softmax-xent\""}, {"batch", "8"}, {"steps", "16"},
        {"seed", "7"}, {"leaf_interval", "2"}, {"checkpoint_interval", "4"},
        {"budget", "4000000000"}, {"unit_bond", "3000000000"}};
    const std::string fixtures = std::string(STEP_SOURCE_DIR) + "/tests/fixtures/";
    using Table = std::map<std::string, std::string>;
    std::map<std::string, Table> tables = {
        {"model", {{"arch", "\"mlp{784,16,10}\""}, {"activation", "\"relu\""}}},
        {"optimizer", {{"kind", "\"sgd\""}, {"lr", "0.05"}, {"momentum", "0.5"}}},
        {"data",
         {{"format", "\"mnist-u8\""},
          {"train", "\"" + fixtures + "mnist-train-500.rec\""},
          {"test", "\"" + fixtures + "mnist-test-200.rec\""}}},
        {"split", {{"units", "2"}, {"steps_per_unit", "8"}}},
        {"audit", {{"verifiers", "2"}, {"leaves", "2"}}}};
    for (const auto& [k, v] : edits) {
        const size_t dot = k.find('.');
        if (dot != std::string::npos && tables.count(k.substr(0, dot)))
            tables[k.substr(0, dot)][k.substr(dot + 1)] = v;
        else
            top[k] = v;
    }
    std::ostringstream s;
    for (const auto& [k, v] : top) s << k << " = " << v << "\n";
    for (const char* table : {"model", "optimizer", "data", "split", "audit"}) {
        s << "[" << table << "]\n";
        for (const auto& [k, v] : tables[table]) s << k << " = " << v << "\n";
    }
    const std::string path = dir.sub("task.toml");
    std::ofstream(path) << s.str();
    return path;
}

}  // namespace step::wallet::testing
