#include <catch2/catch.hpp>

#include "common/hash.h"
#include "kernels/state.h"
#include "fixture.h"
#include "verifier/audit.h"
#include "verifier/fraud_proof.h"
#include "verifier/whistle.h"
#include "verifier/errors.h"
#include "kernels/errors.h"
#include "tests/support/status_check.h"

using namespace step;
using namespace step::verifier;
using namespace step::verifier::testing;

namespace {

const Checkpoint& checkpoint_at(const UnitTrace& tr, uint32_t leaf) {
    for (const auto& c : tr.checkpoints)
        if (c.leaf == leaf) return c;
    FAIL("no checkpoint at leaf " << leaf);
    return tr.checkpoints.front();
}

VerifierAddress addr(uint8_t b) {
    VerifierAddress a;
    a.fill(b);
    return a;
}

}  // namespace

TEST_CASE("an honest verifier's audit reveal matches the opened trace") {
    Cpu cpu;
    auto spec = small_spec();
    UnitRef unit{task_id(), 0, 0};
    auto tr = *build_trace(*cpu.backend, cpu.ex, spec, fixture_data(), unit,
                           *kernels::init_state(spec));
    auto shape = *trace_shape(spec);
    for (uint32_t s = 1; s <= 4; ++s) {
        uint32_t c = shape.checkpoint_before(s);
        const auto& cp = checkpoint_at(tr, c);
        auto w = run_audit(*cpu.backend, cpu.ex, spec, fixture_data(), unit, s, cp.bytes,
                           tr.leaves[c]);
        REQUIRE(w.ok());
        CHECK(w->checkpoint == c);
        REQUIRE(w->digests.size() == s - c);
        CHECK(w->states.size() == s - c);
        CHECK(w->digests.back() == tr.leaves[s]);
        CHECK(reveal_agrees(shape, s, w->digests, tr.leaves));
        auto d = decide_audit(*w, tr.leaves);
        CHECK(d.stance == AuditStance::kAgree);
        CHECK_FALSE(d.build_proof);
        CHECK_FALSE(d.first_wrong_leaf.has_value());
    }
}

TEST_CASE("audit commitments bind salt, verifier, leaf and every digest") {
    Hash256 salt = sha256(as_bytes("salt")), salt2 = sha256(as_bytes("salt2"));
    std::vector<Hash256> d = {sha256(as_bytes("a")), sha256(as_bytes("b"))};
    Hash256 h = audit_commitment(salt, addr(1), 4, d);
    CHECK(h == audit_commitment(salt, addr(1), 4, d));
    CHECK(h != audit_commitment(salt2, addr(1), 4, d));
    CHECK(h != audit_commitment(salt, addr(2), 4, d));
    CHECK(h != audit_commitment(salt, addr(1), 3, d));
    auto d2 = d;
    d2[0][0] ^= 1;  // the hidden leaf a lazy verifier would have to guess
    CHECK(h != audit_commitment(salt, addr(1), 4, d2));
    CHECK(h != audit_commitment(salt, addr(1), 4, {d[1]}));
}

