// Offline checks of a task spec for submitters (`step-wallet task validate|estimate`): the TOML
// is parsed by the kernels' parser, converted to the on-chain spec by consensus and validated by
// consensus with the chosen network's parameters, so the wallet accepts exactly what a block
// would. Needs the training data file (its merkle root and record count are part of the spec).
#pragma once

#include <cstdint>
#include <string>

#include "common/bytes.h"
#include "common/status.h"
#include "consensus/params.h"
#include "consensus/proto/market.pb.h"
#include "consensus/task_spec.h"
#include "kernels/spec.h"
#include "verifier/audit_math.h"

namespace step::wallet {

struct CheckedSpec {
    kernels::TaskSpec spec;
    pb::TaskSpec onchain;        // what SubmitTask.spec carries
    Hash256 dataset_root{};
    uint64_t data_count = 0;
};

// Parses the TOML at `path` ("bad-spec", naming the field) and loads its training data
// ("spec-dataset" when the file cannot be read). Does not run consensus' validation.
Result<CheckedSpec> load_spec_for_chain(const std::string& path);

struct TaskEstimate {
    consensus::TaskCosts costs;      // consensus' derived figures (bond-independent)
    uint64_t task_flops = 0;         // unit_flops * units (saturating)
    uint64_t required_unit_bond = 0; // the smallest unit bond consensus accepts for this spec
    bool unit_bond_ok = false;       // the spec's own unit bond is at least that
    uint64_t audit_fees_per_unit = 0;   // V * audit_fee
    uint64_t solver_pay_per_unit = 0;   // unit_pay - V * audit_fee (plus the pool's subsidy)
    uint64_t budget_remainder = 0;      // budget - units * unit_pay, refunded when the task ends
    verifier::AuditFigures audit;
};

// Every figure of `task estimate`. Fails with consensus' code when the spec is invalid for any
// reason other than its unit bond (the estimate says which bond would be enough).
Result<TaskEstimate> estimate_task(const CheckedSpec& s, const consensus::Params& p);

}  // namespace step::wallet
