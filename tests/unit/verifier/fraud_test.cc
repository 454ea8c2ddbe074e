#include <catch2/catch.hpp>

#include "common/merkle.h"
#include "kernels/data.h"
#include "kernels/state.h"
#include "fixture.h"
#include "verifier/fraud_proof.h"
#include "verifier/whistle.h"
#include "verifier/errors.h"
#include "tests/support/status_check.h"

using namespace step;
using namespace step::verifier;
using namespace step::verifier::testing;

namespace {

FraudCheckContext context_for(const UnitRef& unit, const UnitTrace& tr) {
    FraudCheckContext ctx;
    ctx.unit = unit;
    ctx.dataset_root = kernels::dataset_root(fixture_data());
    ctx.dataset_count = fixture_data().count();
    ctx.trace_root = tr.root;
    ctx.leaf_count = static_cast<uint32_t>(tr.leaves.size());
    return ctx;
}

// A round-0 unit whose solver flipped a bit after step 6: leaves 2.. are wrong.
struct Cheated {
    Cpu cpu;
    kernels::TaskSpec spec = small_spec();
    UnitRef unit{task_id(), 0, 0};
    UnitTrace trace;
    FraudCheckContext ctx;
    FraudProof proof;
    Cheated() {
        auto g0 = *kernels::init_state(spec);
        trace = *build_trace(*cpu.backend, cpu.ex, spec, fixture_data(), unit, g0,
                             TraceFault{6, 100, 20});
        ctx = context_for(unit, trace);
        auto found = find_first_wrong_leaf(*cpu.backend, cpu.ex, spec, fixture_data(), unit,
                                           trace.leaves, {});
        REQUIRE(found.ok());
        REQUIRE(found->has_value());
        REQUIRE((*found)->leaf == 2);
        proof = (*found)->proof;
    }
    Status code_of(const FraudProof& p) {
        auto v = check_fraud_proof(spec, ctx, p);
        return v.status();  // ok: a verdict
    }
};

}  // namespace

TEST_CASE("an honest trace has no wrong leaf") {
    Cpu cpu;
    auto spec = small_spec();
    UnitRef unit{task_id(), 0, 0};
    auto tr = *build_trace(*cpu.backend, cpu.ex, spec, fixture_data(), unit,
                           *kernels::init_state(spec));
    auto found =
        find_first_wrong_leaf(*cpu.backend, cpu.ex, spec, fixture_data(), unit, tr.leaves, {});
    REQUIRE(found.ok());
    CHECK_FALSE(found->has_value());
    auto short_trace = tr.leaves;
    short_trace.pop_back();
    CHECK(find_first_wrong_leaf(*cpu.backend, cpu.ex, spec, fixture_data(), unit, short_trace, {})
              .status()
               == step::verifier::codes::kBadTrace);
}

TEST_CASE("a corrupted segment's first wrong leaf is proven fraud") {
    Cheated c;
    CHECK(c.proof.leaf == 2);
    CHECK(c.proof.previous.index == 1);
    auto want = segment_record_indices(c.spec, c.ctx.dataset_count, c.unit, 2);
    REQUIRE(want.ok());
    CHECK(c.proof.records.size() == want->size());
    CHECK(want->size() <= 4 * 8);
    auto v = check_fraud_proof(c.spec, c.ctx, c.proof);
    REQUIRE(v.ok());
    CHECK(v->fraud);
    CHECK(v->leaf == 2);
    CHECK(v->claimed_leaf == c.trace.leaves[2]);
    CHECK(v->correct_leaf != c.trace.leaves[2]);
    CHECK(v->reason == "fraud at leaf 2");
    // The proof survives its wire encoding.
    auto back = decode_fraud_proof(encode_fraud_proof(c.proof));
    REQUIRE(back.ok());
    CHECK(check_fraud_proof(c.spec, c.ctx, *back)->fraud);
}

TEST_CASE("a fault on the first step is found at leaf 1") {
    Cpu cpu;
    auto spec = small_spec();
    UnitRef unit{task_id(), 0, 0};
    auto tr = *build_trace(*cpu.backend, cpu.ex, spec, fixture_data(), unit,
                           *kernels::init_state(spec), TraceFault{1, 5000, 3});
    auto found =
        find_first_wrong_leaf(*cpu.backend, cpu.ex, spec, fixture_data(), unit, tr.leaves, {});
    REQUIRE(found.ok());
    REQUIRE(found->has_value());
    CHECK((*found)->leaf == 1);
    CHECK(check_fraud_proof(spec, context_for(unit, tr), (*found)->proof)->fraud);
}

