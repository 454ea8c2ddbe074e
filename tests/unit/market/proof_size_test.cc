// The spec's proof allowance (TaskCosts::proof_bytes, "spec-proof-bytes") over a grid of specs:
// the one formula consensus now has gives exactly what the formulas it replaced gave (copied
// below as the oracle), decides at exactly the same MAX_PROOF_BYTES, and covers the actual
// encodings of the largest proofs, which are exactly verifier::max_fraud_proof_bytes.
#include <algorithm>
#include <limits>

#include "kernels/data.h"
#include "tests/unit/market/market_sim.h"
#include "verifier/fraud_proof.h"
#include "verifier/proofs.h"
#include "tests/support/status_check.h"

namespace step::consensus::market_test {
namespace {

using u128 = unsigned __int128;

uint64_t mul_sat(uint64_t a, uint64_t b) {
    const u128 r = static_cast<u128>(a) * b;
    return r > UINT64_MAX ? UINT64_MAX : static_cast<uint64_t>(r);
}
uint64_t add_sat(uint64_t a, uint64_t b) {
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

// ---- The oracle: the size formulas as they were before the coding library, verbatim. ----
uint64_t old_tree_depth(uint64_t n) {
    uint64_t d = 0;
    while ((uint64_t{1} << d) < n && d < 63) ++d;
    return d;
}
constexpr uint64_t kOldFrame = 11;
uint64_t old_proof_bytes(uint64_t depth) {
    return depth * (32 + kOldFrame) + kOldFrame;
}

// verifier::max_fraud_proof_bytes as it was (a sum of literal sizes).
uint64_t old_max_fraud_proof_bytes(const kernels::TaskSpec& spec, uint64_t dataset_count) {
    auto shape = *verifier::trace_shape(spec);
    auto state = *kernels::state_bytes(spec);
    auto fmt = *kernels::record_format(spec.data_format);
    const uint64_t leaf_proof =
        4 + 32 + 4 + 32 * uint64_t{verifier::merkle_path_max(shape.leaf_count())};
    const uint64_t empty_leaf = 4 + 32 + 4;
    const uint64_t record = 8 + 4 + static_cast<uint64_t>(fmt.record_bytes);
    const uint64_t rows = std::min<uint64_t>(shape.leaf_interval * spec.batch, dataset_count);
    const uint64_t fixed = 1 + 4 + 8 + 4 + 4 + 4;
    uint64_t segment = fixed + 2 * leaf_proof + state + rows * record +
                       32 * verifier::merkle_multiproof_max(dataset_count, rows);
    uint64_t leaf0 = fixed + leaf_proof + empty_leaf + uint64_t{spec.units_per_round} * (8 + state);
    return std::max(segment, leaf0);
}

// consensus/task_spec.cc's computation of c.proof_bytes as it was.
uint64_t old_proof_allowance(const kernels::TaskSpec& s, uint64_t data_count) {
    const uint64_t L = s.leaf_interval, leaves = s.steps_per_unit / L;
    const uint64_t state = *kernels::state_bytes(s);
    const uint64_t rb = static_cast<uint64_t>(kernels::record_format(s.data_format)->record_bytes);
    const uint64_t leaf_proof = old_proof_bytes(old_tree_depth(leaves + 1)) + 32 + kOldFrame;
    const uint64_t record = rb + kOldFrame + old_proof_bytes(old_tree_depth(data_count));
    const uint64_t segment_proof =
        add_sat(add_sat(state + kOldFrame, mul_sat(mul_sat(L, s.batch), record)), 2 * leaf_proof);
    const uint64_t leaf0_proof = mul_sat(s.units_per_round, add_sat(state + kOldFrame, leaf_proof));
    uint64_t proof_bytes = std::max(segment_proof, leaf0_proof) + 256;
    proof_bytes = std::max(proof_bytes, add_sat(old_max_fraud_proof_bytes(s, data_count), 256));
    return proof_bytes;
}
// ---- end of the oracle ----

// Limits out of the way, so every spec of the grid reaches the proof-size check.
Params roomy() {
    Params p = P();
    p.max_segment_flops = UINT64_MAX;
    p.max_state_bytes = UINT64_MAX;
    p.max_proof_bytes = UINT64_MAX;
    p.max_task_units = UINT64_MAX;
    p.max_unit_leaves = UINT64_MAX;
    p.max_audit_leaves = UINT64_MAX;
    return p;
}

struct GridSpec {
    kernels::TaskSpec spec;
    uint64_t data_count = 0;
};

// Models (states from tens of kilobytes to megabytes), both optimisers, L, C = 2L or 4L and
// U = 1, 3 or 50 C.
std::vector<kernels::TaskSpec> trace_shapes() {
    std::vector<kernels::TaskSpec> out;
    for (const char* model : {"mlp{784,10}", "mlp{784,16,10}", "mlp{784,256,256,10}"})
        for (auto opt : {kernels::OptimizerKind::kSgd, kernels::OptimizerKind::kAdamW})
            for (uint64_t L : {1, 2, 25, 100})
                for (uint64_t leaves_per_c : {2, 4})
                    for (uint64_t checkpoints : {1, 3, 50}) {
                        kernels::TaskSpec s = small_spec();
                        s.model = *kernels::parse_model_spec(model, kernels::Activation::kRelu);
                        s.optimizer.kind = opt;
                        s.leaf_interval = L;
                        s.checkpoint_interval = leaves_per_c * L;
                        s.steps_per_unit = checkpoints * s.checkpoint_interval;
                        s.steps = 2 * s.steps_per_unit;
                        s.audit_verifiers = 1;
                        s.audit_leaves = 1;
                        out.push_back(s);
                    }
    return out;
}

// Each trace shape with K, B and dataset sizes from one batch per shard to 2^63 records.
std::vector<GridSpec> grid() {
    std::vector<GridSpec> out;
    for (const kernels::TaskSpec& shape : trace_shapes())
        for (uint32_t K : {1u, 2u, 3u, 16u})
            for (uint32_t B : {1u, 8u, 64u, 1024u})
                for (uint64_t n_per_shard : {0, 1, 1000})
                    for (uint64_t at_least : {uint64_t{0}, uint64_t{1} << 40, uint64_t{1} << 63}) {
                        GridSpec g{shape, std::max(uint64_t{K} * B + n_per_shard, at_least)};
                        g.spec.units_per_round = K;
                        g.spec.batch = B;
                        out.push_back(g);
                    }
    return out;
}

pb::TaskSpec proto(const GridSpec& g) {
    return spec_to_proto(g.spec, Hash256{}, g.data_count);
}

Result<TaskCosts> validate(const GridSpec& g, const Params& p) {
    const uint64_t units = (g.spec.steps / g.spec.steps_per_unit) * g.spec.units_per_round;
    return validate_market_spec(proto(g), units, UINT64_MAX, p);
}

// The largest proofs of each shape, built field by field (contents do not matter to the size).
verifier::FraudProof max_segment_proof(const kernels::TaskSpec& s, uint64_t dataset_count) {
    const auto shape = *verifier::trace_shape(s);
    const auto fmt = *kernels::record_format(s.data_format);
    const uint64_t rows = std::min<uint64_t>(s.leaf_interval * s.batch, dataset_count);
    verifier::FraudProof p;
    p.leaf = 1;
    p.claimed.path.resize(verifier::merkle_path_max(shape.leaf_count()));
    p.previous.path = p.claimed.path;
    p.pre_state.resize(*kernels::state_bytes(s));
    p.records.resize(rows);
    for (auto& r : p.records) r.record.resize(static_cast<size_t>(fmt.record_bytes));
    p.record_proof.resize(verifier::merkle_multiproof_max(dataset_count, rows));
    return p;
}

verifier::FraudProof max_leaf0_proof(const kernels::TaskSpec& s) {
    verifier::FraudProof p;
    p.claimed.path.resize(verifier::merkle_path_max(verifier::trace_shape(s)->leaf_count()));
    p.previous_finals.assign(s.units_per_round, Bytes(*kernels::state_bytes(s)));
    return p;
}

}  // namespace

TEST_CASE("The proof allowance equals the old formulas on a grid of specs", "[market]") {
    const Params p = roomy();
    size_t checked = 0;
    for (const GridSpec& g : grid()) {
        auto c = validate(g, p);
        INFO(g.spec.model.text() << " L=" << g.spec.leaf_interval << " C="
                                 << g.spec.checkpoint_interval << " U=" << g.spec.steps_per_unit
                                 << " K=" << g.spec.units_per_round << " B=" << g.spec.batch
                                 << " n=" << g.data_count);
        REQUIRE(c.ok());
        CHECK(c->proof_bytes == old_proof_allowance(g.spec, g.data_count));
        ++checked;
    }
    CHECK(checked > 10'000);
}

TEST_CASE("The proof allowance decides at exactly MAX_PROOF_BYTES", "[market]") {
    // Every eighth spec of the grid, at the limit and one byte under it.
    const auto specs = grid();
    for (size_t i = 0; i < specs.size(); i += 8) {
        const GridSpec& g = specs[i];
        Params p = roomy();
        p.max_proof_bytes = old_proof_allowance(g.spec, g.data_count);
        CHECK(validate(g, p).ok());
        --p.max_proof_bytes;
        CHECK(validate(g, p).status() == codes::kSpecProofBytes);
    }
}

TEST_CASE("The largest proofs encode to exactly max_fraud_proof_bytes, inside the allowance",
          "[market]") {
    // The grid's specs whose largest proofs are cheap to build (up to a few hundred kilobytes).
    size_t built = 0;
    for (const GridSpec& g : grid()) {
        const uint64_t state = *kernels::state_bytes(g.spec);
        if (state > 200'000 || g.spec.leaf_interval * g.spec.batch > 200) continue;
        const uint64_t segment = encode_fraud_proof(max_segment_proof(g.spec, g.data_count)).size();
        const uint64_t leaf0 = encode_fraud_proof(max_leaf0_proof(g.spec)).size();
        INFO(g.spec.model.text() << " L=" << g.spec.leaf_interval << " K=" << g.spec.units_per_round
                                 << " B=" << g.spec.batch << " n=" << g.data_count);
        CHECK(std::max(segment, leaf0) == *verifier::max_fraud_proof_bytes(g.spec, g.data_count));
        CHECK(std::max(segment, leaf0) < validate(g, roomy())->proof_bytes);
        ++built;
    }
    CHECK(built > 100);
}

TEST_CASE("A spec over 2^63 records is judged, not looped on", "[market]") {
    // merkle_path_max looped forever past 2^63 leaves, so such a spec hung SubmitTask.
    GridSpec g{small_spec(), UINT64_MAX};
    auto c = validate(g, roomy());
    REQUIRE(c.ok());
    CHECK(verifier::merkle_path_max(UINT64_MAX) == 64);
    CHECK(verifier::merkle_path_max((uint64_t{1} << 63) + 1) == 64);
    CHECK(verifier::merkle_path_max(uint64_t{1} << 63) == 63);
}

}  // namespace step::consensus::market_test
