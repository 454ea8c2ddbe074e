// step-bench audit: what audits cost and what they catch, for the example task's audit
//   parameters (V verifiers, Q leaves each, leaf interval L, checkpoint interval C, U steps per
//   unit; examples/mnist-mlp.toml unless overridden). Exact arithmetic, no training:
//   - replay steps of one audit of leaf s: (s - c(s)) * L, c(s) the last checkpoint leaf before s,
//     averaged over s uniform in 1..n (n = U/L); as a share of the unit's U training steps;
//   - per unit, V*Q such audits (each audit replayed on its own), and the same when a verifier
//     replays each checkpoint interval once up to its highest sampled leaf there;
//   - the probability that audits catch one wrong leaf: V verifiers each sample Q distinct of n
//     leaves independently, so P(miss) = (C(n-w, Q) / C(n, Q))^V for w wrong leaves;
//     counted on the sampled leaf alone (the deterrence bound V*Q/n's exact form), and counting
//     that a reveal also exposes every wrong leaf in (c(s), s];
//   - the probability they catch a solver who skips the work: most leaves (floor(n/2)+1) wrong.
// Options: --spec PATH, and --V --Q --L --C --U to override the spec's values.
#include <cstdio>
#include <string>
#include <vector>

#include "bench/bench_json.h"
#include "kernels/spec.h"
#include "verifier/audit_math.h"

namespace step::bench {

namespace {

uint64_t opt(const std::vector<std::string>& args, const std::string& name, uint64_t dflt) {
    for (size_t i = 0; i + 1 < args.size(); ++i)
        if (args[i] == name) return std::stoull(args[i + 1]);
    return dflt;
}

}  // namespace

int verifier_audit(const std::vector<std::string>& args) {
    std::string path = "examples/mnist-mlp.toml";
    for (size_t i = 0; i + 1 < args.size(); ++i)
        if (args[i] == "--spec") path = args[i + 1];
    auto spec = kernels::load_task_spec(path);
    if (!spec.ok()) {
        std::fprintf(stderr, "step-bench audit: %s\n", spec.status().to_string().c_str());
        return 1;
    }
    const uint64_t V = opt(args, "--V", spec->audit_verifiers);
    const uint64_t Q = opt(args, "--Q", spec->audit_leaves);
    const uint64_t L = opt(args, "--L", spec->leaf_interval);
    const uint64_t C = opt(args, "--C", spec->checkpoint_interval);
    const uint64_t U = opt(args, "--U", spec->steps_per_unit);
    auto f = verifier::audit_figures(V, Q, L, C, U);
    if (!f.ok()) {
        std::fprintf(stderr, "step-bench audit: %s\n", f.status().message().c_str());
        return 1;
    }
    const uint64_t n = f->leaves;
    std::string params = "V=" + std::to_string(V) + " Q=" + std::to_string(Q) + " L=" +
                         std::to_string(L) + " C=" + std::to_string(C) + " U=" +
                         std::to_string(U) + " n=" + std::to_string(n);
    emit({"audit_replay_steps_per_audit", f->replay_steps_per_audit, "steps", "", 0, params});
    emit({"audit_share_per_audit", 100.0 * f->share_per_audit, "%", "", 0,
          "expected replay steps of one audit / U"});
    emit({"audit_share_per_unit", 100.0 * f->share_per_unit, "%", "", 0,
          "V*Q audits, each replayed on its own, / U"});
    emit({"audit_share_per_unit_shared", 100.0 * f->share_per_unit_shared, "%", "", 0,
          "V verifiers, each replaying a checkpoint interval once, / U"});
    emit({"audit_catch_one_wrong_leaf", 100.0 * f->catch_one_wrong_leaf, "%", "", 0,
          "1 - (C(n-1,Q)/C(n,Q))^V: the sampled leaf itself"});
    emit({"audit_catch_one_wrong_leaf_window", 100.0 * f->catch_one_wrong_leaf_window, "%", "", 0,
          "reveals expose every leaf in (c(s), s]; mean over the wrong leaf's position"});
    emit({"audit_catch_skip", 100.0 * f->catch_skip, "%", "", 0,
          std::to_string(f->skip_wrong_leaves) + " of " + std::to_string(n) + " leaves wrong"});
    return 0;
}

}  // namespace step::bench
