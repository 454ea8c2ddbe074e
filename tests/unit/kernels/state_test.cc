// Canonical state bytes, roots, leaf digests, the K-state mean, checkpoints and resume.
#include <catch2/catch.hpp>

#include <cmath>

#include "common/coding.h"
#include "common/hash.h"
#include "common/hash_tags.h"
#include "common/merkle.h"
#include "kernels/detmath.h"
#include "kernels/run.h"
#include "kernels/errors.h"
#include "tests/support/status_check.h"

using namespace step;
using namespace step::kernels;

namespace {
TaskSpec small_spec(OptimizerKind k) {
    TaskSpec s;
    s.model = *parse_model_spec("mlp{784,16,10}", Activation::kRelu);
    s.optimizer.kind = k;
    s.optimizer.lr = k == OptimizerKind::kSgd ? 0.05f : 0.001f;
    s.optimizer.momentum = 0.9f;
    s.batch = 16;
    s.steps = 40;
    s.steps_per_unit = 40;
    s.seed = 3;
    s.leaf_interval = 10;
    s.checkpoint_interval = 20;
    return s;
}
Dataset fixture() {
    return *load_records(std::string(STEP_SOURCE_DIR) + "/tests/fixtures/mnist-train-500.rec",
                         *record_format("mnist-u8"));
}
}  // namespace

TEST_CASE("state bytes round-trip and pin their layout and canonicalise NaN") {
    auto s = init_state(small_spec(OptimizerKind::kAdamW));
    REQUIRE(s.ok());
    uint64_t P = 784 * 16 + 16 + 16 * 10 + 10;
    CHECK(s->param_count == P);
    CHECK(s->values.size() == 3 * P + 2);
    CHECK(s->values[3 * P] == 1.0f);
    s->values[5] = bits_float(0xffc01234u);
    Bytes b = state_to_bytes(*s);
    CHECK(b.size() == canonical_state_size(s->model, OptimizerKind::kAdamW, P));
    CHECK(std::string(b.begin(), b.begin() + 8) == "STEPSTAT");
    auto back = state_from_bytes(b);
    REQUIRE(back.ok());
    CHECK(float_bits(back->values[5]) == 0x7fc00000u);
    CHECK(state_to_bytes(*back) == b);
    Bytes noncanon = b;
    size_t at = b.size() - 4 * s->values.size() + 4 * 5;
    noncanon[at] = 0x01;  // 0x7fc00001: a NaN with a payload
    CHECK(state_from_bytes(noncanon).status() == codes::kBadState);
    Bytes truncated(b.begin(), b.end() - 1);
    CHECK(state_from_bytes(truncated).status() == codes::kBadState);
}

TEST_CASE("state_root is the blob root of the canonical bytes whatever the thread count") {
    auto s = init_state(small_spec(OptimizerKind::kSgd));
    REQUIRE(s.ok());
    Bytes b = state_to_bytes(*s);
    ThreadPool pool(3);
    CHECK(state_root(*s, Exec{}) == blob_root(b));
    CHECK(state_root(*s, Exec{&pool, Simd::kScalar}) == blob_root(b));
    // state_root serialises chunk by chunk: words split across chunk boundaries and NaNs with
    // payloads next to them must hash exactly as the full canonical bytes do.
    for (auto kind : {OptimizerKind::kSgd, OptimizerKind::kAdamW}) {
        auto t = init_state(small_spec(kind));
        REQUIRE(t.ok());
        const size_t header = canonical_state_size(t->model, kind, t->param_count) - 4 * t->values.size();
        REQUIRE(header % 4 != 0);  // the value words straddle chunk boundaries
        for (size_t c = 1; c * kChunkBytes < header + 4 * t->values.size(); ++c)
            for (int d = -2; d <= 1; ++d)
                t->values[(c * kChunkBytes - header) / 4 + d] = bits_float(0xffc00000u + c + 3 * d + 7);
        const Bytes tb = state_to_bytes(*t);
        CHECK(state_root(*t, Exec{}) == blob_root(tb));
        CHECK(state_root(*t, Exec{&pool, Simd::kScalar}) == blob_root(tb));
    }
}

TEST_CASE("leaf_digest is the tagged hash of task and round and unit and leaf and state root") {
    Hash256 task{}, root{};
    task[0] = 1;
    root[31] = 2;
    Bytes pre(task.begin(), task.end());
    append_u32le(pre, 3);
    append_u32le(pre, 4);
    append_u32le(pre, 5);
    pre.insert(pre.end(), root.begin(), root.end());
    CHECK(leaf_digest(task, 3, 4, 5, root) == tagged_hash(tags::kTraceLeaf, pre));
    CHECK(leaf_digest(task, 3, 4, 6, root) != leaf_digest(task, 3, 4, 5, root));
}

TEST_CASE("mean_states is ((s0 + s1) + s2) / 3 element-wise and rejects mixed states") {
    auto a = *init_state(small_spec(OptimizerKind::kSgd));
    auto b = a, c = a;
    for (size_t i = 0; i < a.values.size(); ++i) {
        b.values[i] = a.values[i] * 0.5f + 0.1f;
        c.values[i] = -a.values[i];
    }
    auto m = mean_states({a, b, c}, Exec{});
    REQUIRE(m.ok());
    for (size_t i = 0; i < a.values.size(); i += 97)
        CHECK(m->values[i] == ((a.values[i] + b.values[i]) + c.values[i]) / 3.0f);
    auto d = a;
    d.step = 1;
    CHECK(mean_states({a, d}, Exec{}).status() == codes::kStateMismatch);
}

