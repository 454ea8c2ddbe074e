// GEMM dispatch: picks the block routine for the requested vector level (never above what the
// CPU supports) and splits C into (row block x column tile) tasks for the pool. Tasks partition
// the outputs; each output's k-reduction stays whole inside one task, so bits do not depend on
// the level, the thread count or the tiling (gemm.h).
//
// NT (B stored [N][K]) needs B transposed into column panels before vectors can run along j.
// Packing costs one copy of the packed operand, so when M < N the transposed problem
// C^T = B A^T runs instead (the same products and sums per output, only C is written
// transposed), packing the smaller A. Panels are packed once, shared by all tasks.
#include <cmath>
#include <cstddef>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/gemm_blocks.h"

namespace step::kernels {

namespace {
using detail::GemmView;

// The scalar level: the definition itself, applied to a block.
void gemm_block_scalar(const GemmView& g, int i0, int i1, int j0, int j1, const float*) {
    for (int i = i0; i < i1; ++i)
        for (int j = j0; j < j1; ++j) {
            float acc = 0.0f;
            for (int k = 0; k < g.K; ++k)
                acc = std::fmaf(g.A[i * g.a_row + k * g.a_k], g.B[k * g.b_k + j * g.b_col], acc);
            g.C[i * g.c_row + j * g.c_col] = acc;
        }
}

using Block = void (*)(const GemmView&, int, int, int, int, const float*);

struct Level {
    Block block;
    int tile_cols;
    bool packs;  // whether non-contiguous B columns are packed first
};

Level level_for(Simd requested) {
    // An Exec may ask for more than this CPU has (e.g. a config written elsewhere): clamp, since
    // every level gives the same bits and a missing instruction would crash.
    static const Simd best = detect_simd();
    Simd s = static_cast<int>(requested) < static_cast<int>(best) ? requested : best;
    switch (s) {
        case Simd::kAvx512: return {&detail::gemm_block_avx512, detail::kTileColsAvx512, true};
        case Simd::kAvx2: return {&detail::gemm_block_avx2, detail::kTileColsAvx2, true};
        case Simd::kScalar: break;
    }
    return {&gemm_block_scalar, detail::kTileColsAvx2, false};
}

// Below this many multiply-adds a job runs on the calling thread: waking workers costs a few
// microseconds, more than the whole product.
constexpr double kMinParallelFmas = 1 << 19;

// Packed B panels; one buffer per calling thread, grown on demand and reused across calls.
float* pack_buffer(size_t floats) {
    thread_local std::vector<float> buf;
    if (buf.size() < floats) buf.resize(floats);
    return buf.data();
}

void run(const Exec& ex, const GemmView& g, int M, int N) {
    if (M <= 0 || N <= 0) return;
    if (g.K <= 0) {
        // An empty sum is +0, as the definition's loop gives; no operand is read (an empty
        // operand may be a null pointer, and the vector levels would offset it).
        for (int i = 0; i < M; ++i)
            for (int j = 0; j < N; ++j) g.C[i * g.c_row + j * g.c_col] = 0.0f;
        return;
    }
    Level lv = level_for(ex.simd);
    unsigned threads = ex.threads();
    double fmas = static_cast<double>(M) * N * (g.K > 0 ? g.K : 1);
    bool parallel = threads > 1 && fmas >= kMinParallelFmas;
    int col_tiles = (N + lv.tile_cols - 1) / lv.tile_cols;

    const float* packed = nullptr;
    if (lv.packs && g.b_col != 1 && g.K > 0) {
        float* buf = pack_buffer(static_cast<size_t>(col_tiles) * static_cast<size_t>(g.K) *
                                 static_cast<size_t>(lv.tile_cols));
        auto pack = [&](size_t t) { detail::gemm_pack_tile(g, static_cast<int>(t), lv.tile_cols, N, buf); };
        if (parallel && col_tiles > 1)
            ex.pool->parallel_for(static_cast<size_t>(col_tiles), pack);
        else
            for (int t = 0; t < col_tiles; ++t) pack(static_cast<size_t>(t));
        packed = buf;
    }
    if (!parallel) {
        lv.block(g, 0, M, 0, N, packed);
        return;
    }
    // Tasks: every column tile, times enough row blocks (whole register tiles) for about four
    // tasks per thread, so uneven tiles still balance over the pool's dynamic hand-out.
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
        lv.block(g, i0, i1, j0, j1, packed);
    });
}
}  // namespace

void gemm_nn(const Exec& ex, const float* A, const float* B, float* C, int M, int N, int K) {
    run(ex, GemmView{A, K, 1, B, N, 1, C, N, 1, K}, M, N);
}
void gemm_nt(const Exec& ex, const float* A, const float* B, float* C, int M, int N, int K) {
    // Pack the smaller operand. (Swapping for a narrow N, to fill the vector lanes, measured
    // slower at 64x10x256: packing A then costs more than the idle lanes.)
    if (M < N) {
        // C^T[j][i] = sum_k B[j][k] * A[i][k]: fmaf(b, a, acc) == fmaf(a, b, acc) exactly, and
        // the k order is unchanged, so this is the same definition with the roles swapped.
        run(ex, GemmView{B, K, 1, A, 1, K, C, 1, N, K}, N, M);
        return;
    }
    run(ex, GemmView{A, K, 1, B, 1, K, C, N, 1, K}, M, N);
}
void gemm_tn(const Exec& ex, const float* A, const float* B, float* C, int M, int N, int K) {
    run(ex, GemmView{A, 1, M, B, N, 1, C, N, 1, K}, M, N);
}

}  // namespace step::kernels
