#include "consensus/task_spec.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "common/coding.h"
#include "consensus/canonical.h"
#include "consensus/errors.h"
#include "kernels/data.h"
#include "kernels/model.h"
#include "verifier/fraud_proof.h"
#include "verifier/proofs.h"

namespace step::consensus {
namespace {

using u128 = unsigned __int128;

Status fail(const ErrorCode& code, const std::string& msg) { return Status::error(code, msg); }

uint32_t bits(float f) { return std::bit_cast<uint32_t>(f); }
float from_bits(uint32_t b) { return std::bit_cast<float>(b); }

// a * b saturating at u64 max (limits are far below, so saturation only ever rejects).
uint64_t mul_sat(uint64_t a, uint64_t b) {
    const u128 r = static_cast<u128>(a) * b;
    return r > UINT64_MAX ? UINT64_MAX : static_cast<uint64_t>(r);
}
uint64_t add_sat(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

// Protobuf framing of one length-delimited item: a key byte and a varint length of up to 10.
constexpr uint64_t kFrameBytes = 1 + 10;
// What a FraudProof transaction adds around the proof: its references and framing.
constexpr uint64_t kProofTxOverheadBytes = 256;

uint64_t framed(uint64_t n) { return add_sat(n, kFrameBytes); }
// A Merkle path of `depth` hashes as a framed list of framed hashes.
uint64_t framed_path(uint64_t depth) { return framed(mul_sat(depth, framed(kHashBytes))); }

// The proof bytes a spec is allowed (TaskCosts::proof_bytes, "spec-proof-bytes"): the larger of
// the wire encoding's largest proof (verifier::max_fraud_proof_bytes) and the bound consensus
// used before that encoding existed, which frames every item as protobuf does, gives each of
// the L*B records its own full dataset path and each of the K final states its own leaf proof;
// plus the transaction around the proof. The older bound is the larger on every spec that gets
// here (tests/unit/market/proof_size_test.cc), so it decides which specs are valid: bounding by
// the encoding alone would accept specs that nodes running this code reject (a consensus change).
uint64_t proof_allowance(const kernels::TaskSpec& s, uint64_t data_count, const TaskCosts& c,
                         uint64_t record_bytes) {
    const uint64_t leaf_proof =
        add_sat(framed(kHashBytes), framed_path(verifier::merkle_path_max(c.leaves + 1)));
    const uint64_t record =
        add_sat(framed(record_bytes), framed_path(verifier::merkle_path_max(data_count)));
    const uint64_t segment =
        add_sat(add_sat(framed(c.state_bytes), mul_sat(mul_sat(s.leaf_interval, s.batch), record)),
                mul_sat(2, leaf_proof));
    const uint64_t leaf0 = mul_sat(s.units_per_round, add_sat(framed(c.state_bytes), leaf_proof));
    uint64_t allowance = std::max(segment, leaf0);
    if (auto wire = verifier::max_fraud_proof_bytes(s, data_count); wire.ok())
        allowance = std::max(allowance, *wire);
    return add_sat(allowance, kProofTxOverheadBytes);
}

}  // namespace

pb::TaskSpec spec_to_proto(const kernels::TaskSpec& s, const Hash256& dataset_root,
                           uint64_t data_count) {
    pb::TaskSpec m;
    m.set_kernel_version(s.kernel_version);
    m.set_model_arch(s.model.arch);
    for (int d : s.model.dims) m.add_model_dims(static_cast<uint32_t>(d));
    m.set_activation(static_cast<uint32_t>(s.model.activation));
    m.set_loss(s.loss);
    m.set_optimizer(static_cast<uint32_t>(s.optimizer.kind));
    m.set_lr(bits(s.optimizer.lr));
    m.set_momentum(bits(s.optimizer.momentum));
    m.set_weight_decay(bits(s.optimizer.weight_decay));
    m.set_beta1(bits(s.optimizer.beta1));
    m.set_beta2(bits(s.optimizer.beta2));
    m.set_eps(bits(s.optimizer.eps));
    m.set_max_grad_norm(bits(s.optimizer.max_grad_norm));
    m.set_batch(s.batch);
    m.set_steps(s.steps);
    m.set_dataset_root(dataset_root.data(), dataset_root.size());
    m.set_data_format(s.data_format);
    m.set_data_count(data_count);
    m.set_seed(s.seed);
    m.set_units_per_round(s.units_per_round);
    m.set_steps_per_unit(s.steps_per_unit);
    m.set_leaf_interval(s.leaf_interval);
    m.set_checkpoint_interval(s.checkpoint_interval);
    m.set_audit_verifiers(s.audit_verifiers);
    m.set_audit_leaves(s.audit_leaves);
    return m;
}

Result<kernels::TaskSpec> spec_from_proto(const pb::TaskSpec& m, uint64_t budget,
                                          uint64_t unit_bond) {
    kernels::TaskSpec s;
    s.kernel_version = m.kernel_version();
    s.model.arch = m.model_arch();
    for (uint32_t d : m.model_dims()) {
        if (d == 0 || d > (1u << 20))
            return fail(codes::kSpecUnknownModel, "model dimension " + std::to_string(d));
        s.model.dims.push_back(static_cast<int>(d));
    }
    if (m.activation() != 1 && m.activation() != 2)
        return fail(codes::kSpecUnknownModel, "activation " + std::to_string(m.activation()));
    s.model.activation = static_cast<kernels::Activation>(m.activation());
    s.loss = m.loss();
    if (m.optimizer() != 1 && m.optimizer() != 2)
        return fail(codes::kSpecInvalid, "spec.optimizer.kind " + std::to_string(m.optimizer()));
    s.optimizer.kind = static_cast<kernels::OptimizerKind>(m.optimizer());
    s.optimizer.lr = from_bits(m.lr());
    s.optimizer.momentum = from_bits(m.momentum());
    s.optimizer.weight_decay = from_bits(m.weight_decay());
    s.optimizer.beta1 = from_bits(m.beta1());
    s.optimizer.beta2 = from_bits(m.beta2());
    s.optimizer.eps = from_bits(m.eps());
    s.optimizer.max_grad_norm = from_bits(m.max_grad_norm());
    s.batch = m.batch();
    s.steps = m.steps();
    s.seed = m.seed();
    s.data_format = m.data_format();
    s.units_per_round = m.units_per_round();
    s.steps_per_unit = m.steps_per_unit();
    s.leaf_interval = m.leaf_interval();
    s.checkpoint_interval = m.checkpoint_interval();
    s.audit_verifiers = m.audit_verifiers();
    s.audit_leaves = m.audit_leaves();
    s.budget = budget;
    s.unit_bond = unit_bond;
    return s;
}

Bytes encode_task_spec(const pb::TaskSpec& m) { return detail::encode_message(m); }

Result<pb::TaskSpec> decode_task_spec(ByteSpan bytes) {
    return detail::decode_message<pb::TaskSpec>(bytes, "task spec");
}

namespace {

// validate_market_spec's checks, run in a fixed order (kernel version, model, split, data and
// audit, work, pay), so a spec that breaks several rules always gets the first one's code.

// A known model and finite optimiser hyper-parameters.
Status check_model(const kernels::TaskSpec& s) {
    if (auto model = kernels::make_model(s.model); !model.ok())
        return fail(codes::kSpecUnknownModel, "spec.model: " + model.status().message());
    for (auto [name, v] : {std::pair<const char*, float>{"lr", s.optimizer.lr},
                           {"momentum", s.optimizer.momentum},
                           {"weight_decay", s.optimizer.weight_decay},
                           {"beta1", s.optimizer.beta1}, {"beta2", s.optimizer.beta2},
                           {"eps", s.optimizer.eps}})
        if (!std::isfinite(v))
            return fail(codes::kSpecNonFinite, std::string("spec.optimizer.") + name + " is not finite");
    return Status();
}

// The interval rules and the split into rounds and units; fills rounds, units and leaves.
Status check_split(const kernels::TaskSpec& s, const Params& p, TaskCosts& c) {
    const uint64_t L = s.leaf_interval, U = s.steps_per_unit, C = s.checkpoint_interval;
    if (L == 0 || U == 0 || U % L != 0)
        return fail(codes::kSpecIntervals, "spec.split.steps_per_unit must be a positive multiple of leaf_interval");
    if (C % L != 0 || C < 2 * L)
        return fail(codes::kSpecIntervals, "spec.checkpoint_interval must be a multiple of leaf_interval, at least 2x it");
    // C | U makes the final state a checkpoint, so an audit of the final leaf n replays from
    // n - C/L and its commitment covers hidden leaves; with n = c + 1 it would cover only the
    // final leaf, which CommitUnit publishes, and a lazy verifier could copy it.
    if (U % C != 0)
        return fail(codes::kSpecIntervals, "spec.split.steps_per_unit must be a multiple of checkpoint_interval");
    if (s.units_per_round == 0 || s.steps == 0 || s.steps % U != 0)
        return fail(codes::kSpecSplit, "spec.steps must be a positive multiple of steps_per_unit, units >= 1");
    c.rounds = s.steps / U;
    c.units = mul_sat(c.rounds, s.units_per_round);
    c.leaves = U / L;
    if (c.units > p.max_task_units || c.rounds > UINT32_MAX)
        return fail(codes::kSpecTooManyUnits, std::to_string(c.units) + " units > " +
                                                   std::to_string(p.max_task_units));
    if (c.leaves > p.max_unit_leaves)
        return fail(codes::kSpecTooManyLeaves, "steps_per_unit / leaf_interval = " +
                                                    std::to_string(c.leaves) + " leaves > " +
                                                    std::to_string(p.max_unit_leaves));
    return Status();
}

// The dataset's shape and the audit's; returns the record size of the data format.
Result<uint64_t> check_data_and_audit(const pb::TaskSpec& m, const kernels::TaskSpec& s,
                                      const Params& p, const TaskCosts& c) {
    auto fmt = kernels::record_format(s.data_format);
    if (!fmt.ok()) return fail(codes::kSpecDataset, "spec.data.format: unknown record format");
    if (m.dataset_root().size() != 32)
        return fail(codes::kSpecDataset, "spec.data.root is not 32 bytes");
    if (s.batch == 0 || s.batch > 65536)
        return fail(codes::kSpecDataset, "spec.batch must be in [1, 65536]");
    // Every shard must hold a batch (kernels::batch_indices' "shard-too-small").
    if (m.data_count() / s.units_per_round < s.batch)
        return fail(codes::kSpecDataset, "spec.data.count: a shard holds fewer records than a batch");
    if (s.audit_verifiers == 0 || s.audit_leaves == 0 || s.audit_leaves > c.leaves ||
        mul_sat(s.audit_verifiers, s.audit_leaves) > p.max_audit_leaves)
        return fail(codes::kSpecAudit, "spec.audit: need 1 <= Q <= U/L and V*Q <= " +
                                            std::to_string(p.max_audit_leaves));
    return static_cast<uint64_t>(fmt->record_bytes);
}

// FLOPs, state bytes and proof bytes against their limits; fills those costs.
Status check_work(const pb::TaskSpec& m, const kernels::TaskSpec& s, uint64_t record_bytes,
                  const Params& p, TaskCosts& c) {
    auto sf = kernels::step_flops(s);
    auto sb = kernels::state_bytes(s);
    if (!sf.ok() || !sb.ok()) return fail(codes::kSpecUnknownModel, "spec.model: no cost model");
    c.step_flops = *sf;
    c.segment_flops = mul_sat(*sf, s.leaf_interval);
    c.unit_flops = mul_sat(*sf, s.steps_per_unit);
    c.state_bytes = *sb;
    if (c.segment_flops > p.max_segment_flops)
        return fail(codes::kSpecSegmentFlops, "segment of L steps is " +
                                                  std::to_string(c.segment_flops) + " FLOPs > MAX_SEGMENT_FLOPS " +
                                                  std::to_string(p.max_segment_flops));
    if (c.state_bytes > p.max_state_bytes)
        return fail(codes::kSpecStateBytes, "state is " + std::to_string(c.state_bytes) +
                                                " bytes > MAX_STATE_BYTES");
    c.proof_bytes = proof_allowance(s, m.data_count(), c, record_bytes);
    if (c.proof_bytes > p.max_proof_bytes)
        return fail(codes::kSpecProofBytes, "worst-case fraud proof is " +
                                                std::to_string(c.proof_bytes) + " bytes > MAX_PROOF_BYTES");
    return Status();
}

// The budget covers the units, and the unit bond deters a wrong leaf; fills the pay.
Status check_pay(const kernels::TaskSpec& s, uint64_t budget, uint64_t unit_bond,
                 const Params& p, TaskCosts& c) {
    if (budget < c.units || budget == 0)
        return fail(codes::kSpecBudget, "budget " + std::to_string(budget) + " < units " +
                                            std::to_string(c.units));
    c.unit_pay = budget / c.units;
    c.audit_fee = static_cast<uint64_t>(static_cast<u128>(c.unit_pay) * p.audit_fee_bps / 10'000 /
                                        s.audit_verifiers);
    c.subsidy_cap = flops_pay(c.unit_flops, p);
    // Deterrence: unit_bond * V * Q >= SAFETY * (unit pay + subsidy cap) * n, in u128.
    const u128 lhs = static_cast<u128>(unit_bond) * s.audit_verifiers * s.audit_leaves;
    const u128 rhs = static_cast<u128>(p.safety) *
                     (static_cast<u128>(c.unit_pay) + c.subsidy_cap) * c.leaves;
    if (lhs < rhs)
        return fail(codes::kSpecDeterrence, "unit_bond * V * Q < SAFETY * (unit pay + subsidy cap) * U/L");
    return Status();
}

}  // namespace

Result<TaskCosts> validate_market_spec(const pb::TaskSpec& m, uint64_t budget,
                                       uint64_t unit_bond, const Params& p) {
    if (m.kernel_version() != kernels::kKernelVersion)
        return fail(codes::kSpecKernelVersion,
                    "spec.kernel_version " + std::to_string(m.kernel_version()) +
                        ": this chain runs version " + std::to_string(kernels::kKernelVersion));
    auto sr = spec_from_proto(m, budget, unit_bond);
    if (!sr.ok()) return sr.status();
    const kernels::TaskSpec& s = *sr;
    STEP_TRY(check_model(s));
    TaskCosts c;
    STEP_TRY(check_split(s, p, c));
    auto record_bytes = check_data_and_audit(m, s, p, c);
    if (!record_bytes.ok()) return record_bytes.status();
    STEP_TRY(check_work(m, s, *record_bytes, p, c));
    STEP_TRY(check_pay(s, budget, unit_bond, p, c));
    if (Status v = kernels::validate_task_spec(s); !v.ok())
        return fail(codes::kSpecInvalid, v.message());
    return c;
}

}  // namespace step::consensus
