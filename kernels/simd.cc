#include "kernels/simd.h"

namespace step::kernels {

Simd detect_simd() {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return Simd::kAvx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Simd::kAvx2;
    return Simd::kScalar;
}

const char* simd_name(Simd s) {
    switch (s) {
        case Simd::kAvx512: return "avx512";
        case Simd::kAvx2: return "avx2";
        case Simd::kScalar: return "scalar";
    }
    return "unknown";
}

}  // namespace step::kernels
