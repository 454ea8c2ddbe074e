#include <catch2/catch.hpp>

#include <algorithm>
#include <bit>

#include "common/merkle.h"
#include "kernels/run.h"
#include "kernels/trainer.h"
#include "kernels/state.h"
#include "fixture.h"
#include "verifier/trace.h"
#include "verifier/errors.h"
#include "kernels/errors.h"
#include "tests/support/status_check.h"

using namespace step;
using namespace step::verifier;
using namespace step::verifier::testing;

TEST_CASE("trace shape follows U, L and C and rejects bad intervals") {
    auto spec = small_spec();
    auto shape = trace_shape(spec);
    REQUIRE(shape.ok());
    CHECK(shape->last_leaf == 4);
    CHECK(shape->leaf_count() == 5);
    CHECK(shape->leaves_per_checkpoint == 2);
    CHECK(shape->checkpoint_before(1) == 0);
    CHECK(shape->checkpoint_before(2) == 0);
    CHECK(shape->checkpoint_before(3) == 2);
    CHECK(shape->checkpoint_before(4) == 2);
    CHECK(leaf_step(*shape, 3, 2) == 3 * 16 + 8);
    auto bad = spec;
    bad.checkpoint_interval = 4;  // C < 2L
    CHECK(trace_shape(bad).status() == step::kernels::codes::kBadSpec);
    bad = spec;
    bad.leaf_interval = 5;  // does not divide U
    CHECK(trace_shape(bad).status() == step::kernels::codes::kBadSpec);
}

TEST_CASE("an honest trace commits to every leaf and its checkpoints") {
    Cpu cpu;
    auto spec = small_spec();
    UnitRef unit{task_id(), 0, 0};
    auto g0 = kernels::init_state(spec);
    REQUIRE(g0.ok());
    auto tr = build_trace(*cpu.backend, cpu.ex, spec, fixture_data(), unit, *g0);
    REQUIRE(tr.ok());
    REQUIRE(tr->leaves.size() == 5);
    CHECK(tr->root == merkle_root(tr->leaves));
    CHECK(tr->leaves[0] == trace_leaf(unit, 0, *g0, cpu.ex));
    CHECK(tr->final_state.step == 16);
    CHECK(tr->leaves[4] == trace_leaf(unit, 4, tr->final_state, cpu.ex));
    // Checkpoints at leaves 0, 2, 4; each blob root is the state root its leaf commits to.
    REQUIRE(tr->checkpoints.size() == 3);
    for (const auto& c : tr->checkpoints) {
        CHECK(c.leaf % 2 == 0);
        CHECK(kernels::leaf_digest(unit.task_id, 0, 0, c.leaf, blob_root(c.bytes)) ==
              tr->leaves[c.leaf]);
    }
    // Every leaf is distinct (the state moves each segment).
    for (size_t i = 0; i < tr->leaves.size(); ++i)
        for (size_t j = i + 1; j < tr->leaves.size(); ++j) CHECK(tr->leaves[i] != tr->leaves[j]);
}

TEST_CASE("a round-0 trace's leaves equal the kernels' run_training leaves") {
    // For round 0, unit 0 of K = 1 the unit-local leaf index equals the global one run_training
    // uses, so both must commit to the same digests.
    Cpu cpu;
    auto spec = small_spec();
    UnitRef unit{task_id(), 0, 0};
    auto g0 = *kernels::init_state(spec);
    auto tr = build_trace(*cpu.backend, cpu.ex, spec, fixture_data(), unit, g0);
    REQUIRE(tr.ok());
    kernels::RunOptions opt;
    opt.until_step = 16;
    opt.leaf_interval = 4;
    opt.task_id = unit.task_id;
    auto run = kernels::run_training(*cpu.backend, cpu.ex, spec, fixture_data(), g0, opt);
    REQUIRE(run.ok());
    CHECK(run->leaves == tr->leaves);
}

TEST_CASE("checkpoint replay reproduces the trace's later leaves") {
    Cpu cpu;
    auto spec = small_spec();
    UnitRef unit{task_id(), 0, 0};
    auto g0 = *kernels::init_state(spec);
    auto tr = *build_trace(*cpu.backend, cpu.ex, spec, fixture_data(), unit, g0);
    auto from = *kernels::state_from_bytes(tr.checkpoints[1].bytes);  // leaf 2
    std::vector<uint32_t> seen;
    auto fin = replay_leaves(*cpu.backend, cpu.ex, spec, fixture_data(), unit, from, 2, 4,
                             [&](uint32_t leaf, const kernels::TrainState&, const Hash256& d) {
                                 seen.push_back(leaf);
                                 CHECK(d == tr.leaves[leaf]);
                             });
    REQUIRE(fin.ok());
    CHECK(seen == std::vector<uint32_t>{3, 4});
    CHECK(kernels::state_to_bytes(*fin) == kernels::state_to_bytes(tr.final_state));
    // A state whose step counter is not the leaf's is refused.
    auto wrong = replay_leaves(*cpu.backend, cpu.ex, spec, fixture_data(), unit, from, 1, 4, {});
    CHECK(wrong.status() == step::verifier::codes::kStartStep);
    auto past = replay_leaves(*cpu.backend, cpu.ex, spec, fixture_data(), unit, from, 2, 5, {});
    CHECK(past.status() == step::verifier::codes::kBadLeafIndex);
}