TEST_CASE("an honest leaf 'proved' wrong is a not-fraud verdict") {
    Cheated c;
    // Leaf 1 precedes the fault: a well-formed proof of it shows it right.
    auto g0 = *kernels::init_state(c.spec);
    auto p = build_segment_proof(c.spec, fixture_data(), c.unit, c.trace.leaves, 1, g0);
    REQUIRE(p.ok());
    auto v = check_fraud_proof(c.spec, c.ctx, *p);
    REQUIRE(v.ok());
    CHECK_FALSE(v->fraud);
    CHECK(v->correct_leaf == c.trace.leaves[1]);
    CHECK(v->reason == "leaf 1 is correct");
}

TEST_CASE("a tampered record is rejected with bad-record-proof") {
    Cheated c;
    FraudProof p = c.proof;
    p.records[3].record[200] ^= 1;
    CHECK(c.code_of(p) == step::verifier::codes::kBadRecordProof);
    REQUIRE_FALSE(c.proof.record_proof.empty());
    FraudProof path = c.proof;
    path.record_proof[0][0] ^= 1;
    CHECK(c.code_of(path) == step::verifier::codes::kBadRecordProof);
    FraudProof shorter = c.proof;
    shorter.record_proof.pop_back();
    CHECK(c.code_of(shorter) == step::verifier::codes::kBadRecordProof);
}

TEST_CASE("records that are not the segment's are rejected") {
    Cheated c;
    FraudProof truncated = c.proof;
    truncated.records.pop_back();
    CHECK(c.code_of(truncated) == step::verifier::codes::kWrongRecordCount);
    FraudProof extra = c.proof;
    extra.records.push_back(extra.records.back());
    CHECK(c.code_of(extra) == step::verifier::codes::kWrongRecordCount);
    FraudProof swapped = c.proof;
    std::swap(swapped.records[0], swapped.records[1]);
    CHECK(c.code_of(swapped) == step::verifier::codes::kWrongRecordIndex);
    FraudProof shortened = c.proof;
    shortened.records[0].record.pop_back();
    CHECK(c.code_of(shortened) == step::verifier::codes::kBadRecord);
}

TEST_CASE("a wrong leaf proof is rejected with bad-leaf-proof") {
    Cheated c;
    FraudProof claimed = c.proof;
    claimed.claimed.path[0][5] ^= 1;
    CHECK(c.code_of(claimed) == step::verifier::codes::kBadLeafProof);
    FraudProof previous = c.proof;
    previous.previous.leaf[0] ^= 1;
    CHECK(c.code_of(previous) == step::verifier::codes::kBadLeafProof);
    FraudProof index = c.proof;
    index.previous.index = 0;
    CHECK(c.code_of(index) == step::verifier::codes::kBadLeafIndex);
    FraudProof past = c.proof;
    past.leaf = past.claimed.index = 5;
    CHECK(c.code_of(past) == step::verifier::codes::kBadLeafIndex);
    FraudProof other_trace = c.proof;
    FraudCheckContext ctx = c.ctx;
    ctx.trace_root[0] ^= 1;
    CHECK(check_fraud_proof(c.spec, ctx, other_trace).status() == step::verifier::codes::kBadLeafProof);
}

TEST_CASE("a wrong pre-state is rejected") {
    Cheated c;
    auto pre = *kernels::state_from_bytes(c.proof.pre_state);
    // Another state (the right bytes of a different leaf) does not match leaf j-1.
    FraudProof mismatch = c.proof;
    auto other = pre;
    other.values[7] += 1.0f;
    mismatch.pre_state = kernels::state_to_bytes(other);
    CHECK(c.code_of(mismatch) == step::verifier::codes::kPreStateMismatch);
    FraudProof garbage = c.proof;
    garbage.pre_state.resize(garbage.pre_state.size() - 1);
    CHECK(c.code_of(garbage) == step::verifier::codes::kBadPreState);
    FraudProof empty = c.proof;
    empty.pre_state.clear();
    CHECK(c.code_of(empty) == step::verifier::codes::kBadPreState);
    FraudProof model = c.proof;
    auto adam = pre;
    adam.optimizer = kernels::OptimizerKind::kAdamW;
    adam.values.resize(kernels::state_value_count(adam.optimizer, adam.param_count));
    model.pre_state = kernels::state_to_bytes(adam);
    CHECK(c.code_of(model) == step::verifier::codes::kBadPreState);
}