TEST_CASE("resuming from a checkpoint equals running straight through (sgd and adamw)") {
    Dataset train = fixture();
    for (OptimizerKind k : {OptimizerKind::kSgd, OptimizerKind::kAdamW}) {
        TaskSpec spec = small_spec(k);
        auto be = make_cpu_backend(Exec{});
        auto start = *init_state(spec);
        RunOptions all;
        all.until_step = 40;
        all.leaf_interval = 10;
        auto straight = run_training(*be, Exec{}, spec, train, start, all);
        REQUIRE(straight.ok());
        CHECK(straight->leaves.size() == 5);

        RunOptions first = all;
        first.until_step = 20;
        auto half = run_training(*be, Exec{}, spec, train, start, first);
        REQUIRE(half.ok());
        std::string path = std::string(STEP_BINARY_DIR) + "/resume-test.ckpt";
        REQUIRE(save_checkpoint(path, half->final_state).ok());
        auto loaded = load_checkpoint(path);
        REQUIRE(loaded.ok());
        auto rest = run_training(*be, Exec{}, spec, train, *loaded, all);
        REQUIRE(rest.ok());
        CHECK(state_to_bytes(rest->final_state) == state_to_bytes(straight->final_state));
        // Leaves 2..4 from the resumed run equal the straight run's.
        REQUIRE(rest->leaves.size() == 3);
        for (size_t i = 0; i < 3; ++i) CHECK(rest->leaves[i] == straight->leaves[i + 2]);
    }
}

TEST_CASE("train_step (state -> state) equals the Trainer's step and moves the loss down") {
    Dataset train = fixture();
    TaskSpec spec = small_spec(OptimizerKind::kSgd);
    auto be = make_cpu_backend(Exec{});
    auto s0 = *init_state(spec);
    auto idx = *batch_indices(spec.seed, train.count(), 1, 0, spec.batch, 0);
    auto s1 = train_step(*be, spec, s0, gather_records(train, idx));
    REQUIRE(s1.ok());
    CHECK(s1->step == 1);
    RunOptions one;
    one.until_step = 1;
    auto r = run_training(*be, Exec{}, spec, train, s0, one);
    REQUIRE(r.ok());
    CHECK(state_to_bytes(*s1) == state_to_bytes(r->final_state));
    RunOptions many;
    many.until_step = 40;
    auto longer = run_training(*be, Exec{}, spec, train, s0, many);
    REQUIRE(longer.ok());
    CHECK(longer->losses.back() < longer->losses.front());
    CHECK(std::isfinite(longer->losses.back()));
}

TEST_CASE("a step that produces NaN is still deterministic and hashes canonically") {
    Dataset train = fixture();
    TaskSpec spec = small_spec(OptimizerKind::kSgd);
    spec.optimizer.lr = 3.0e38f;  // blows up to inf/NaN within a few steps
    auto be = make_cpu_backend(Exec{});
    RunOptions opt;
    opt.until_step = 10;
    opt.leaf_interval = 5;
    auto a = run_training(*be, Exec{}, spec, train, *init_state(spec), opt);
    auto b = run_training(*be, Exec{}, spec, train, *init_state(spec), opt);
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    bool has_nan = false;
    for (float v : a->final_state.values) has_nan |= std::isnan(v);
    CHECK(has_nan);
    CHECK(a->leaves == b->leaves);
}

TEST_CASE("run_rounds: K units train their shards from G_r and G_{r+1} is their mean") {
    Dataset train = fixture();
    TaskSpec spec = small_spec(OptimizerKind::kSgd);
    spec.units_per_round = 2;
    spec.steps_per_unit = 10;
    spec.leaf_interval = 5;
    auto be = make_cpu_backend(Exec{});
    auto g0 = *init_state(spec);
    Hash256 task{};
    task[0] = 9;
    auto rounds = run_rounds(*be, Exec{}, spec, train, g0, 20, task);
    REQUIRE(rounds.ok());
    CHECK(rounds->leaves.size() == 2 * 2 * 3);
    CHECK(rounds->final_state.step == 20);

    // Round 0 by hand: both units from G_0, each on its own shard, then the mean.
    std::vector<TrainState> finals;
    for (uint32_t k = 0; k < 2; ++k) {
        RunOptions opt;
        opt.until_step = 10;
        opt.leaf_interval = 5;
        opt.task_id = task;
        opt.unit = k;
        opt.units = 2;
        auto r = run_training(*be, Exec{}, spec, train, g0, opt);
        REQUIRE(r.ok());
        CHECK(r->leaves[0] == rounds->leaves[3 * k]);
        finals.push_back(r->final_state);
    }
    CHECK(state_to_bytes(finals[0]) != state_to_bytes(finals[1]));
    auto g1 = *mean_states(finals, Exec{});
    // Round 1's leaf 0 of unit 0 is G_1 under (round 1, unit 0, leaf 0).
    CHECK(rounds->leaves[6] == leaf_digest(task, 1, 0, 0, state_root(g1, Exec{})));
    CHECK(run_rounds(*be, Exec{}, spec, train, g0, 15, task).status() == codes::kBadRound);
}
