// GEMM dispatch: picks the block routine for the requested vector level (never above what the
// CPU supports) and splits C into (row block x column tile) tasks for the pool. Tasks partition
// the outputs; each output's k-reduction stays whole inside one task, so bits do not depend on
// the level, the thread count or the tiling (gemm.h).
#include <cmath>
#include <cstddef>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/gemm_blocks.h"

namespace step::kernels {

namespace {
using detail::GemmView;

// The scalar level: the definition itself, applied to a block.
void gemm_block_scalar(const GemmView& g, int i0, int i1, int j0, int j1, float*) {
    for (int i = i0; i < i1; ++i)
        for (int j = j0; j < j1; ++j) {
            float acc = 0.0f;
            for (int k = 0; k < g.K; ++k)
                acc = std::fmaf(g.A[i * g.a_row + k * g.a_k], g.B[k * g.b_k + j * g.b_col], acc);
            g.C[i * g.ldc + j] = acc;
        }
}

using Block = void (*)(const GemmView&, int, int, int, int, float*);

struct Level {
    Block block;
    int tile_cols;
};

Level level_for(Simd requested) {
    // An Exec may ask for more than this CPU has (e.g. a config written elsewhere): clamp, since
    // every level gives the same bits and a missing instruction would crash.
    static const Simd best = detect_simd();
    Simd s = static_cast<int>(requested) < static_cast<int>(best) ? requested : best;
    switch (s) {
        case Simd::kAvx512: return {&detail::gemm_block_avx512, detail::kTileColsAvx512};
        case Simd::kAvx2: return {&detail::gemm_block_avx2, detail::kTileColsAvx2};
        case Simd::kScalar: break;
    }
    return {&gemm_block_scalar, detail::kTileColsAvx2};
}

// Below this many multiply-adds a job runs on the calling thread: waking workers costs a few
// microseconds, more than the whole product.
constexpr double kMinParallelFmas = 1 << 19;

// Scratch for packing one B panel (NT layout); one per thread, grown on demand.
float* pack_buffer(size_t floats) {
    thread_local std::vector<float> buf;
    if (buf.size() < floats) buf.resize(floats);
    return buf.data();
}

void run(const Exec& ex, const GemmView& g, int M, int N) {
    if (M <= 0 || N <= 0) return;
    Level lv = level_for(ex.simd);
    bool packs = g.b_col != 1;
    auto block = [&](int i0, int i1, int j0, int j1) {
        float* pack = packs ? pack_buffer(static_cast<size_t>(g.K) * static_cast<size_t>(lv.tile_cols))
                            : nullptr;
        lv.block(g, i0, i1, j0, j1, pack);
    };
    unsigned threads = ex.threads();
    double fmas = static_cast<double>(M) * N * (g.K > 0 ? g.K : 1);
    if (threads <= 1 || fmas < kMinParallelFmas) {
        block(0, M, 0, N);
        return;
    }
    // Tasks: every column tile, times enough row blocks (whole register tiles) for about four
    // tasks per thread, so uneven tiles still balance over the pool's dynamic hand-out.
    int col_tiles = (N + lv.tile_cols - 1) / lv.tile_cols;
    int row_tiles = (M + detail::kTileRows - 1) / detail::kTileRows;
    int wanted = static_cast<int>(threads) * 4;
    int row_blocks = (wanted + col_tiles - 1) / col_tiles;
    if (row_blocks > row_tiles) row_blocks = row_tiles;
    int tiles_per_block = (row_tiles + row_blocks - 1) / row_blocks;
    int rows_per_block = tiles_per_block * detail::kTileRows;
    row_blocks = (M + rows_per_block - 1) / rows_per_block;
    size_t tasks = static_cast<size_t>(col_tiles) * static_cast<size_t>(row_blocks);
    ex.pool->parallel_for(tasks, [&](size_t t) {
        int ct = static_cast<int>(t % static_cast<size_t>(col_tiles));
        int rb = static_cast<int>(t / static_cast<size_t>(col_tiles));
        int i0 = rb * rows_per_block, j0 = ct * lv.tile_cols;
        int i1 = i0 + rows_per_block < M ? i0 + rows_per_block : M;
        int j1 = j0 + lv.tile_cols < N ? j0 + lv.tile_cols : N;
        block(i0, i1, j0, j1);
    });
}
}  // namespace

void gemm_nn(const Exec& ex, const float* A, const float* B, float* C, int M, int N, int K) {
    run(ex, GemmView{A, K, 1, B, N, 1, C, N, K}, M, N);
}
void gemm_nt(const Exec& ex, const float* A, const float* B, float* C, int M, int N, int K) {
    run(ex, GemmView{A, K, 1, B, 1, K, C, N, K}, M, N);
}
void gemm_tn(const Exec& ex, const float* A, const float* B, float* C, int M, int N, int K) {
    run(ex, GemmView{A, 1, M, B, N, 1, C, N, K}, M, N);
}

}  // namespace step::kernels