TEST_CASE("a pre-state with the wrong step counter is rejected even when committed") {
    // A solver that commits leaf 1 over a state with a forged step counter: proving leaf 2 from
    // it must not replay the wrong batches; the proof is malformed (prove leaf 1 instead).
    Cpu cpu;
    auto spec = small_spec();
    UnitRef unit{task_id(), 0, 0};
    auto g0 = *kernels::init_state(spec);
    auto honest = *build_trace(*cpu.backend, cpu.ex, spec, fixture_data(), unit, g0);
    std::vector<Hash256> leaves = honest.leaves;
    kernels::TrainState s1;
    replay_leaves(*cpu.backend, cpu.ex, spec, fixture_data(), unit, g0, 0, 1,
                  [&](uint32_t, const kernels::TrainState& s, const Hash256&) { s1 = s; });
    s1.step += 1;
    leaves[1] = trace_leaf(unit, 1, s1, cpu.ex);
    UnitTrace forged;
    forged.leaves = leaves;
    forged.root = merkle_root(leaves);
    auto p = build_segment_proof(spec, fixture_data(), unit, leaves, 2, s1);
    REQUIRE(p.ok());
    auto v = check_fraud_proof(spec, context_for(unit, forged), *p);
    CHECK(v.status() == step::verifier::codes::kPreStateStep);
    // The first wrong leaf is leaf 1 and its proof holds.
    auto found = find_first_wrong_leaf(*cpu.backend, cpu.ex, spec, fixture_data(), unit, leaves, {});
    REQUIRE(found->has_value());
    CHECK((*found)->leaf == 1);
    CHECK(check_fraud_proof(spec, context_for(unit, forged), (*found)->proof)->fraud);
}

TEST_CASE("oversize proofs, stray fields and a bad context are rejected") {
    Cheated c;
    FraudCheckContext small = c.ctx;
    small.max_proof_bytes = c.proof.wire_size() - 1;
    CHECK(check_fraud_proof(c.spec, small, c.proof).status() == step::verifier::codes::kTooLarge);
    small.max_proof_bytes = c.proof.wire_size();
    CHECK(check_fraud_proof(c.spec, small, c.proof).ok());
    FraudProof stray = c.proof;
    stray.previous_finals.push_back(Bytes{1});
    CHECK(c.code_of(stray) == step::verifier::codes::kUnexpectedField);
    FraudCheckContext count = c.ctx;
    count.leaf_count = 4;
    CHECK(check_fraud_proof(c.spec, count, c.proof).status() == step::verifier::codes::kBadContext);
    // The worst-case bound covers the real proof.
    auto bound = max_fraud_proof_bytes(c.spec, c.ctx.dataset_count);
    REQUIRE(bound.ok());
    CHECK(c.proof.wire_size() <= *bound);
}

TEST_CASE("a wrong leaf 0 of round 0 is proven with an empty proof") {
    Cpu cpu;
    auto spec = small_spec();
    UnitRef unit{task_id(), 0, 0};
    auto wrong_start = *kernels::init_state(spec);
    wrong_start.values[3] = 0.5f;
    auto tr = *build_trace(*cpu.backend, cpu.ex, spec, fixture_data(), unit, wrong_start);
    auto found =
        find_first_wrong_leaf(*cpu.backend, cpu.ex, spec, fixture_data(), unit, tr.leaves, {});
    REQUIRE(found->has_value());
    CHECK((*found)->leaf == 0);
    const FraudProof& p = (*found)->proof;
    CHECK(p.pre_state.empty());
    CHECK(p.previous_finals.empty());
    auto v = check_fraud_proof(spec, context_for(unit, tr), p);
    REQUIRE(v.ok());
    CHECK(v->fraud);
    CHECK(v->leaf == 0);
    // The honest start's leaf 0 "proved" wrong is not fraud.
    auto honest = *build_trace(*cpu.backend, cpu.ex, spec, fixture_data(), unit,
                               *kernels::init_state(spec));
    auto ok = check_fraud_proof(spec, context_for(unit, honest), build_leaf0_proof(honest.leaves, {}));
    REQUIRE(ok.ok());
    CHECK_FALSE(ok->fraud);
}

