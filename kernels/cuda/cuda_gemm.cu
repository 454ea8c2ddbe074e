// GEMM on the GPU, bitwise equal to kernels/gemm.h. For large C a 256-thread block owns a 64x64
// tile; each thread owns 4x4 whole outputs and runs acc = __fmaf_rn(a(i,k), b(k,j), acc) for
// k = 0..K-1 in order, staging 16-wide k slices of A and B through shared memory. Nothing splits a k-sum,
// so the bits are the CPU's on every GPU model. Built with -fmad=false.
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/cuda_ops.h"

namespace step::kernels::cuda {

namespace {
constexpr int kTile = 64;     // C tile edge per block
constexpr int kSlice = 16;    // k per shared-memory stage
constexpr int kThreads = 256; // 16 x 16 threads, 4 x 4 outputs each

// a(i,k) = A[i*a_row + k*a_k]; b(k,j) = B[k*b_k + j*b_col]. A_K_CONTIG / B_K_CONTIG pick the
// load pattern that reads consecutive addresses with consecutive threads (coalescing only: the
// values loaded, and so the bits, are the same either way).
template <bool A_K_CONTIG, bool B_K_CONTIG>
__global__ void __launch_bounds__(kThreads)
gemm_kernel(const float* __restrict__ A, long a_row, long a_k, const float* __restrict__ B,
            long b_k, long b_col, float* __restrict__ C, int M, int N, int K) {
    __shared__ float As[kTile][kSlice + 1];
    __shared__ float Bs[kSlice][kTile];
    const int tx = threadIdx.x % 16, ty = threadIdx.x / 16, t = threadIdx.x;
    const int i0 = blockIdx.y * kTile, j0 = blockIdx.x * kTile;
    float acc[4][4];
#pragma unroll
    for (int r = 0; r < 4; ++r)
#pragma unroll
        for (int c = 0; c < 4; ++c) acc[r][c] = 0.0f;

    for (int k0 = 0; k0 < K; k0 += kSlice) {
#pragma unroll
        for (int q = 0; q < 4; ++q) {
            int ii, kk;
            if (A_K_CONTIG) {
                kk = t % kSlice;
                ii = t / kSlice + 16 * q;
            } else {
                ii = t % kTile;
                kk = t / kTile + 4 * q;
            }
            int i = i0 + ii, k = k0 + kk;
            As[ii][kk] = (i < M && k < K) ? A[i * a_row + k * a_k] : 0.0f;
            int jj;
            if (B_K_CONTIG) {
                kk = t % kSlice;
                jj = t / kSlice + 16 * q;
            } else {
                jj = t % kTile;
                kk = t / kTile + 4 * q;
            }
            int j = j0 + jj;
            k = k0 + kk;
            Bs[kk][jj] = (j < N && k < K) ? B[k * b_k + j * b_col] : 0.0f;
        }
        __syncthreads();
        // Only real k terms: the slice may run past K, and the sum must hold exactly K terms.
        const int kend = K - k0 < kSlice ? K - k0 : kSlice;
        for (int kk = 0; kk < kend; ++kk) {
            float a[4], b[4];
#pragma unroll
            for (int r = 0; r < 4; ++r) a[r] = As[ty + 16 * r][kk];
#pragma unroll
            for (int c = 0; c < 4; ++c) b[c] = Bs[kk][tx + 16 * c];
#pragma unroll
            for (int r = 0; r < 4; ++r)
#pragma unroll
                for (int c = 0; c < 4; ++c) acc[r][c] = __fmaf_rn(a[r], b[c], acc[r][c]);
        }
        __syncthreads();
    }
#pragma unroll
    for (int r = 0; r < 4; ++r)
#pragma unroll
        for (int c = 0; c < 4; ++c) {
            int i = i0 + ty + 16 * r, j = j0 + tx + 16 * c;
            if (i < M && j < N) C[static_cast<long>(i) * N + j] = acc[r][c];
        }
}

// Few outputs (the MLP's 64 x 256 products are only 4 big tiles): a 16 x 16 block with one output
// per thread spreads them over more SMs. The k-loop of each output is the same sequential
// __fmaf_rn chain; K cannot be split, so this is the most parallelism exactness allows. k is
// staged 64 at a time (4 loads in flight per thread, few barriers) to hide global latency.
constexpr int kSmall = 16;
constexpr int kSmallSlice = 64;

template <bool A_K_CONTIG, bool B_K_CONTIG>
__global__ void __launch_bounds__(kSmall * kSmall)
gemm_small_kernel(const float* __restrict__ A, long a_row, long a_k, const float* __restrict__ B,
                  long b_k, long b_col, float* __restrict__ C, int M, int N, int K) {
    __shared__ float As[kSmall][kSmallSlice + 1];  // As[i][k]
    __shared__ float Bs[kSmallSlice][kSmall + 1];  // Bs[k][j]
    const int tx = threadIdx.x, ty = threadIdx.y, t = ty * kSmall + tx;
    const int i0 = blockIdx.y * kSmall, j0 = blockIdx.x * kSmall;
    float acc = 0.0f;
    for (int k0 = 0; k0 < K; k0 += kSmallSlice) {
        // 16 x 64 values of A and of B, 4 per thread; consecutive threads read consecutive
        // addresses (along k when that is contiguous, else along i or j).
#pragma unroll
        for (int q = 0; q < 4; ++q) {
            int ii = A_K_CONTIG ? t / kSmallSlice + 4 * q : t % kSmall;
            int ak = A_K_CONTIG ? t % kSmallSlice : t / kSmall + 16 * q;
            int i = i0 + ii, k = k0 + ak;
            As[ii][ak] = (i < M && k < K) ? A[i * a_row + k * a_k] : 0.0f;
            int jj = B_K_CONTIG ? t / kSmallSlice + 4 * q : t % kSmall;
            int bk = B_K_CONTIG ? t % kSmallSlice : t / kSmall + 16 * q;
            int j = j0 + jj;
            k = k0 + bk;
            Bs[bk][jj] = (j < N && k < K) ? B[k * b_k + j * b_col] : 0.0f;
        }
        __syncthreads();
        // Only real k terms: the slice may run past K, and the sum must hold exactly K terms.
        const int kend = K - k0 < kSmallSlice ? K - k0 : kSmallSlice;
        for (int kk = 0; kk < kend; ++kk) acc = __fmaf_rn(As[ty][kk], Bs[kk][tx], acc);
        __syncthreads();
    }
    int i = i0 + ty, j = j0 + tx;
    if (i < M && j < N) C[static_cast<long>(i) * N + j] = acc;
}

// Below this many 64 x 64 tiles the small kernel keeps more SMs busy.
constexpr long kMinBigTiles = 128;

template <bool A_K_CONTIG, bool B_K_CONTIG>
void launch(cudaStream_t s, const float* A, long a_row, long a_k, const float* B, long b_k,
            long b_col, float* C, int M, int N, int K) {
    long tiles = static_cast<long>((N + kTile - 1) / kTile) * ((M + kTile - 1) / kTile);
    if (tiles >= kMinBigTiles) {
        dim3 grid((N + kTile - 1) / kTile, (M + kTile - 1) / kTile);
        gemm_kernel<A_K_CONTIG, B_K_CONTIG><<<grid, kThreads, 0, s>>>(A, a_row, a_k, B, b_k, b_col,
                                                                    C, M, N, K);
    } else {
        dim3 grid((N + kSmall - 1) / kSmall, (M + kSmall - 1) / kSmall);
        gemm_small_kernel<A_K_CONTIG, B_K_CONTIG><<<grid, dim3(kSmall, kSmall), 0, s>>>(
            A, a_row, a_k, B, b_k, b_col, C, M, N, K);
    }
}
}  // namespace

void gemm(cudaStream_t s, GemmLayout layout, const float* A, const float* B, float* C, int M,
          int N, int K) {
    if (M <= 0 || N <= 0) return;
    switch (layout) {
        case GemmLayout::kNN: launch<true, false>(s, A, K, 1, B, N, 1, C, M, N, K); break;
        case GemmLayout::kNT: launch<true, true>(s, A, K, 1, B, 1, K, C, M, N, K); break;
        case GemmLayout::kTN: launch<false, false>(s, A, 1, M, B, N, 1, C, M, N, K); break;
    }
    STEP_CUDA_CHECK(cudaGetLastError());
}

}  // namespace step::kernels::cuda
