#include "kernels/tools/check_runs.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "kernels/run.h"

namespace step::kernels {

bool read_text_file(const std::string& path, std::string& out) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return false;
    std::stringstream ss;
    ss << f.rdbuf();
    out = ss.str();
    return true;
}

int check_golden_runs(const std::string& golden_dir, Backend& backend, const Exec& ex, bool json) {
    namespace fs = std::filesystem;
    std::vector<std::string> specs;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(golden_dir, ec))
        if (e.path().extension() == ".toml") specs.push_back(e.path().string());
    if (ec || specs.empty()) {
        std::fprintf(stderr, "step-train --check: no golden runs in %s\n", golden_dir.c_str());
        return 2;
    }
    std::sort(specs.begin(), specs.end());
    bool all_ok = true;
    for (const std::string& path : specs) {
        std::string text, golden;
        std::string leaves_path = path.substr(0, path.size() - 5) + ".leaves";
        auto spec = load_task_spec(path);
        if (!read_text_file(path, text) || !spec.ok() || !read_text_file(leaves_path, golden)) {
            std::fprintf(stderr, "step-train --check: %s: %s\n", path.c_str(),
                         spec.ok() ? "missing .leaves file" : spec.status().to_string().c_str());
            return 2;
        }
        auto fmt = record_format(spec->data_format);
        auto train = load_records(spec->train_path, *fmt);
        auto start = init_state(*spec);
        if (!train.ok() || !start.ok()) {
            std::fprintf(stderr, "step-train --check: %s: %s\n", path.c_str(),
                         (train.ok() ? start.status() : train.status()).to_string().c_str());
            return 2;
        }
        RunOptions opt;
        opt.until_step = spec->steps;
        opt.leaf_interval = spec->leaf_interval;
        opt.task_id = task_id_of_file_bytes(as_bytes(text));
        auto run = run_training(backend, ex, *spec, *train, *start, opt);
        if (!run.ok()) {
            std::fprintf(stderr, "step-train --check: %s\n", run.status().to_string().c_str());
            return 2;
        }
        std::vector<std::string> want;
        std::istringstream lines(golden);
        for (std::string l; std::getline(lines, l);)
            if (!l.empty()) want.push_back(l);
        long first_diff = -1;
        size_t n = std::max(want.size(), run->leaves.size());
        for (size_t i = 0; i < n && first_diff < 0; ++i)
            if (i >= want.size() || i >= run->leaves.size() || want[i] != to_hex(run->leaves[i]))
                first_diff = static_cast<long>(i);
        std::string name = fs::path(path).stem().string();
        if (first_diff >= 0) all_ok = false;
        if (json) {
            nlohmann::json j{{"event", "check"}, {"run", name}, {"backend", backend.name()},
                             {"leaves", run->leaves.size()}, {"ok", first_diff < 0}};
            if (first_diff >= 0) {
                j["first_diff_leaf"] = first_diff;
                j["first_diff_step"] = static_cast<uint64_t>(first_diff) * spec->leaf_interval;
            }
            std::printf("%s\n", j.dump().c_str());
        } else if (first_diff < 0) {
            std::printf("check %-24s ok   (%zu leaves reproduced on %s)\n", name.c_str(),
                        run->leaves.size(), backend.name().c_str());
        } else {
            std::printf("check %-24s FAIL first differing leaf %ld (after step %llu)\n",
                        name.c_str(), first_diff,
                        static_cast<unsigned long long>(first_diff * spec->leaf_interval));
        }
        std::fflush(stdout);
    }
    return all_ok ? 0 : 1;
}

}  // namespace step::kernels
