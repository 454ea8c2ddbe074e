// Vector instruction levels, detected at run time (never -march=native). Every level computes
// the same bits as kScalar; only speed differs.
#pragma once

namespace step::kernels {

enum class Simd { kScalar = 0, kAvx2 = 1, kAvx512 = 2 };

// The best level this CPU supports.
Simd detect_simd();
const char* simd_name(Simd s);

}  // namespace step::kernels
