// The on-chain task spec (PROTOCOL.md section 3): conversion between pb::TaskSpec (binary32
// hyper-parameters as bits) and the kernels' TaskSpec, and the spec validation consensus makes,
// all in integers. Each rejection has its own code (consensus/errors.h, docs/protocol.md).
#pragma once

#include <cstdint>

#include "common/bytes.h"
#include "common/status.h"
#include "consensus/params.h"
#include "consensus/proto/market.pb.h"
#include "kernels/spec.h"

namespace step::consensus {

pb::TaskSpec spec_to_proto(const kernels::TaskSpec& s, const Hash256& dataset_root,
                           uint64_t data_count);
// Field-by-field conversion; "spec-unknown-model" / "spec-invalid" on enum values or dims the
// kernels cannot represent. Budget and unit bond are passed separately (SubmitTask carries them).
Result<kernels::TaskSpec> spec_from_proto(const pb::TaskSpec& m, uint64_t budget,
                                          uint64_t unit_bond);
Bytes encode_task_spec(const pb::TaskSpec& m);
Result<pb::TaskSpec> decode_task_spec(ByteSpan bytes);  // strict canonical decoding

// What consensus derives from a valid spec.
struct TaskCosts {
    uint64_t rounds = 0;          // R = T / U
    uint64_t units = 0;           // R * K
    uint64_t leaves = 0;          // n = U / L (leaf indices 1..n are sampled)
    uint64_t step_flops = 0;
    uint64_t segment_flops = 0;   // L steps
    uint64_t unit_flops = 0;      // U steps
    uint64_t state_bytes = 0;
    uint64_t proof_bytes = 0;     // worst-case fraud proof
    uint64_t unit_pay = 0;        // budget / units
    uint64_t audit_fee = 0;       // per verifier per unit
    uint64_t subsidy_cap = 0;     // most the pool can pay for one unit
};

// Every check of PROTOCOL.md section 3 for a SubmitTask: known model and kernel_version,
// finite hyper-parameters, interval rules, split, dataset shape, audit shape, segment FLOPs,
// state bytes, worst-case proof bytes, budget and the deterrence inequality.
Result<TaskCosts> validate_market_spec(const pb::TaskSpec& m, uint64_t budget,
                                       uint64_t unit_bond, const Params& p);

}  // namespace step::consensus
