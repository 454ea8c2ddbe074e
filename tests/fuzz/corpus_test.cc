// Replays every committed corpus file of every fuzz target (tests/fuzz/corpus/<target>/) through
// the target's harness, so every normal build checks the known cases, the inputs of fixed
// findings included. A harness that crashes or throws fails this test.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz.h"

namespace fs = std::filesystem;

namespace {

fs::path corpus_root() {
    return fs::path(STEP_SOURCE_DIR) / "tests" / "fuzz" / "corpus";
}

std::vector<fs::path> corpus_files(std::string_view target) {
    std::vector<fs::path> files;
    const fs::path dir = corpus_root() / std::string(target);
    if (!fs::is_directory(dir)) return files;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.is_regular_file()) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    return files;
}

std::vector<uint8_t> read_all(const fs::path& path) {
    std::ifstream f(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("every target has a seed corpus and every corpus a target") {
    std::set<std::string> names;
    for (const auto& t : step::fuzz::targets()) {
        names.insert(std::string(t.name));
        INFO(t.name);
        CHECK(!corpus_files(t.name).empty());
    }
    CHECK(names.size() == step::fuzz::targets().size());  // no name registered twice
    for (const auto& e : fs::directory_iterator(corpus_root())) {
        INFO(e.path().filename().string());
        CHECK(names.count(e.path().filename().string()) == 1);
    }
}

TEST_CASE("every committed corpus file replays cleanly") {
    size_t replayed = 0;
    for (const auto& t : step::fuzz::targets()) {
        for (const fs::path& file : corpus_files(t.name)) {
            INFO(t.name << ": " << file.filename().string());
            const std::vector<uint8_t> bytes = read_all(file);
            CHECK_NOTHROW(t.run(bytes.data(), bytes.size()));
            ++replayed;
        }
    }
    CHECK(replayed >= step::fuzz::targets().size());
}
