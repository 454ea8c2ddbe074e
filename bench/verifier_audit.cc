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
#include <cmath>
#include <string>
#include <vector>

#include "bench/bench_json.h"
#include "kernels/spec.h"

namespace step::bench {

namespace {

// C(n - a, Q) / C(n, Q): the chance that a Q-subset of n leaves misses a given a of them.
double miss_ratio(uint64_t n, uint64_t a, uint64_t Q) {
    if (a + Q > n) return 0.0;
    double r = 1.0;
    for (uint64_t i = 0; i < Q; ++i)
        r *= static_cast<double>(n - a - i) / static_cast<double>(n - i);
    return r;
}

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
    if (!L || !U || U % L || C % L || C < 2 * L || !Q || !V) {
        std::fprintf(stderr, "step-bench audit: need L | U, C a multiple of L >= 2L, V, Q > 0\n");
        return 1;
    }
    const uint64_t n = U / L, g = C / L;
    const uint64_t q = Q < n ? Q : n;

    // One audit: mean of (s - c(s)) over s in 1..n.
    double offsets = 0;
    for (uint64_t s = 1; s <= n; ++s) offsets += static_cast<double>(s - (s - 1) / g * g);
    const double per_audit_steps = offsets / static_cast<double>(n) * static_cast<double>(L);

    // One verifier replaying each checkpoint interval once to its highest sampled leaf:
    // E[max offset in an interval of size m] = sum_{k=1..m} P(a sample among its top m-k+1).
    double shared_leaves = 0;
    for (uint64_t c = 0; c < n; c += g) {
        uint64_t m = std::min(g, n - c);
        for (uint64_t k = 1; k <= m; ++k) shared_leaves += 1.0 - miss_ratio(n, m - k + 1, q);
    }
    const double shared_steps = shared_leaves * static_cast<double>(L);

    const double Vd = static_cast<double>(V), Ud = static_cast<double>(U);
    auto catch_p = [&](uint64_t wrong) { return 1.0 - std::pow(miss_ratio(n, wrong, q), Vd); };
    // A single wrong leaf j is exposed by any sampled s in [j, end of j's checkpoint interval].
    double window = 0;
    for (uint64_t j = 1; j <= n; ++j) {
        uint64_t end = std::min(((j - 1) / g + 1) * g, n);
        window += catch_p(end - j + 1);
    }
    window /= static_cast<double>(n);
    const uint64_t most = n / 2 + 1;

    std::string params = "V=" + std::to_string(V) + " Q=" + std::to_string(Q) + " L=" +
                         std::to_string(L) + " C=" + std::to_string(C) + " U=" +
                         std::to_string(U) + " n=" + std::to_string(n);
    emit({"audit_replay_steps_per_audit", per_audit_steps, "steps", "", 0, params});
    emit({"audit_share_per_audit", 100.0 * per_audit_steps / Ud, "%", "", 0,
          "expected replay steps of one audit / U"});
    emit({"audit_share_per_unit", 100.0 * Vd * static_cast<double>(q) * per_audit_steps / Ud, "%",
          "", 0, "V*Q audits, each replayed on its own, / U"});
    emit({"audit_share_per_unit_shared", 100.0 * Vd * shared_steps / Ud, "%", "", 0,
          "V verifiers, each replaying a checkpoint interval once, / U"});
    emit({"audit_catch_one_wrong_leaf", 100.0 * catch_p(1), "%", "", 0,
          "1 - (C(n-1,Q)/C(n,Q))^V: the sampled leaf itself"});
    emit({"audit_catch_one_wrong_leaf_window", 100.0 * window, "%", "", 0,
          "reveals expose every leaf in (c(s), s]; mean over the wrong leaf's position"});
    emit({"audit_catch_skip", 100.0 * catch_p(most), "%", "", 0,
          std::to_string(most) + " of " + std::to_string(n) + " leaves wrong"});
    return 0;
}

}  // namespace step::bench
