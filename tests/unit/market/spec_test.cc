#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "tests/unit/market/market_sim.h"
#include "verifier/audit_math.h"
#include "tests/support/status_check.h"

namespace step::consensus::market_test {
namespace {

step::Status code_of(const pb::TaskSpec& m, uint64_t budget = small_spec().budget,
                    uint64_t bond = small_spec().unit_bond, const Params& p = P()) {
    auto r = validate_market_spec(m, budget, bond, p);
    return r.status();
}

}  // namespace

TEST_CASE("On-chain task spec converts to and from the kernels' spec, bits intact", "[market]") {
    kernels::TaskSpec s = small_spec();
    s.optimizer.kind = kernels::OptimizerKind::kAdamW;
    s.optimizer.lr = 0.1f;  // not exact in binary: its bits must survive
    s.optimizer.eps = 1e-8f;
    const pb::TaskSpec m = small_spec_proto(s);
    CHECK(m.lr() == std::bit_cast<uint32_t>(0.1f));
    auto bytes = encode_task_spec(m);
    auto back = decode_task_spec(bytes);
    REQUIRE(back.ok());
    auto k = spec_from_proto(*back, s.budget, s.unit_bond);
    REQUIRE(k.ok());
    CHECK(k->model.text() == s.model.text());
    CHECK(std::bit_cast<uint32_t>(k->optimizer.lr) == std::bit_cast<uint32_t>(s.optimizer.lr));
    CHECK(std::bit_cast<uint32_t>(k->optimizer.eps) == std::bit_cast<uint32_t>(s.optimizer.eps));
    CHECK(k->optimizer.kind == kernels::OptimizerKind::kAdamW);
    CHECK(k->steps == s.steps);
    CHECK(k->units_per_round == s.units_per_round);
    CHECK(k->checkpoint_interval == s.checkpoint_interval);
    CHECK(k->budget == s.budget);
    // Non-canonical bytes are refused.
    Bytes junk = bytes;
    junk.push_back(0);
    CHECK_FALSE(decode_task_spec(junk).ok());
}

TEST_CASE("A valid spec yields its integer costs", "[market]") {
    auto c = validate_market_spec(small_spec_proto(), small_spec().budget, small_spec().unit_bond, P());
    REQUIRE(c.ok());
    CHECK(c->rounds == 2);
    CHECK(c->units == 4);
    CHECK(c->leaves == 4);
    CHECK(c->segment_flops == 2 * c->step_flops);
    CHECK(c->unit_flops == 8 * c->step_flops);
    CHECK(c->unit_pay == small_spec().budget / 4);
    CHECK(c->proof_bytes > c->state_bytes);
    CHECK(c->proof_bytes <= P().max_proof_bytes);
}

TEST_CASE("Every spec rejection has its own code", "[market]") {
    const pb::TaskSpec ok = small_spec_proto();
    REQUIRE(code_of(ok).ok());
    auto with = [&](auto f) {
        pb::TaskSpec m = ok;
        f(m);
        return code_of(m);
    };
    CHECK(with([](auto& m) { m.set_kernel_version(99); }) == codes::kSpecKernelVersion);
    CHECK(with([](auto& m) { m.set_model_arch("transformer"); }) == codes::kSpecUnknownModel);
    CHECK(with([](auto& m) { m.set_activation(7); }) == codes::kSpecUnknownModel);
    CHECK(with([](auto& m) { m.set_lr(std::bit_cast<uint32_t>(std::numeric_limits<float>::quiet_NaN())); }) == codes::kSpecNonFinite);
    CHECK(with([](auto& m) { m.set_beta2(std::bit_cast<uint32_t>(std::numeric_limits<float>::infinity())); }) == codes::kSpecNonFinite);
    CHECK(with([](auto& m) { m.set_steps_per_unit(7); }) == codes::kSpecIntervals);          // L does not divide U
    CHECK(with([](auto& m) { m.set_checkpoint_interval(3); }) == codes::kSpecIntervals);     // not a multiple of L
    CHECK(with([](auto& m) { m.set_checkpoint_interval(2); }) == codes::kSpecIntervals);     // C < 2L
    CHECK(with([](auto& m) { m.set_checkpoint_interval(16); }) == codes::kSpecIntervals);    // C > U
    CHECK(with([](auto& m) { m.set_checkpoint_interval(6); }) == codes::kSpecIntervals);     // C does not divide U
    CHECK(with([](auto& m) { m.set_steps(12); }) == codes::kSpecSplit);                      // T not a multiple of U
    CHECK(with([](auto& m) { m.set_units_per_round(0); }) == codes::kSpecSplit);
    CHECK(with([](auto& m) { m.set_steps(8ull * 5000); }) == codes::kSpecTooManyUnits);
    CHECK(with([](auto& m) { m.set_steps_per_unit(8200); m.set_steps(8200); }) == codes::kSpecTooManyLeaves);  // 4,100 leaves
    CHECK(with([](auto& m) { m.set_dataset_root("short"); }) == codes::kSpecDataset);
    CHECK(with([](auto& m) { m.set_data_format("cifar"); }) == codes::kSpecDataset);
    CHECK(with([](auto& m) { m.set_data_count(15); }) == codes::kSpecDataset);  // shard < batch
    CHECK(with([](auto& m) { m.set_audit_leaves(5); }) == codes::kSpecAudit);   // Q > U/L
    CHECK(with([](auto& m) { m.set_audit_verifiers(0); }) == codes::kSpecAudit);
    CHECK(with([](auto& m) { m.set_loss("mse"); }) == codes::kSpecInvalid);
    CHECK(with([](auto& m) { m.set_lr(std::bit_cast<uint32_t>(-1.0f)); }) == codes::kSpecInvalid);

    // Over the size limits: a wide model's segment, state and proof.
    Params tight = P();
    tight.max_segment_flops = 1'000;
    CHECK(code_of(ok, small_spec().budget, small_spec().unit_bond, tight) == codes::kSpecSegmentFlops);
    tight = P();
    tight.max_state_bytes = 1'000;
    CHECK(code_of(ok, small_spec().budget, small_spec().unit_bond, tight) == codes::kSpecStateBytes);
    tight = P();
    tight.max_proof_bytes = 60'000;
    CHECK(code_of(ok, small_spec().budget, small_spec().unit_bond, tight) == codes::kSpecProofBytes);
    CHECK(with([](auto& m) { m.set_model_dims(1, 400000); }) == codes::kSpecSegmentFlops);

    // Money: budget below one base unit per unit; the deterrence inequality in u128.
    CHECK(code_of(ok, 3) == codes::kSpecBudget);
    auto c = validate_market_spec(ok, small_spec().budget, small_spec().unit_bond, P());
    REQUIRE(c.ok());
    // unit_bond * V * Q >= SAFETY * (unit pay + subsidy cap) * n: the smallest passing bond.
    const unsigned __int128 need = static_cast<unsigned __int128>(P().safety) *
                                   (c->unit_pay + c->subsidy_cap) * c->leaves;
    const uint64_t min_bond = static_cast<uint64_t>((need + 3) / 4);  // V * Q = 4
    CHECK(code_of(ok, small_spec().budget, min_bond).ok());
    CHECK(code_of(ok, small_spec().budget, min_bond - 1) == codes::kSpecDeterrence);
    CHECK(code_of(ok, UINT64_MAX / 2, UINT64_MAX).ok());  // no overflow in the products
}

TEST_CASE("Every network's market parameters respect the protocol's orderings", "[market]") {
    for (const Params* p : {&mainnet_params(), &testnet_params(), &devnet_params()}) {
        INFO(p->network);
        const UnitWindows w = unit_windows(0, *p);
        CHECK(w.assign >= 1);
        CHECK(w.open_end < w.final_at);             // room for fraud proofs after the open
        CHECK(p->finality_window < p->unbonding_delay);  // a bond cannot leave before final
        CHECK(p->claim_timeout < p->unbonding_delay);
        CHECK(p->max_proof_bytes <= p->max_block_bytes / 2);
        CHECK(p->max_state_bytes <= p->max_proof_bytes);
        CHECK(p->proof_burn_bps >= 5'000);
        CHECK(p->whistle_share_bps <= 10'000);
        CHECK(p->max_block_proof_flops >= p->max_segment_flops);
        CHECK(p->pipeline_depth >= 1);
        CHECK(p->proof_contest_window >= 1);
    }
}

}  // namespace step::consensus::market_test

namespace step::consensus::market_test {

namespace {

// An example spec as written (the data's record count given: the files need not be here) is
// valid on every network, its unit bond included, and its audit parameters meet the market's
// targets (docs/protocol.md, "Audit parameters"): audits cost at most 10% of the unit's
// training and catch a solver that skips most of the work with probability above 99.9%.
struct Example {
    kernels::TaskSpec spec;
    pb::TaskSpec onchain;
};
Example check_example(const std::string& file, uint64_t records) {
    auto s = kernels::load_task_spec(std::string(STEP_SOURCE_DIR) + "/examples/" + file);
    REQUIRE(s.ok());
    const pb::TaskSpec m = spec_to_proto(*s, Hash256{}, records);
    for (const Params* p : {&mainnet_params(), &testnet_params(), &devnet_params()}) {
        auto c = validate_market_spec(m, s->budget, s->unit_bond, *p);
        INFO(file << " on " << p->network << ": " << (c.ok() ? "" : c.status().to_string()));
        REQUIRE(c.ok());
        CHECK(c->segment_flops <= p->max_segment_flops);
        CHECK(c->proof_bytes <= p->max_proof_bytes);
    }
    auto f = verifier::audit_figures(s->audit_verifiers, s->audit_leaves, s->leaf_interval,
                                     s->checkpoint_interval, s->steps_per_unit);
    REQUIRE(f.ok());
    CHECK(f->share_per_unit <= 0.10);
    CHECK(f->catch_skip > 0.999);
    return {*s, m};
}

}  // namespace

TEST_CASE("The example task fits the limits and its bond meets deterrence", "[market]") {
    // 35,000 STEP passes the deterrence rule on every network; a bond of 100 STEP is below the
    // bound for V*Q = 12 audits of n = 200 leaves with a 1,000 STEP pay.
    const Example e = check_example("mnist-mlp.toml", 7'996);
    auto low_bond =
        validate_market_spec(e.onchain, e.spec.budget, 100'000'000'000, mainnet_params());
    CHECK(low_bond.status() == codes::kSpecDeterrence);
}

TEST_CASE("The GPT example task fits the limits and its bond meets deterrence", "[market]") {
    // examples/gpt-text.toml on the KJV text's 58,188 training windows: 5 units of 800 steps,
    // n = 200 leaves, V*Q = 12; its 7,000 STEP bond covers the 6,690 STEP bound of devnet (the
    // largest subsidy) for a 200 STEP unit, and 6,000 STEP does not.
    const Example e = check_example("gpt-text.toml", 58'188);
    auto low_bond =
        validate_market_spec(e.onchain, e.spec.budget, 6'000'000'000'000, devnet_params());
    CHECK(low_bond.status() == codes::kSpecDeterrence);
}

TEST_CASE("max_grad_norm: off leaves the spec bytes as before the field, on round-trips",
          "[market]") {
    kernels::TaskSpec s = small_spec();
    const Bytes off = encode_task_spec(small_spec_proto(s));
    // Field 25, wire type 5 (fixed32): tag 0xcd 0x01. Absent when clipping is off.
    const Bytes tag{0xcd, 0x01};
    CHECK(std::search(off.begin(), off.end(), tag.begin(), tag.end()) == off.end());
    s.optimizer.max_grad_norm = 0.7f;
    const Bytes on = encode_task_spec(small_spec_proto(s));
    CHECK(std::search(on.begin(), on.end(), tag.begin(), tag.end()) != on.end());
    auto k = spec_from_proto(*decode_task_spec(on), s.budget, s.unit_bond);
    REQUIRE(k.ok());
    CHECK(std::bit_cast<uint32_t>(k->optimizer.max_grad_norm) == std::bit_cast<uint32_t>(0.7f));
    // -0 would be a second encoding of "off": refused.
    pb::TaskSpec neg = small_spec_proto(s);
    neg.set_max_grad_norm(0x80000000u);
    CHECK(code_of(neg) == codes::kSpecInvalid);
}

}  // namespace step::consensus::market_test
