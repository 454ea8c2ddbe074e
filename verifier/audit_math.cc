#include "verifier/audit_math.h"
#include "verifier/errors.h"

#include <algorithm>
#include <cmath>

namespace step::verifier {
namespace {

// C(n - a, Q) / C(n, Q): the chance that a Q-subset of n leaves misses a given a of them.
double miss_ratio(uint64_t n, uint64_t a, uint64_t Q) {
    if (a + Q > n) return 0.0;
    double r = 1.0;
    for (uint64_t i = 0; i < Q; ++i)
        r *= static_cast<double>(n - a - i) / static_cast<double>(n - i);
    return r;
}

}  // namespace

Result<AuditFigures> audit_figures(uint64_t V, uint64_t Q, uint64_t L, uint64_t C, uint64_t U) {
    if (!L || !U || U % L || C % L || C < 2 * L || !Q || !V)
        return Status::error(codes::kBadAuditShape,
                             "need L | U, C a multiple of L >= 2L, V > 0 and Q > 0");
    AuditFigures f;
    const uint64_t n = U / L, g = C / L;
    const uint64_t q = std::min(Q, n);
    f.leaves = n;

    // One audit: mean of (s - c(s)) over s in 1..n.
    double offsets = 0;
    for (uint64_t s = 1; s <= n; ++s) offsets += static_cast<double>(s - (s - 1) / g * g);
    f.replay_steps_per_audit = offsets / static_cast<double>(n) * static_cast<double>(L);

    // One verifier replaying each checkpoint interval once to its highest sampled leaf:
    // E[max offset in an interval of size m] = sum_{k=1..m} P(a sample among its top m-k+1).
    double shared_leaves = 0;
    for (uint64_t c = 0; c < n; c += g) {
        const uint64_t m = std::min(g, n - c);
        for (uint64_t k = 1; k <= m; ++k) shared_leaves += 1.0 - miss_ratio(n, m - k + 1, q);
    }
    const double shared_steps = shared_leaves * static_cast<double>(L);

    const double Vd = static_cast<double>(V), Ud = static_cast<double>(U);
    f.share_per_audit = f.replay_steps_per_audit / Ud;
    f.share_per_unit = Vd * static_cast<double>(q) * f.replay_steps_per_audit / Ud;
    f.share_per_unit_shared = Vd * shared_steps / Ud;

    auto catch_p = [&](uint64_t wrong) { return 1.0 - std::pow(miss_ratio(n, wrong, q), Vd); };
    f.catch_one_wrong_leaf = catch_p(1);
    // A single wrong leaf j is exposed by any sampled s in [j, end of j's checkpoint interval].
    double window = 0;
    for (uint64_t j = 1; j <= n; ++j) {
        const uint64_t end = std::min(((j - 1) / g + 1) * g, n);
        window += catch_p(end - j + 1);
    }
    f.catch_one_wrong_leaf_window = window / static_cast<double>(n);
    f.skip_wrong_leaves = n / 2 + 1;
    f.catch_skip = catch_p(f.skip_wrong_leaves);
    return f;
}

}  // namespace step::verifier