TEST_CASE("a forged aggregation of the previous round is proven at leaf 0") {
    Cpu cpu;
    auto spec = small_spec(2);
    auto g0 = *kernels::init_state(spec);
    std::vector<kernels::TrainState> finals;
    std::vector<Hash256> final_leaves;
    for (uint32_t k = 0; k < 2; ++k) {
        auto tr = *build_trace(*cpu.backend, cpu.ex, spec, fixture_data(), {task_id(), 0, k}, g0);
        finals.push_back(tr.final_state);
        final_leaves.push_back(tr.leaves.back());
    }
    // The round-1 solver starts from unit 0's final state instead of the mean.
    UnitRef unit{task_id(), 1, 1};
    auto tr = *build_trace(*cpu.backend, cpu.ex, spec, fixture_data(), unit, finals[0]);
    auto found = find_first_wrong_leaf(*cpu.backend, cpu.ex, spec, fixture_data(), unit,
                                       tr.leaves, finals);
    REQUIRE(found.ok());
    REQUIRE(found->has_value());
    CHECK((*found)->leaf == 0);
    FraudCheckContext ctx = context_for(unit, tr);
    ctx.previous_final_leaves = final_leaves;
    const FraudProof& p = (*found)->proof;
    REQUIRE(p.previous_finals.size() == 2);
    auto v = check_fraud_proof(spec, ctx, p);
    REQUIRE(v.ok());
    CHECK(v->fraud);

    // Malformed leaf-0 proofs.
    auto code_of = [&](const FraudProof& q, const FraudCheckContext& c) {
        auto r = check_fraud_proof(spec, c, q);
        return r.status();  // ok: a verdict
    };
    FraudProof one = p;
    one.previous_finals.pop_back();
    CHECK(code_of(one, ctx) == step::verifier::codes::kWrongStateCount);
    FraudProof swapped = p;
    std::swap(swapped.previous_finals[0], swapped.previous_finals[1]);
    CHECK(code_of(swapped, ctx) == step::verifier::codes::kPreviousFinalMismatch);
    FraudProof garbage = p;
    garbage.previous_finals[1].resize(10);
    CHECK(code_of(garbage, ctx) == step::verifier::codes::kBadPreviousFinal);
    FraudProof stray = p;
    stray.pre_state = Bytes{1};
    CHECK(code_of(stray, ctx) == step::verifier::codes::kUnexpectedField);
    FraudCheckContext no_leaves = ctx;
    no_leaves.previous_final_leaves.clear();
    CHECK(code_of(p, no_leaves) == step::verifier::codes::kBadContext);

    // The honest round-1 unit from the mean: no wrong leaf, and its leaf 0 proves not-fraud.
    auto g1 = *kernels::mean_states(finals, cpu.ex);
    auto honest = *build_trace(*cpu.backend, cpu.ex, spec, fixture_data(), unit, g1);
    auto none = find_first_wrong_leaf(*cpu.backend, cpu.ex, spec, fixture_data(), unit,
                                      honest.leaves, finals);
    REQUIRE(none.ok());
    CHECK_FALSE(none->has_value());
    FraudCheckContext hctx = context_for(unit, honest);
    hctx.previous_final_leaves = final_leaves;
    auto nv = check_fraud_proof(spec, hctx, build_leaf0_proof(honest.leaves, finals));
    REQUIRE(nv.ok());
    CHECK_FALSE(nv->fraud);
}

