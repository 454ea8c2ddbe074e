// The own transcendentals against a double-precision reference (doubles allowed in tests).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>

#include "kernels/detmath.h"

using namespace step::kernels;

namespace {

// Distance in units in the last place of the float nearest to `ref` (at that float's exponent;
// subnormal spacing below the normal range).
double ulp_error(float got, double ref) {
    if (std::isinf(ref)) return std::isinf(got) && (got > 0) == (ref > 0) ? 0 : 1e30;
    float rf = static_cast<float>(ref);
    int e = 0;
    std::frexp(rf == 0.0f ? std::numeric_limits<float>::min() : rf, &e);
    double ulp = std::ldexp(1.0, std::max(e - 24, -149));
    return std::fabs(static_cast<double>(got) - ref) / ulp;
}

template <class F, class R>
double max_ulp(F f, R ref, float lo, float hi, int samples) {
    double worst = 0;
    for (int i = 0; i <= samples; ++i) {
        float x = lo + (hi - lo) * (static_cast<float>(i) / static_cast<float>(samples));
        worst = std::max(worst, ulp_error(f(x), ref(static_cast<double>(x))));
    }
    return worst;
}

// Every float bit pattern between two positive floats at a stride.
template <class F, class R>
double max_ulp_bits(F f, R ref, float lo, float hi, uint32_t stride) {
    double worst = 0;
    for (uint32_t u = float_bits(lo); u <= float_bits(hi); u += stride) {
        float x = bits_float(u);
        worst = std::max(worst, ulp_error(f(x), ref(static_cast<double>(x))));
    }
    return worst;
}

}  // namespace

TEST_CASE("det_exp is within 2 ulp of exp over its range with subnormal results included") {
    auto ref = [](double x) { return std::exp(x); };
    CHECK(max_ulp(det_exp, ref, -87.0f, 88.7f, 400000) <= 2.0);
    CHECK(max_ulp(det_exp, ref, -103.0f, -87.0f, 100000) <= 2.0);
    CHECK(max_ulp(det_exp, ref, -1.0f, 1.0f, 200000) <= 2.0);
    CHECK(det_exp(0.0f) == 1.0f);
    CHECK(std::isinf(det_exp(89.0f)));
    CHECK(det_exp(-104.0f) == 0.0f);
    CHECK(std::isnan(det_exp(std::numeric_limits<float>::quiet_NaN())));
}

TEST_CASE("det_log is within 2 ulp of log for normal and subnormal inputs") {
    auto ref = [](double x) { return std::log(x); };
    CHECK(max_ulp_bits(det_log, ref, 1.0e-45f, 3.0e38f, 977) <= 2.0);
    CHECK(max_ulp_bits(det_log, ref, 0.5f, 2.0f, 13) <= 2.0);
    CHECK(det_log(1.0f) == 0.0f);
    CHECK(std::isinf(det_log(0.0f)));
    CHECK(det_log(0.0f) < 0.0f);
    CHECK(std::isnan(det_log(-1.0f)));
    CHECK(std::isinf(det_log(std::numeric_limits<float>::infinity())));
}

TEST_CASE("det_tanh is within 3 ulp of tanh and odd") {
    auto ref = [](double x) { return std::tanh(x); };
    CHECK(max_ulp_bits(det_tanh, ref, 1.0e-30f, 12.0f, 331) <= 3.0);
    CHECK(max_ulp(det_tanh, ref, -10.0f, 10.0f, 200000) <= 3.0);
    CHECK(det_tanh(-0.3f) == -det_tanh(0.3f));
    CHECK(det_tanh(20.0f) == 1.0f);
    CHECK(det_tanh(-20.0f) == -1.0f);
}

TEST_CASE("det_erf is within 1e-7 absolute of erf everywhere and 3 ulp where |erf| >= 0.1") {
    double worst_abs = 0, worst_ulp = 0;
    for (int i = -600000; i <= 600000; ++i) {
        float x = static_cast<float>(i) * 1e-5f;
        double r = std::erf(static_cast<double>(x));
        double got = static_cast<double>(det_erf(x));
        worst_abs = std::max(worst_abs, std::fabs(got - r));
        if (std::fabs(r) >= 0.1) worst_ulp = std::max(worst_ulp, ulp_error(det_erf(x), r));
    }
    CHECK(worst_abs <= 1e-7);
    CHECK(worst_ulp <= 3.0);
    CHECK(max_ulp_bits(det_erf, [](double x) { return std::erf(x); }, 1e-30f, 0.1f, 1009) <= 3.0);
    CHECK(det_erf(0.0f) == 0.0f);
    CHECK(det_erf(5.0f) == 1.0f);
    CHECK(det_erf(-5.0f) == -1.0f);
}
