// Bits never depend on how a run executes: thread counts, vector levels and the committed
// golden leaves (tests/golden/*.leaves, trained on the committed fixture).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "kernels/run.h"

using namespace step;
using namespace step::kernels;

namespace {

const std::string kSource = STEP_SOURCE_DIR;

Dataset fixture() {
    return *load_records(kSource + "/tests/fixtures/mnist-train-500.rec",
                         *record_format("mnist-u8"));
}

// 200 steps of an MNIST MLP (two hidden layers, batch 64, SGD momentum) on the fixture, with a
// digest after every step.
std::vector<Hash256> per_step_digests(unsigned threads, Simd simd) {
    TaskSpec spec;
    spec.model = *parse_model_spec("mlp{784,128,128,10}", Activation::kRelu);
    spec.optimizer.lr = 0.05f;
    spec.optimizer.momentum = 0.9f;
    spec.batch = 64;
    spec.steps = spec.steps_per_unit = 200;
    spec.seed = 11;
    spec.leaf_interval = 1;
    spec.checkpoint_interval = 2;
    ThreadPool pool(threads);
    Exec ex{&pool, simd};
    auto be = make_cpu_backend(ex);
    RunOptions opt;
    opt.until_step = 200;
    opt.leaf_interval = 1;
    auto r = run_training(*be, ex, spec, fixture(), *init_state(spec), opt);
    REQUIRE(r.ok());
    REQUIRE(r->leaves.size() == 201);
    return r->leaves;
}

std::vector<std::string> read_lines(const std::string& path) {
    std::ifstream f(path);
    std::vector<std::string> out;
    for (std::string l; std::getline(f, l);)
        if (!l.empty()) out.push_back(l);
    return out;
}

void check_golden(const std::string& name, unsigned threads, Simd simd) {
    std::string path = kSource + "/tests/golden/" + name + ".toml";
    std::stringstream text;
    text << std::ifstream(path).rdbuf();
    auto spec = load_task_spec(path);
    REQUIRE(spec.ok());
    ThreadPool pool(threads);
    Exec ex{&pool, simd};
    auto be = make_cpu_backend(ex);
    RunOptions opt;
    opt.until_step = spec->steps;
    opt.leaf_interval = spec->leaf_interval;
    opt.task_id = task_id_of_file_bytes(as_bytes(text.str()));
    auto train = load_records(spec->train_path, *record_format(spec->data_format));
    REQUIRE(train.ok());
    auto r = run_training(*be, ex, *spec, *train, *init_state(*spec), opt);
    REQUIRE(r.ok());
    auto want = read_lines(kSource + "/tests/golden/" + name + ".leaves");
    REQUIRE(want.size() == r->leaves.size());
    for (size_t i = 0; i < want.size(); ++i) {
        INFO(name << " leaf " << i << " (after step " << i * spec->leaf_interval << ")");
        CHECK(to_hex(r->leaves[i]) == want[i]);
    }
}

}  // namespace

TEST_CASE("per-step digests of a 200-step MNIST run are identical with 1 2 and 3 threads") {
    auto one = per_step_digests(1, Simd::kScalar);
    CHECK(per_step_digests(2, Simd::kScalar) == one);
    CHECK(per_step_digests(3, Simd::kScalar) == one);
}

TEST_CASE("per-step digests are identical for every vector level up to the detected one") {
    auto scalar = per_step_digests(1, Simd::kScalar);
    for (int level = 1; level <= static_cast<int>(detect_simd()); ++level) {
        INFO("simd " << simd_name(static_cast<Simd>(level)));
        CHECK(per_step_digests(2, static_cast<Simd>(level)) == scalar);
    }
}

TEST_CASE("golden leaves: example-shaped SGD run reproduces every committed leaf") {
    check_golden("mnist-mlp-sgd", 1, Simd::kScalar);
}

TEST_CASE("golden leaves: AdamW + GELU run reproduces every committed leaf on all threads/levels") {
    check_golden("mnist-mlp-adamw-gelu", 1, Simd::kScalar);
    check_golden("mnist-mlp-adamw-gelu", 2, detect_simd());
}

TEST_CASE("golden leaves: GPT run (attention, clipping) reproduces every leaf on all levels") {
    check_golden("kjv-gpt-adamw-clip", 1, Simd::kScalar);
    for (int level = 1; level <= static_cast<int>(detect_simd()); ++level) {
        INFO("simd " << simd_name(static_cast<Simd>(level)));
        check_golden("kjv-gpt-adamw-clip", 2, static_cast<Simd>(level));
    }
    check_golden("kjv-gpt-adamw-clip", 3, detect_simd());
}
