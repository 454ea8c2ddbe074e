// TOML task specs: binary32 hyper-parameters rounded once, field-named errors, cost model.
#include <catch2/catch.hpp>

#include <cstring>

#include "kernels/detmath.h"
#include "kernels/spec.h"
#include "kernels/state.h"
#include "kernels/errors.h"
#include "tests/support/status_check.h"

using namespace step::kernels;

namespace {
const char* kBase = R"(
batch = 64
steps = 2500
seed = 1
leaf_interval = 50
[model]
arch = "mlp{784,256,256,10}"
[optimizer]
kind = "sgd"
lr = 0.05
momentum = 0.9
[data]
train = "train.rec"
)";
}  // namespace

TEST_CASE("the example spec parses with binary32 hyper-parameters and defaults") {
    auto s = load_task_spec(std::string(STEP_SOURCE_DIR) + "/examples/mnist-mlp.toml");
    REQUIRE(s.ok());
    CHECK(s->model.text() == "mlp{784,256,256,10}/relu");
    CHECK(s->optimizer.lr == 0.1f);
    CHECK(s->optimizer.momentum == 0.9f);
    CHECK(s->batch == 64);
    CHECK(s->leaf_interval == 25);
    CHECK(s->checkpoint_interval == 50);
    CHECK(s->steps_per_unit == 5000);
    CHECK(s->train_path == std::string(STEP_SOURCE_DIR) + "/examples/../data/mnist-train.rec");
}

TEST_CASE("decimal text rounds once straight to binary32 and never through double") {
    // 1 + 2^-24 + 1.6e-19: double rounding (to 1 + 2^-24, then ties-to-even) gives 1.0f; the
    // correctly rounded binary32 is 1 + 2^-23.
    auto v = parse_binary32("1.00000005960464477550");
    REQUIRE(v.ok());
    CHECK(float_bits(*v) == 0x3f800001u);
    CHECK(float_bits(*parse_binary32("0.1")) == 0x3dcccccdu);
    CHECK(parse_binary32("1e39").status() == codes::kBadNumber);
    CHECK(parse_binary32("abc").status() == codes::kBadNumber);
    // The same literal in a TOML file goes through the document's text, not toml++'s double.
    std::string text = kBase;
    text.replace(text.find("lr = 0.05"), 9, "lr = 1.00000005960464477550");
    auto s = parse_task_spec(text);
    REQUIRE(s.ok());
    CHECK(float_bits(s->optimizer.lr) == 0x3f800001u);
}

TEST_CASE("bad specs get errors naming the field") {
    auto err = [](std::string from, std::string to) {
        std::string text = kBase;
        text.replace(text.find(from), from.size(), to);
        auto s = parse_task_spec(text);
        REQUIRE(!s.ok());
        return s.status().message();
    };
    CHECK(err("lr = 0.05", "lr = inf") == "spec.optimizer.lr: must be finite");
    CHECK(err("lr = 0.05", "lr = nan") == "spec.optimizer.lr: must be finite");
    CHECK(err("lr = 0.05", "lr = \"fast\"").rfind("spec.optimizer.lr:", 0) == 0);
    CHECK(err("momentum = 0.9", "momentum = 1.5") == "spec.optimizer.momentum: must be in [0, 1)");
    CHECK(err("batch = 64", "batch = 0") == "spec.batch: must be in [1, 65536]");
    CHECK(err("kind = \"sgd\"", "kind = \"lion\"").rfind("spec.optimizer.kind:", 0) == 0);
    CHECK(err("mlp{784,256,256,10}", "mlp{784,x,10}").rfind("spec.model.arch:", 0) == 0);
    CHECK(err("mlp{784,256,256,10}", "cnn{1,2}").rfind("spec.model", 0) == 0);
    CHECK(err("seed = 1", "").rfind("spec.seed: missing", 0) == 0);
    CHECK(err("leaf_interval = 50", "leaf_interval = 7") ==
          "spec.split.steps_per_unit: must be a multiple of leaf_interval");
    CHECK(err("batch = 64", "batch = [").rfind("TOML syntax", 0) == 0);
}

TEST_CASE("cost model: parameters and state bytes and FLOPs are exact integers") {
    auto s = parse_task_spec(kBase);
    REQUIRE(s.ok());
    uint64_t P = 784 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10;
    CHECK(*param_count(*s) == P);
    CHECK(*state_bytes(*s) == 8 + 4 + 4 + 8 + 4 + std::strlen("mlp{784,256,256,10}/relu") + 16 +
                                  4 * 2 * P);
    uint64_t B = 64, gemm = 784 * 256 + 256 * 256 + 256 * 10;
    uint64_t want = 2 * B * gemm + B * (256 + 256 + 10)          // forward
                    + 2 * B * (256 + 256)                        // relu fwd + bwd
                    + 2 * B * gemm + B * (256 + 256 + 10)        // dW + db
                    + 2 * B * (256 * 256 + 256 * 10)             // dX (not layer 0)
                    + 4 * B * 10 + 6 * P;                        // loss + sgd
    CHECK(*step_flops(*s) == want);
    CHECK(*segment_flops(*s, 50) == 50 * want);
    CHECK(segment_flops(*s, ~uint64_t{0}).status() == codes::kOverflow);
}