TEST_CASE("an audit of a wrong leaf disagrees and its proof shows fraud") {
    Cpu cpu;
    auto spec = small_spec();
    UnitRef unit{task_id(), 0, 0};
    auto tr = *build_trace(*cpu.backend, cpu.ex, spec, fixture_data(), unit,
                           *kernels::init_state(spec), TraceFault{13, 300, 22});
    auto shape = *trace_shape(spec);
    // Sampled leaf 4 (the final state): replay from checkpoint 2, leaves 3 and 4.
    auto w = run_audit(*cpu.backend, cpu.ex, spec, fixture_data(), unit, 4,
                       checkpoint_at(tr, 2).bytes, tr.leaves[2]);
    REQUIRE(w.ok());
    CHECK(w->digests[0] == tr.leaves[3]);
    CHECK(w->digests[1] != tr.leaves[4]);
    CHECK_FALSE(reveal_agrees(shape, 4, w->digests, tr.leaves));
    // A lazy verifier who copies the solver's leaves "agrees" with the wrong leaf.
    CHECK(reveal_agrees(shape, 4, {tr.leaves[3], tr.leaves[4]}, tr.leaves));
    auto d = decide_audit(*w, tr.leaves);
    CHECK(d.stance == AuditStance::kDisagree);
    CHECK(d.build_proof);
    REQUIRE(d.first_wrong_leaf == 4u);
    auto p = build_segment_proof(spec, fixture_data(), unit, tr.leaves, 4, w->pre_state_of(4));
    REQUIRE(p.ok());
    FraudCheckContext ctx;
    ctx.unit = unit;
    ctx.dataset_root = kernels::dataset_root(fixture_data());
    ctx.dataset_count = fixture_data().count();
    ctx.trace_root = tr.root;
    ctx.leaf_count = shape.leaf_count();
    auto v = check_fraud_proof(spec, ctx, *p);
    REQUIRE(v.ok());
    CHECK(v->fraud);
    // Leaf 3 was right: the audit of leaf 3 agrees.
    auto w3 = run_audit(*cpu.backend, cpu.ex, spec, fixture_data(), unit, 3,
                        checkpoint_at(tr, 2).bytes, tr.leaves[2]);
    CHECK(decide_audit(*w3, tr.leaves).stance == AuditStance::kAgree);
}

TEST_CASE("an audit refuses a checkpoint that is not its committed leaf") {
    Cpu cpu;
    auto spec = small_spec();
    UnitRef unit{task_id(), 0, 0};
    auto tr = *build_trace(*cpu.backend, cpu.ex, spec, fixture_data(), unit,
                           *kernels::init_state(spec));
    auto w = run_audit(*cpu.backend, cpu.ex, spec, fixture_data(), unit, 3,
                       checkpoint_at(tr, 0).bytes, tr.leaves[2]);
    CHECK(w.status() == step::verifier::codes::kCheckpointMismatch);
    auto z = run_audit(*cpu.backend, cpu.ex, spec, fixture_data(), unit, 0,
                       checkpoint_at(tr, 0).bytes, tr.leaves[0]);
    CHECK(z.status() == step::verifier::codes::kBadLeafIndex);
    auto g = run_audit(*cpu.backend, cpu.ex, spec, fixture_data(), unit, 1, Bytes{1, 2, 3},
                       tr.leaves[0]);
    CHECK(g.status() == step::kernels::codes::kBadState);
}

TEST_CASE("audit windows hold the leaves after their checkpoint up to the sampled leaf") {
    auto shape = *trace_shape(small_spec());  // leaves 0..4, checkpoints at 0, 2, 4
    CHECK(audit_window_contains(shape, 2, 1));
    CHECK(audit_window_contains(shape, 2, 2));
    CHECK_FALSE(audit_window_contains(shape, 2, 3));
    CHECK_FALSE(audit_window_contains(shape, 3, 2));  // window (2, 3]
    CHECK(audit_window_contains(shape, 4, 3));
    CHECK(audit_window_contains(shape, 4, 4));
    CHECK_FALSE(audit_window_contains(shape, 0, 0));
    CHECK_FALSE(audit_window_contains(shape, 5, 4));
}

TEST_CASE("a checkpoint chunk proves against its committed leaf through the state root") {
    Cpu cpu;
    auto spec = small_spec();
    UnitRef unit{task_id(), 0, 0};
    auto tr = *build_trace(*cpu.backend, cpu.ex, spec, fixture_data(), unit,
                           *kernels::init_state(spec));
    const auto& cp = checkpoint_at(tr, 2);
    Hash256 root = kernels::state_root_of_bytes(cp.bytes, cpu.ex);
    auto chunk = make_chunk_proof(cp.bytes, 0);
    REQUIRE(chunk.ok());
    CHECK(verify_checkpoint_chunk(unit, 2, tr.leaves[2], root, *chunk));
    CHECK_FALSE(verify_checkpoint_chunk(unit, 3, tr.leaves[2], root, *chunk));  // other leaf
    CHECK_FALSE(verify_checkpoint_chunk(unit, 2, tr.leaves[4], root, *chunk));
    auto bad = *chunk;
    bad.chunk[10] ^= 1;
    CHECK_FALSE(verify_checkpoint_chunk(unit, 2, tr.leaves[2], root, bad));
}
