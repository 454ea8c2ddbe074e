#include "wallet/task_spec_check.h"

#include <limits>

#include "kernels/data.h"
#include "consensus/errors.h"

namespace step::wallet {

Result<CheckedSpec> load_spec_for_chain(const std::string& path) {
    auto spec = kernels::load_task_spec(path);
    if (!spec.ok()) return spec.status();
    auto format = kernels::record_format(spec->data_format);
    if (!format.ok())
        return Status::error(consensus::codes::kSpecDataset, "spec.data.format: " + format.status().message());
    auto ds = kernels::load_records(spec->train_path, *format);
    if (!ds.ok())
        return Status::error(consensus::codes::kSpecDataset, "spec.data.train: cannot load '" + spec->train_path +
                                                 "': " + ds.status().message());
    CheckedSpec c;
    c.spec = *spec;
    c.dataset_root = kernels::dataset_root(*ds);
    c.data_count = ds->count();
    c.onchain = consensus::spec_to_proto(c.spec, c.dataset_root, c.data_count);
    return c;
}

Result<TaskEstimate> estimate_task(const CheckedSpec& s, const consensus::Params& p) {
    // Consensus' validation is monotone in the unit bond (only the deterrence rule reads it):
    // the largest bond isolates every other rule, and bisection finds the smallest bond it
    // accepts without restating the deterrence formula here.
    auto accepts = [&](uint64_t bond) {
        return consensus::validate_market_spec(s.onchain, s.spec.budget, bond, p);
    };
    auto costs = accepts(std::numeric_limits<uint64_t>::max());
    if (!costs.ok()) return costs.status();
    uint64_t lo = 0, hi = std::numeric_limits<uint64_t>::max();  // accepts(hi), not known for lo
    if (accepts(0).ok()) hi = 0;
    while (hi - lo > 1) {
        const uint64_t mid = lo + (hi - lo) / 2;
        if (accepts(mid).ok()) hi = mid;
        else lo = mid;
    }
    TaskEstimate e;
    e.costs = *costs;
    if (__builtin_mul_overflow(e.costs.unit_flops, e.costs.units, &e.task_flops))
        e.task_flops = std::numeric_limits<uint64_t>::max();
    e.required_unit_bond = hi;
    e.unit_bond_ok = s.spec.unit_bond >= hi;
    e.audit_fees_per_unit = e.costs.audit_fee * s.spec.audit_verifiers;
    e.solver_pay_per_unit = e.costs.unit_pay - e.audit_fees_per_unit;
    e.budget_remainder = s.spec.budget - e.costs.unit_pay * e.costs.units;
    auto audit = verifier::audit_figures(s.spec.audit_verifiers, s.spec.audit_leaves,
                                         s.spec.leaf_interval, s.spec.checkpoint_interval,
                                         s.spec.steps_per_unit);
    if (!audit.ok()) return audit.status();
    e.audit = *audit;
    return e;
}

}  // namespace step::wallet
