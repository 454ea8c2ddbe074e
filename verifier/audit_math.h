// What audits cost and what they catch, in closed form from a task's audit shape (V verifiers,
// Q leaves each, leaf interval L, checkpoint interval C, U steps per unit). Shared by
// `step-bench audit` and `step-wallet task estimate`, so both report the same figures.
#pragma once

#include <cstdint>

#include "common/status.h"

namespace step::verifier {

struct AuditFigures {
    uint64_t leaves = 0;                  // n = U / L (leaves 1..n are sampled)
    double replay_steps_per_audit = 0;    // E[(s - c(s)) * L], s uniform in 1..n
    double share_per_audit = 0;           // replay_steps_per_audit / U
    double share_per_unit = 0;            // V*Q audits, each replayed on its own, / U
    double share_per_unit_shared = 0;     // V verifiers replaying each checkpoint interval once / U
    double catch_one_wrong_leaf = 0;      // 1 - (C(n-1,Q)/C(n,Q))^V: the sampled leaf itself
    double catch_one_wrong_leaf_window = 0;  // reveals expose every leaf in (c(s), s]
    uint64_t skip_wrong_leaves = 0;       // floor(n/2) + 1: a solver who skips most of the work
    double catch_skip = 0;                // probability that audits catch that solver
};

// "bad-audit-shape" unless L | U, C is a multiple of L at least 2L, and V, Q > 0.
// Q larger than n counts as n (a verifier cannot sample more leaves than exist).
Result<AuditFigures> audit_figures(uint64_t V, uint64_t Q, uint64_t L, uint64_t C, uint64_t U);

}  // namespace step::verifier
