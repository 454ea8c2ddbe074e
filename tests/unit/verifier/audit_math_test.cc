// Closed-form audit figures checked against values worked out by hand.
#include <catch2/catch.hpp>

#include "verifier/audit_math.h"
#include "verifier/errors.h"
#include "tests/support/status_check.h"

using step::verifier::audit_figures;
constexpr step::ErrorCode kBadShape = step::verifier::codes::kBadAuditShape;

TEST_CASE("audit figures for n = 4 leaves, checkpoints every 2, V = 2, Q = 2") {
    auto f = audit_figures(/*V=*/2, /*Q=*/2, /*L=*/2, /*C=*/4, /*U=*/8);
    REQUIRE(f.ok());
    CHECK(f->leaves == 4);
    // Offsets s - c(s) for s = 1..4: 1, 2, 1, 2 -> mean 1.5 leaves = 3 steps of 8.
    CHECK(f->replay_steps_per_audit == Approx(3.0));
    CHECK(f->share_per_audit == Approx(3.0 / 8));
    CHECK(f->share_per_unit == Approx(2 * 2 * 3.0 / 8));
    // One verifier misses a given leaf with C(3,2)/C(4,2) = 1/2; two miss it with 1/4.
    CHECK(f->catch_one_wrong_leaf == Approx(0.75));
    // Skipping: 3 of 4 leaves wrong; a 2-subset always hits one of them.
    CHECK(f->skip_wrong_leaves == 3);
    CHECK(f->catch_skip == Approx(1.0));
    // Leaf j exposed by samples in [j, end of its interval]: windows 2,1,2,1 leaves;
    // P(catch) = 1 - (C(4-w,2)/6)^2: w=2 -> 1 - (1/6)^2, w=1 -> 3/4.
    CHECK(f->catch_one_wrong_leaf_window == Approx((2 * (1 - 1.0 / 36) + 2 * 0.75) / 4));
}

TEST_CASE("audit figures reject shapes the protocol forbids") {
    CHECK(audit_figures(1, 1, 3, 6, 8).status() == kBadShape);  // L does not divide U
    CHECK(audit_figures(1, 1, 2, 2, 8).status() == kBadShape);  // C < 2L
    CHECK(audit_figures(0, 1, 2, 4, 8).status() == kBadShape);  // no verifier
}
