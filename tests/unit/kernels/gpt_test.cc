// The byte-level GPT of the registry (kernels/model_gpt.cc): its size and price, whole-model
// causality, bitwise equality across threads and vector levels, and resuming.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <sstream>

#include "kernels/backend.h"
#include "kernels/data_import.h"
#include "kernels/detmath.h"
#include "kernels/errors.h"
#include "kernels/op_flops.h"
#include "kernels/parallel.h"
#include "kernels/run.h"
#include "kernels/simd.h"
#include "tests/support/status_check.h"

using namespace step;
using namespace step::kernels;

namespace {

Dataset text_fixture() {
    std::ifstream f(std::string(STEP_SOURCE_DIR) + "/tests/fixtures/kjv-genesis-16k.txt",
                    std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    const std::string text = s.str();
    auto split = import_text(ByteSpan(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
    REQUIRE(split.ok());
    return split->train;
}

TaskSpec gpt_spec(const char* arch) {
    TaskSpec s;
    s.model = *parse_model_spec(arch, Activation::kGelu);
    s.data_format = kTextFormatName;
    s.optimizer.kind = OptimizerKind::kAdamW;
    s.optimizer.lr = 0.003f;
    s.optimizer.weight_decay = 0.01f;
    s.batch = 4;
    s.steps = s.steps_per_unit = 8;
    s.seed = 5;
    s.leaf_interval = 2;
    s.checkpoint_interval = 4;
    return s;
}

RunResult train(const TaskSpec& spec, const TrainState& from, uint64_t until, unsigned threads,
                Simd simd) {
    ThreadPool pool(threads);
    Exec ex{&pool, simd};
    auto be = make_cpu_backend(ex);
    RunOptions opt;
    opt.until_step = until;
    opt.leaf_interval = spec.leaf_interval;
    auto r = run_training(*be, ex, spec, text_fixture(), from, opt);
    REQUIRE(r.ok());
    return std::move(r).value();
}

}  // namespace

TEST_CASE("gpt{256,64,2,64,4} has the issue's 136,960 parameters and its FLOPs are pinned") {
    TaskSpec spec = gpt_spec("gpt{256,64,2,64,4}");
    spec.batch = 16;
    CHECK(*param_count(spec) == 136960);
    auto model = make_model(spec.model);
    REQUIRE(model.ok());
    uint64_t covered = 0;
    for (const NamedTensor& t : (*model)->named_tensors()) {
        CHECK(t.offset == covered);
        covered += t.count();
    }
    CHECK(covered == 136960);
    CHECK((*model)->named_tensors().back().name == "lm_head.weight");
    // The consensus price of a step at B = 16 (docs/kernels.md "The GPT"); a change here is a
    // change of every GPT task's cost.
    CHECK(*step_flops(spec) == 881413632u);
    CHECK(*state_bytes(spec) == 1643595u);  // 26% of MAX_STATE_BYTES
}

TEST_CASE("gpt dimensions are checked") {
    for (const char* arch : {"gpt{256,64,2,64}", "gpt{256,64,2,64,3}", "gpt{1,64,2,64,4}",
                             "gpt{256,0,2,64,4}", "gpt{256,64,0,64,4}"})
        CHECK(make_model(*parse_model_spec(arch, Activation::kGelu)).status() == codes::kBadModel);
    CHECK(make_model(*parse_model_spec("gpt{256,64,2,64,4}", Activation::kRelu)).status() ==
          codes::kBadModel);
    TaskSpec mnist = gpt_spec("gpt{10,784,1,16,2}");
    mnist.data_format = "mnist-u8";
    auto be = make_cpu_backend(Exec{});
    CHECK(Trainer::create(*be, mnist).status() == codes::kBadSpec);
}

TEST_CASE("a gpt's logits at a position never depend on later tokens") {
    auto model = make_model(*parse_model_spec("gpt{256,8,2,16,2}", Activation::kGelu));
    REQUIRE(model.ok());
    auto be = make_cpu_backend(Exec{});
    const uint64_t P = (*model)->param_count();
    std::vector<float> params(P);
    (*model)->init(9, params.data());
    Buffer pb = be->alloc(4 * P), tb = be->alloc(4 * 8);
    be->upload(pb.f(), params.data(), 4 * P);
    auto run = (*model)->bind(*be, 1);
    auto logits_of = [&](std::vector<int32_t> tokens) {
        be->upload(tb.i32(), tokens.data(), 4 * tokens.size());
        const float* l = run->forward(pb.f(), ModelInput{nullptr, tb.i32()});
        std::vector<float> out(8 * 256);
        be->download(out.data(), l, 4 * out.size());
        return out;
    };
    auto a = logits_of({72, 101, 108, 108, 111, 32, 119, 111});
    auto b = logits_of({72, 101, 108, 108, 200, 0, 255, 1});
    for (size_t i = 0; i < 4 * 256; ++i) CHECK(float_bits(a[i]) == float_bits(b[i]));
    CHECK(a[4 * 256] != b[4 * 256]);
}

TEST_CASE("gpt training steps are bitwise equal at 1 2 and 3 threads and every vector level") {
    TaskSpec spec = gpt_spec("gpt{256,64,1,32,2}");
    auto start = *init_state(spec);
    auto one = train(spec, start, 4, 1, Simd::kScalar);
    REQUIRE(one.leaves.size() == 3);
    CHECK(one.losses.back() < one.losses.front());
    CHECK(train(spec, start, 4, 3, Simd::kScalar).leaves == one.leaves);
    for (int level = 1; level <= static_cast<int>(detect_simd()); ++level) {
        INFO("simd " << simd_name(static_cast<Simd>(level)));
        CHECK(train(spec, start, 4, 2, static_cast<Simd>(level)).leaves == one.leaves);
    }
}

TEST_CASE("resuming a gpt run from a checkpoint equals running straight through") {
    TaskSpec spec = gpt_spec("gpt{256,64,1,32,2}");
    auto start = *init_state(spec);
    auto straight = train(spec, start, 8, 2, detect_simd());
    auto half = train(spec, start, 4, 2, detect_simd());
    auto loaded = state_from_bytes(state_to_bytes(half.final_state));
    REQUIRE(loaded.ok());
    auto rest = train(spec, *loaded, 8, 2, detect_simd());
    CHECK(state_to_bytes(rest.final_state) == state_to_bytes(straight.final_state));
    // Leaves at steps 4, 6, 8: the resumed run's equal the straight run's.
    REQUIRE(rest.leaves.size() == 3);
    for (size_t i = 0; i < 3; ++i) CHECK(rest.leaves[i] == straight.leaves[i + 2]);
}

TEST_CASE("max_grad_norm clips the gradient before the optimiser and prices the clipping") {
    TaskSpec spec = gpt_spec("gpt{256,64,1,32,2}");
    auto start = *init_state(spec);
    auto plain = train(spec, start, 2, 2, detect_simd());
    TaskSpec clipped = spec;
    clipped.optimizer.max_grad_norm = 0.05f;  // below the initial gradient norm: every step clips
    auto c1 = train(clipped, start, 2, 1, Simd::kScalar);
    CHECK(c1.leaves[0] == plain.leaves[0]);
    CHECK(c1.leaves[1] != plain.leaves[1]);
    CHECK(train(clipped, start, 2, 3, detect_simd()).leaves == c1.leaves);
    CHECK(*step_flops(clipped) == *step_flops(spec) + clip_grad_norm_flops(*param_count(spec)));
    // The trainer's gradient after a step is the clipped one.
    ThreadPool pool(1);
    Exec ex{&pool, Simd::kScalar};
    auto be = make_cpu_backend(ex);
    auto t = Trainer::create(*be, clipped);
    REQUIRE(t.ok());
    REQUIRE((*t)->load(start).ok());
    Dataset data = text_fixture();
    auto idx = batch_indices(clipped.seed, data.count(), 1, 0, clipped.batch, 0);
    REQUIRE(idx.ok());
    REQUIRE((*t)->train_step(gather_records(data, *idx)).ok());
    double norm = 0;
    for (float v : (*t)->last_gradients()) norm += static_cast<double>(v) * static_cast<double>(v);
    CHECK(std::sqrt(norm) == Approx(0.05).epsilon(1e-4));
    TaskSpec bad = spec;
    bad.optimizer.max_grad_norm = -0.0f;
    CHECK(validate_task_spec(bad) == codes::kBadSpec);
}