TEST_CASE("a round-1 segment proof replays on the round's global step counter") {
    Cpu cpu;
    auto spec = small_spec(2);
    auto g0 = *kernels::init_state(spec);
    std::vector<kernels::TrainState> finals;
    for (uint32_t k = 0; k < 2; ++k)
        finals.push_back(
            build_trace(*cpu.backend, cpu.ex, spec, fixture_data(), {task_id(), 0, k}, g0)
                ->final_state);
    auto g1 = *kernels::mean_states(finals, cpu.ex);
    UnitRef unit{task_id(), 1, 1};
    auto tr = *build_trace(*cpu.backend, cpu.ex, spec, fixture_data(), unit, g1,
                           TraceFault{15, 42, 30});
    auto found =
        find_first_wrong_leaf(*cpu.backend, cpu.ex, spec, fixture_data(), unit, tr.leaves, finals);
    REQUIRE(found->has_value());
    CHECK((*found)->leaf == 4);
    auto v = check_fraud_proof(spec, context_for(unit, tr), (*found)->proof);
    REQUIRE(v.ok());
    CHECK(v->fraud);
}

TEST_CASE("a segment that reuses records carries each once and still replays exactly") {
    // 20 records, batch 8: an epoch is 2 steps, so a 4-step segment spans 2 epochs and reads
    // some records twice; the proof carries the distinct ones.
    Cpu cpu;
    auto spec = small_spec();
    kernels::Dataset tiny{fixture_data().format, {}};
    tiny.bytes.assign(fixture_data().bytes.begin(),
                      fixture_data().bytes.begin() + 20 * kernels::kMnistRecordBytes);
    UnitRef unit{task_id(), 0, 0};
    auto tr = *build_trace(*cpu.backend, cpu.ex, spec, tiny, unit, *kernels::init_state(spec),
                           TraceFault{10, 77, 12});
    auto found = find_first_wrong_leaf(*cpu.backend, cpu.ex, spec, tiny, unit, tr.leaves, {});
    REQUIRE(found->has_value());
    CHECK((*found)->leaf == 3);
    const FraudProof& p = (*found)->proof;
    CHECK(p.records.size() <= 20);
    CHECK(p.records.size() < 4 * 8);
    for (size_t i = 1; i < p.records.size(); ++i) CHECK(p.records[i - 1].index < p.records[i].index);
    FraudCheckContext ctx;
    ctx.unit = unit;
    ctx.dataset_root = kernels::dataset_root(tiny);
    ctx.dataset_count = tiny.count();
    ctx.trace_root = tr.root;
    ctx.leaf_count = 5;
    auto v = check_fraud_proof(spec, ctx, p);
    REQUIRE(v.ok());
    CHECK(v->fraud);
    // The leaf before the fault proves correct.
    kernels::TrainState pre;
    replay_leaves(*cpu.backend, cpu.ex, spec, tiny, unit, *kernels::init_state(spec), 0, 1,
                  [&](uint32_t, const kernels::TrainState& s, const Hash256&) { pre = s; });
    auto ok = check_fraud_proof(spec, ctx, *build_segment_proof(spec, tiny, unit, tr.leaves, 2, pre));
    REQUIRE(ok.ok());
    CHECK_FALSE(ok->fraud);
}

TEST_CASE("proof size and replay cost bounds follow the spec") {
    auto spec = small_spec();
    auto state = *kernels::state_bytes(spec);
    auto bound = max_fraud_proof_bytes(spec, 500);
    REQUIRE(bound.ok());
    // 32 records of 797 wire bytes, the state, a multiproof of at most 32 * 9 hashes, 2 leaf proofs.
    CHECK(*bound >= state + 32 * 797);
    CHECK(*bound <= state + 32 * 797 + 32 * 32 * 9 + 2 * (40 + 3 * 32) + 64);
    auto k3 = small_spec(3);
    CHECK(*max_fraud_proof_bytes(k3, 500) >= 3 * state);  // the leaf-0 proof of a 3-unit round
    CHECK(*fraud_proof_flops(spec, 0, 2) == *kernels::segment_flops(spec, 4));
    CHECK(*fraud_proof_flops(spec, 0, 0) == 0);
    CHECK(*fraud_proof_flops(k3, 1, 0) ==
          3 * kernels::state_value_count(spec.optimizer.kind, *kernels::param_count(spec)));
    CHECK(segment_record_indices(spec, 500, {task_id(), 0, 0}, 0).status() ==
          step::verifier::codes::kBadLeafIndex);
    CHECK(segment_record_indices(spec, 500, {task_id(), 0, 0}, 5).status() ==
          step::verifier::codes::kBadLeafIndex);
}
