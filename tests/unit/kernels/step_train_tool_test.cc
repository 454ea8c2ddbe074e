// The step-train tool: clear errors for bad input, and the --check self-test's verdicts.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "kernels/backend_select.h"
#include "kernels/data_import.h"

namespace {

struct Ran {
    int code;
    std::string out;
};

Ran run(const std::string& args) {
    const char* bin = std::getenv("STEP_BIN_DIR");
    std::string cmd = std::string(bin ? bin : STEP_BINARY_DIR "/bin") + "/step-train " + args + " 2>&1";
    Ran r{0, ""};
    FILE* p = popen(cmd.c_str(), "r");
    REQUIRE(p);
    char buf[4096];
    while (size_t n = fread(buf, 1, sizeof buf, p)) r.out.append(buf, n);
    int status = pclose(p);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

const std::string kSource = STEP_SOURCE_DIR;

}  // namespace

TEST_CASE("step-train: missing spec and bad spec and missing data give clear errors") {
    auto missing = run("/nonexistent/spec.toml");
    CHECK(missing.code == 1);
    CHECK(missing.out.find("cannot open spec /nonexistent/spec.toml") != std::string::npos);

    std::string dir = STEP_BINARY_DIR;
    std::ifstream in(kSource + "/tests/golden/mnist-mlp-adamw-gelu.toml");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    std::string bad = text;
    bad.replace(bad.find("lr = 0.002"), 10, "lr = -inf");
    std::ofstream(dir + "/bad-lr.toml") << bad;
    auto r = run(dir + "/bad-lr.toml");
    CHECK(r.code == 1);
    CHECK(r.out.find("spec.optimizer.lr: must be finite") != std::string::npos);

    std::string nodata = text;
    nodata.replace(nodata.find("../fixtures/mnist-train-500.rec"), 31, "/nonexistent/train.rec");
    std::ofstream(dir + "/no-data.toml") << nodata;
    auto d = run(dir + "/no-data.toml");
    CHECK(d.code == 1);
    CHECK(d.out.find("file-missing: cannot open data file /nonexistent/train.rec") !=
          std::string::npos);
    CHECK(run("--backend tpu --check").out.find("unknown-backend") != std::string::npos);
}

TEST_CASE("step-train --check reports where a run first differs from its golden leaves") {
    namespace fs = std::filesystem;
    fs::path dir = fs::path(STEP_BINARY_DIR) / "golden-tamper";
    fs::create_directories(dir);
    // Same run, one byte of spec text changed: the task id (hash of the file) changes, so every
    // leaf differs from the committed ones, starting with leaf 0.
    std::ifstream in(kSource + "/tests/golden/mnist-mlp-adamw-gelu.toml");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    text.replace(text.find("../fixtures"), 11, kSource + "/tests/fixtures");
    std::ofstream(dir / "tampered.toml") << text;
    fs::copy_file(kSource + "/tests/golden/mnist-mlp-adamw-gelu.leaves", dir / "tampered.leaves",
                  fs::copy_options::overwrite_existing);
    auto r = run("--check --golden " + dir.string());
    CHECK(r.code == 1);
    CHECK(r.out.find("FAIL first differing leaf 0") != std::string::npos);
}

TEST_CASE("step-train --check passes on the committed golden runs") {
    auto r = run("--check --threads 2");
    INFO(r.out);
    CHECK(r.code == 0);
    CHECK(r.out.find("mnist-mlp-sgd") != std::string::npos);
    CHECK(r.out.find("FAIL") == std::string::npos);
    // With the default --backend auto, every backend this machine has is checked, and one it
    // lacks is named with the reason.
    for (const std::string& name : step::kernels::usable_backends())
        CHECK(r.out.find("reproduced on " + name + ")") != std::string::npos);
    const std::string why_not = step::kernels::cuda_unusable_reason();
    if (!why_not.empty()) CHECK(r.out.find("cuda not checked: " + why_not) != std::string::npos);
}

TEST_CASE("step-train trains the tiny GPT example on the text fixture and reports bits per byte") {
    std::ifstream f(kSource + "/tests/fixtures/kjv-genesis-16k.txt", std::ios::binary);
    std::stringstream text;
    text << f.rdbuf();
    const std::string t = text.str();
    auto split = step::kernels::import_text(
        step::ByteSpan(reinterpret_cast<const uint8_t*>(t.data()), t.size()));
    REQUIRE(split.ok());
    const std::string dir = STEP_BINARY_DIR;
    REQUIRE(step::kernels::write_records(dir + "/kjv-fixture-train.rec", split->train).ok());
    REQUIRE(step::kernels::write_records(dir + "/kjv-fixture-val.rec", split->validation).ok());
    std::ifstream in(kSource + "/examples/gpt-tiny.toml");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string spec = ss.str();
    spec.replace(spec.find("../data/kjv-train.rec"), 21, dir + "/kjv-fixture-train.rec");
    spec.replace(spec.find("../data/kjv-val.rec"), 19, dir + "/kjv-fixture-val.rec");
    spec.replace(spec.find("gpt{256,64,2,64,4}"), 18, "gpt{256,64,1,32,2}");
    std::ofstream(dir + "/gpt-tiny-fixture.toml") << spec;
    const std::string state = dir + "/gpt-tiny-fixture.state";
    auto r = run(dir + "/gpt-tiny-fixture.toml --backend cpu --steps 16 --quiet --checkpoint " + state);
    INFO(r.out);
    CHECK(r.code == 0);
    // 25 validation windows of 64 predicted bytes each; an untrained model is near 8 bits.
    CHECK(r.out.find("bits per byte") != std::string::npos);
    CHECK(r.out.find("(1600 bytes)") != std::string::npos);

    // --sample: the trained state's text after the prompt, the same for the same seed.
    const std::string sample =
        dir + "/gpt-tiny-fixture.toml --resume " + state + " --sample 48 --prompt 'And God' --seed 4";
    auto s1 = run(sample), s2 = run(sample);
    INFO(s1.out);
    CHECK(s1.code == 0);
    CHECK(s1.out.rfind("And God", 0) == 0);
    CHECK(s1.out == s2.out);
    auto j = run(sample + " --output json");
    CHECK(j.out.find("\"event\":\"sample\"") != std::string::npos);
    CHECK(j.out.find("\"step\":16") != std::string::npos);
}

TEST_CASE("step-train --sample refuses an MLP spec and a negative temperature") {
    const std::string mlp = kSource + "/tests/golden/mnist-mlp-adamw-gelu.toml";
    auto r = run(mlp + " --sample 4");
    CHECK(r.code == 1);
    CHECK(r.out.find("not-language-model") != std::string::npos);
    auto bad = run(kSource + "/examples/gpt-tiny.toml --sample 4 --temperature -1");
    CHECK(bad.code == 1);
    CHECK(bad.out.find("bad-sample") != std::string::npos);
}