TEST_CASE("a fault corrupts exactly the leaves after its step") {
    Cpu cpu;
    auto spec = small_spec();
    UnitRef unit{task_id(), 0, 0};
    auto g0 = *kernels::init_state(spec);
    auto honest = *build_trace(*cpu.backend, cpu.ex, spec, fixture_data(), unit, g0);
    auto bad = build_trace(*cpu.backend, cpu.ex, spec, fixture_data(), unit, g0,
                           TraceFault{6, 100, 20});
    REQUIRE(bad.ok());
    CHECK(bad->leaves[0] == honest.leaves[0]);
    CHECK(bad->leaves[1] == honest.leaves[1]);
    CHECK(bad->leaves[2] != honest.leaves[2]);
    CHECK(bad->leaves[3] != honest.leaves[3]);
    CHECK(bad->leaves[4] != honest.leaves[4]);
    CHECK(bad->root != honest.root);
    // A fault on a leaf's own step lands in that leaf.
    auto at_leaf = *build_trace(*cpu.backend, cpu.ex, spec, fixture_data(), unit, g0,
                                TraceFault{8, 100, 20});
    CHECK(at_leaf.leaves[1] == honest.leaves[1]);
    CHECK(at_leaf.leaves[2] != honest.leaves[2]);
}

TEST_CASE("round starts: init for round 0, the K-state mean after") {
    Cpu cpu;
    auto spec = small_spec(2);
    auto g0 = *kernels::init_state(spec);
    auto r0 = round_start_state(spec, 0, {}, cpu.ex);
    REQUIRE(r0.ok());
    CHECK(kernels::state_to_bytes(*r0) == kernels::state_to_bytes(g0));
    std::vector<kernels::TrainState> finals;
    for (uint32_t k = 0; k < 2; ++k)
        finals.push_back(
            build_trace(*cpu.backend, cpu.ex, spec, fixture_data(), {task_id(), 0, k}, g0)
                ->final_state);
    auto g1 = round_start_state(spec, 1, finals, cpu.ex);
    REQUIRE(g1.ok());
    CHECK(kernels::state_to_bytes(*g1) ==
          kernels::state_to_bytes(*kernels::mean_states(finals, cpu.ex)));
    CHECK(g1->step == 16);
    CHECK(round_start_state(spec, 1, {finals[0]}, cpu.ex).status() == step::verifier::codes::kWrongStateCount);
    // Round 1 trains from step 16 onwards.
    auto tr1 = build_trace(*cpu.backend, cpu.ex, spec, fixture_data(), {task_id(), 1, 0}, *g1);
    REQUIRE(tr1.ok());
    CHECK(tr1->final_state.step == 32);
}

TEST_CASE("traces of two rounds of two units equal the kernels' run_rounds leaves") {
    Cpu cpu;
    auto spec = small_spec(2);
    auto g0 = *kernels::init_state(spec);
    auto run = kernels::run_rounds(*cpu.backend, cpu.ex, spec, fixture_data(), g0, 32, task_id());
    REQUIRE(run.ok());
    REQUIRE(run->leaves.size() == 4 * 5);
    std::vector<kernels::TrainState> finals;
    for (uint32_t k = 0; k < 2; ++k) {
        auto tr = *build_trace(*cpu.backend, cpu.ex, spec, fixture_data(), {task_id(), 0, k}, g0);
        CHECK(std::equal(tr.leaves.begin(), tr.leaves.end(), run->leaves.begin() + 5 * k));
        finals.push_back(tr.final_state);
    }
    auto g1 = *round_start_state(spec, 1, finals, cpu.ex);
    std::vector<kernels::TrainState> finals1;
    for (uint32_t k = 0; k < 2; ++k) {
        auto tr = *build_trace(*cpu.backend, cpu.ex, spec, fixture_data(), {task_id(), 1, k}, g1);
        CHECK(std::equal(tr.leaves.begin(), tr.leaves.end(), run->leaves.begin() + 10 + 5 * k));
        finals1.push_back(tr.final_state);
    }
    auto g2 = *round_start_state(spec, 2, finals1, cpu.ex);
    CHECK(kernels::state_to_bytes(g2) == kernels::state_to_bytes(run->final_state));
}

TEST_CASE("build_trace reports the loss of the unit's last step") {
    Cpu cpu;
    auto spec = small_spec();
    const UnitRef unit{task_id(), 0, 0};
    auto g0 = kernels::init_state(spec);
    REQUIRE(g0.ok());
    auto tr = build_trace(*cpu.backend, cpu.ex, spec, fixture_data(), unit, *g0);
    REQUIRE(tr.ok());
    // The same 16 steps by hand: the loss the trainer returns for step 16 is the one reported.
    auto trainer = kernels::Trainer::create(*cpu.backend, spec);
    REQUIRE(trainer.ok());
    REQUIRE((*trainer)->load(*g0).ok());
    float last = 0;
    while ((*trainer)->step() < spec.steps_per_unit) {
        auto idx = kernels::batch_indices(spec.seed, fixture_data().count(), 1, 0, spec.batch, (*trainer)->step());
        REQUIRE(idx.ok());
        auto loss = (*trainer)->train_step(kernels::gather_records(fixture_data(), *idx));
        REQUIRE(loss.ok());
        last = *loss;
    }
    CHECK(std::bit_cast<uint32_t>(tr->last_loss) == std::bit_cast<uint32_t>(last));
    CHECK(last > 0);
}
