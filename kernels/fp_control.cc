#include "kernels/fp_control.h"
#include "kernels/errors.h"

#include <cstdio>
#include <cstdlib>

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#define STEP_HAVE_MXCSR 1
#else
#include <cfenv>
#endif

namespace step::kernels {

namespace {
#ifdef STEP_HAVE_MXCSR
// MXCSR fields (Intel SDM vol. 1, 10.2.3).
constexpr uint32_t kDaz = 1u << 6;        // denormals-are-zero on inputs
constexpr uint32_t kRounding = 3u << 13;  // 00 = round to nearest even
constexpr uint32_t kFtz = 1u << 15;       // flush-to-zero on outputs
#endif

std::string describe(uint32_t word) {
    std::string what;
#ifdef STEP_HAVE_MXCSR
    if (word & kFtz) what += " flush-to-zero on;";
    if (word & kDaz) what += " denormals-are-zero on;";
    if (word & kRounding) what += " rounding mode not round-to-nearest;";
    char hex[32];
    std::snprintf(hex, sizeof hex, " (MXCSR=0x%04x)", static_cast<unsigned>(word));
    what += hex;
#else
    (void)word;
    what = " rounding mode not round-to-nearest";
#endif
    return what;
}
}  // namespace

uint32_t fp_control_word() {
#ifdef STEP_HAVE_MXCSR
    return _mm_getcsr();
#else
    return 0;
#endif
}

bool fp_control_exact() {
#ifdef STEP_HAVE_MXCSR
    return (_mm_getcsr() & (kDaz | kRounding | kFtz)) == 0;
#else
    return std::fegetround() == FE_TONEAREST;
#endif
}

void set_fp_control_exact() {
#ifdef STEP_HAVE_MXCSR
    _mm_setcsr(_mm_getcsr() & ~(kDaz | kRounding | kFtz));
#else
    std::fesetround(FE_TONEAREST);
#endif
}

Status check_fp_control() {
    if (fp_control_exact()) return Status::ok_status();
    return Status::error(codes::kFpControlState,
                         "thread floating-point state is not exact:" + describe(fp_control_word()));
}

void require_fp_control_exact(const char* where) {
    if (fp_control_exact()) return;
    std::fprintf(stderr,
                 "stepchain: fatal: %s: floating-point control state is not exact:%s; results "
                 "would differ from the consensus definition (PROTOCOL.md section 1)\n",
                 where, describe(fp_control_word()).c_str());
    std::abort();
}

}  // namespace step::kernels
