// The CUDA backend against the CPU reference, bit for bit: every op, the GEMM layouts on edge
// shapes, and a short training run's leaf digests. Without a CUDA device (or in a build without
// CUDA) the device cases print a warning and pass without checking anything; the availability
// case still checks the error a device-less build or machine reports.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernels/backend.h"
#include "kernels/errors.h"
#include "kernels/ops.h"
#include "kernels/run.h"
#include "kernels/spec.h"
#include "kernels/state.h"
#include "tests/support/status_check.h"
#if defined(STEP_HAVE_CUDA)
#include "kernels/cuda/cuda_backend.h"
#endif

using namespace step::kernels;

namespace {

bool have_device() {
#if defined(STEP_HAVE_CUDA)
    return cuda_available();
#else
    return false;
#endif
}

#define STEP_REQUIRE_DEVICE()                                   \
    do {                                                        \
        if (!have_device()) {                                   \
            WARN("no CUDA device (or no CUDA build): skipped"); \
            return;                                             \
        }                                                       \
    } while (0)

// Bits with NaNs canonicalised (GPUs produce their own NaN pattern; states are canonicalised
// before hashing, PROTOCOL.md section 1).
std::vector<uint32_t> canon(const std::vector<float>& v) {
    std::vector<uint32_t> out(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
        if (std::isnan(v[i])) out[i] = ops::kCanonicalNaN;
        else std::memcpy(&out[i], &v[i], 4);
    }
    return out;
}

std::vector<float> values(std::mt19937& rng, size_t n, float scale = 2.0f, bool specials = true) {
    std::uniform_real_distribution<float> u(-scale, scale);
    std::uniform_int_distribution<int> pick(0, 199);
    std::vector<float> v(n);
    for (auto& x : v) {
        int p = pick(rng);
        if (!specials || p > 6) x = u(rng);
        else if (p == 0) x = -0.0f;
        else if (p == 1) x = 1e-39f;  // subnormal
        else if (p == 2) x = -3e-40f;
        else if (p == 3) x = 0.0f;
        else if (p == 4) x = u(rng) * 1e-30f;
        else if (p == 5) x = u(rng) * 40.0f;  // exp/erf tails
        else x = u(rng) * 1e-3f;
    }
    return v;
}

// Host arrays in and out of one backend.
struct On {
    Backend& be;
    std::vector<Buffer> keep;
    template <class T>
    T* put(const std::vector<T>& host) {
        keep.push_back(be.alloc(host.size() * sizeof(T) + 4));
        be.upload(keep.back().data(), host.data(), host.size() * sizeof(T));
        return static_cast<T*>(keep.back().data());
    }
    float* out(size_t n) { return put(std::vector<float>(n, 7.0f)); }
    std::vector<float> get(const float* dev, size_t n) {
        std::vector<float> host(n);
        be.download(host.data(), dev, n * sizeof(float));
        return host;
    }
};

// Runs `op` on the CPU backend and the CUDA backend; `op` returns the outputs to compare.
template <class Op>
void same_bits(Backend& cpu, Backend& gpu, const char* what, Op op) {
    On c{cpu, {}}, g{gpu, {}};
    std::vector<std::vector<float>> want = op(c), got = op(g);
    REQUIRE(want.size() == got.size());
    for (size_t k = 0; k < want.size(); ++k) {
        INFO(what << " output " << k);
        REQUIRE(canon(want[k]) == canon(got[k]));
    }
}

}  // namespace

TEST_CASE("make_backend cuda works exactly when a CUDA device is usable", "[kernels][cuda]") {
    auto be = make_backend("cuda", Exec{});
    if (have_device()) {
        REQUIRE(be.ok());
        REQUIRE((*be)->name() == "cuda");
    } else {
        REQUIRE_FALSE(be.ok());
#if defined(STEP_HAVE_CUDA)
        REQUIRE(be.status() == codes::kCudaUnavailable);
#else
        REQUIRE(be.status() == codes::kBackendUnavailable);
#endif
        WARN("skipped device checks: " << be.status().message());
    }
}

TEST_CASE("CUDA GEMM equals the CPU definition bitwise on every layout", "[kernels][cuda]") {
    STEP_REQUIRE_DEVICE();
    auto cpu = make_cpu_backend(Exec{});
    auto gpu = std::move(make_backend("cuda", Exec{}).value());
    std::mt19937 rng(11);
    struct Shape { int M, N, K; };
    for (Shape s : {Shape{64, 256, 784}, Shape{64, 10, 256}, Shape{64, 784, 256},
                    Shape{784, 256, 64}, Shape{1, 1, 1}, Shape{3, 5, 0}, Shape{67, 131, 97},
                    Shape{65, 63, 17}, Shape{129, 1, 33},
                    // >= 128 tiles of 64 x 64: the large-tile kernel (4 x 4 outputs a thread)
                    Shape{1000, 700, 50}, Shape{1030, 1000, 3}})
        for (int layout = 0; layout < 3; ++layout) {
            auto A = values(rng, static_cast<size_t>(s.M) * s.K);
            auto B = values(rng, static_cast<size_t>(s.K) * s.N);
            INFO("M=" << s.M << " N=" << s.N << " K=" << s.K << " layout=" << layout);
            same_bits(*cpu, *gpu, "gemm", [&](On& on) {
                const float* a = on.put(A);
                const float* b = on.put(B);
                float* c = on.out(static_cast<size_t>(s.M) * s.N);
                if (layout == 0) on.be.matmul_nn(a, b, c, s.M, s.N, s.K);
                if (layout == 1) on.be.matmul_nt(a, b, c, s.M, s.N, s.K);
                if (layout == 2) on.be.matmul_tn(a, b, c, s.M, s.N, s.K);
                return std::vector<std::vector<float>>{on.get(c, static_cast<size_t>(s.M) * s.N)};
            });
        }
}

TEST_CASE("every CUDA op equals the CPU reference bitwise", "[kernels][cuda]") {
    STEP_REQUIRE_DEVICE();
    auto cpu = make_cpu_backend(Exec{});
    auto gpu = std::move(make_backend("cuda", Exec{}).value());
    std::mt19937 rng(12);
    const int rows = 37, cols = 29;
    const size_t n = static_cast<size_t>(rows) * cols;
    auto x = values(rng, n), y = values(rng, n), z = values(rng, n), w = values(rng, cols);
    auto bcol = values(rng, cols);
    using Outs = std::vector<std::vector<float>>;

    same_bits(*cpu, *gpu, "bias_add/bias_grad", [&](On& on) {
        float* o = on.out(n);
        float* db = on.out(cols);
        on.be.bias_add(on.put(x), on.put(bcol), o, rows, cols);
        on.be.bias_grad(on.put(y), db, rows, cols);
        return Outs{on.get(o, n), on.get(db, cols)};
    });
    same_bits(*cpu, *gpu, "relu/gelu", [&](On& on) {
        float* a = on.out(n);
        float* b = on.out(n);
        float* c = on.out(n);
        float* d = on.out(n);
        const float* px = on.put(x);
        const float* py = on.put(y);
        on.be.relu_fwd(px, a, n);
        on.be.relu_bwd(px, py, b, n);
        on.be.gelu_fwd(px, c, n);
        on.be.gelu_bwd(px, py, d, n);
        return Outs{on.get(a, n), on.get(b, n), on.get(c, n), on.get(d, n)};
    });
    same_bits(*cpu, *gpu, "xent/sum_div", [&](On& on) {
        std::vector<int32_t> labels(rows);
        for (int r = 0; r < rows; ++r) labels[r] = r == 5 ? cols : (r * 7) % cols;  // one invalid
        float* loss = on.out(rows);
        float* dl = on.out(n);
        float* mean = on.out(1);
        std::vector<float> scaled(x);
        for (auto& v : scaled) v = v * 10.0f;
        on.be.xent_fwd_bwd(on.put(scaled), on.put(labels), rows, cols, loss, dl);
        on.be.sum_div(on.put(z), n, static_cast<float>(rows), mean);
        return Outs{on.get(loss, rows), on.get(dl, n), on.get(mean, 1)};
    });
    same_bits(*cpu, *gpu, "layernorm", [&](On& on) {
        float* yo = on.out(n);
        float* mu = on.out(rows);
        float* rs = on.out(rows);
        float* dx = on.out(n);
        float* dw = on.out(cols);
        float* db = on.out(cols);
        const float* px = on.put(x);
        const float* pw = on.put(w);
        on.be.layernorm_fwd(px, pw, on.put(bcol), yo, mu, rs, rows, cols, 1e-5f);
        on.be.layernorm_bwd(on.put(y), px, pw, mu, rs, dx, dw, db, rows, cols);
        return Outs{on.get(yo, n), on.get(mu, rows), on.get(rs, rows),
                    on.get(dx, n), on.get(dw, cols), on.get(db, cols)};
    });
    same_bits(*cpu, *gpu, "embedding", [&](On& on) {
        const int N = 50, V = 13;
        std::vector<int32_t> idx(N);
        for (int i = 0; i < N; ++i) idx[i] = (i * 5 + 3) % V;  // repeats: ordered accumulation
        std::vector<float> table(x.begin(), x.begin() + V * cols);
        std::vector<float> dout(y.begin(), y.begin() + static_cast<size_t>(N) * 7);
        float* o = on.out(static_cast<size_t>(N) * cols);
        float* dt = on.out(static_cast<size_t>(V) * 7);
        const int32_t* pidx = on.put(idx);
        on.be.embedding_fwd(on.put(table), pidx, o, N, cols);
        on.be.embedding_bwd(on.put(dout), pidx, dt, N, V, 7);
        return Outs{on.get(o, static_cast<size_t>(N) * cols), on.get(dt, static_cast<size_t>(V) * 7)};
    });
    same_bits(*cpu, *gpu, "unpack_u8_records", [&](On& on) {
        const int B = 9, features = 20, rb = 21;
        std::vector<uint8_t> rec(B * rb);
        for (size_t i = 0; i < rec.size(); ++i) rec[i] = static_cast<uint8_t>(i * 37 + 11);
        float* xo = on.out(B * features);
        auto* lab = reinterpret_cast<int32_t*>(on.out(B));
        on.be.unpack_u8_records(on.put(rec), B, rb, features, xo, lab);
        std::vector<float> labels(B);
        on.be.download(labels.data(), lab, B * 4);  // int bits compared as float bits
        return Outs{on.get(xo, B * features), labels};
    });
    same_bits(*cpu, *gpu, "optimisers and state arithmetic", [&](On& on) {
        auto small = [&](std::vector<float> v) {
            for (auto& e : v) e = e * 0.01f;
            return v;
        };
        float* p1 = on.put(x);
        float* buf = on.put(small(y));
        on.be.sgd_momentum(p1, on.put(z), buf, n, 0.05f, 0.9f, 1e-4f);
        float* p2 = on.put(y);
        float* m = on.put(small(z));
        std::vector<float> vv(n);
        for (size_t i = 0; i < n; ++i) vv[i] = std::fabs(x[i]) * 0.001f;
        float* v = on.put(vv);
        on.be.adamw(p2, on.put(x), m, v, n, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 0.9f * 0.9f,
                    0.999f * 0.999f);
        float* acc = on.put(z);
        on.be.add_inplace(acc, on.put(x), n);
        on.be.div_inplace(acc, n, 3.0f);
        std::vector<float> nans(y);
        nans[3] = std::nanf("7");
        nans[4] = -std::nanf("");
        float* pn = on.put(nans);
        on.be.canonicalize_nan(pn, n);
        std::vector<float> raw = on.get(pn, n);  // exact bits, not canonicalised by canon()
        std::vector<float> raw_bits(n);
        for (size_t i = 0; i < n; ++i) {
            uint32_t b;
            std::memcpy(&b, &raw[i], 4);
            raw_bits[i] = static_cast<float>(b >> 16);  // NaN bit patterns made comparable
        }
        return Outs{on.get(p1, n), on.get(buf, n), on.get(p2, n), on.get(m, n), on.get(v, n),
                    on.get(acc, n), raw_bits};
    });
}

TEST_CASE("CUDA attention and gradient clipping equal the CPU reference bitwise",
          "[kernels][cuda]") {
    STEP_REQUIRE_DEVICE();
    auto cpu = make_cpu_backend(Exec{});
    auto gpu = std::move(make_backend("cuda", Exec{}).value());
    std::mt19937 rng(13);
    using Outs = std::vector<std::vector<float>>;
    struct Shape { int B, T, C, H; };
    for (Shape sh : {Shape{2, 33, 24, 3}, Shape{1, 1, 16, 1}, Shape{3, 64, 64, 4}}) {
        INFO("B=" << sh.B << " T=" << sh.T << " C=" << sh.C << " H=" << sh.H);
        const size_t rows = static_cast<size_t>(sh.B) * sh.T;
        const size_t tt = static_cast<size_t>(sh.B) * sh.H * sh.T * sh.T;
        auto qkv = values(rng, rows * 3 * sh.C), dy = values(rng, rows * sh.C);
        same_bits(*cpu, *gpu, "attention", [&](On& on) {
            float* y = on.out(rows * sh.C);
            float* att = on.out(tt);
            float* dqkv = on.out(rows * 3 * sh.C);
            float* datt = on.out(tt);
            const float* pq = on.put(qkv);
            on.be.attention_fwd(pq, y, att, sh.B, sh.T, sh.C, sh.H);
            on.be.attention_bwd(on.put(dy), pq, att, dqkv, datt, sh.B, sh.T, sh.C, sh.H);
            return Outs{on.get(y, rows * sh.C), on.get(att, tt), on.get(dqkv, rows * 3 * sh.C),
                        on.get(datt, tt)};
        });
    }
    for (float max_norm : {1.0f, 1e6f}) {  // clipped, and left alone
        INFO("max_norm " << max_norm);
        const size_t n = 5000;
        auto g = values(rng, n, 2.0f, false);
        same_bits(*cpu, *gpu, "clip_grad_norm", [&](On& on) {
            float* pg = on.put(g);
            float* work = on.out(ops::clip_work_floats(n));
            float* norm = on.out(1);
            on.be.clip_grad_norm(pg, n, max_norm, work, norm);
            return Outs{on.get(pg, n), on.get(work, ops::clip_work_floats(n)), on.get(norm, 1)};
        });
    }
}

TEST_CASE("CUDA ops at the GPT example's shapes equal the CPU reference bitwise",
          "[kernels][cuda]") {
    // gpt{256,64,2,64,4} at batch 16 (examples/gpt-text.toml): R = B*T = 1024 rows, width 64,
    // vocabulary 256, 136,960 parameters. Block and grid sizes in the CUDA ops depend on these.
    STEP_REQUIRE_DEVICE();
    auto cpu = make_cpu_backend(Exec{});
    auto gpu = std::move(make_backend("cuda", Exec{}).value());
    std::mt19937 rng(14);
    using Outs = std::vector<std::vector<float>>;
    const int R = 1024, T = 64, C = 64, V = 256, P = 136960;
    const size_t rc = static_cast<size_t>(R) * C, rv = static_cast<size_t>(R) * V;
    std::vector<int32_t> tokens(R);
    for (auto& t : tokens) t = static_cast<int32_t>(rng() % V);  // repeats: ordered accumulation
    const size_t h = static_cast<size_t>(R) * 4 * C;  // the MLP block's hidden activations
    // Inputs drawn once, outside the lambdas: same_bits runs each lambda once per backend.
    auto table = values(rng, static_cast<size_t>(V) * C),
         wpe = values(rng, static_cast<size_t>(T) * C);
    auto x = values(rng, rc), dy = values(rng, rc);
    auto lnw = values(rng, C), lnb = values(rng, C), logits = values(rng, rv, 8.0f);
    auto hid = values(rng, h), dhid = values(rng, h), grad = values(rng, P, 0.05f, false);
    same_bits(*cpu, *gpu, "token and position embeddings", [&](On& on) {
        // As kernels/model_gpt.cc: wte by embedding, wpe added in place over B rows of T*C.
        const int B = R / T;
        const size_t tc = static_cast<size_t>(T) * C;
        float* x0 = on.out(rc);
        float* dwte = on.out(static_cast<size_t>(V) * C);
        float* dwpe = on.out(tc);
        const int32_t* ptok = on.put(tokens);
        on.be.embedding_fwd(on.put(table), ptok, x0, R, C);
        on.be.bias_add(x0, on.put(wpe), x0, B, static_cast<int>(tc));
        const float* pdy = on.put(dy);
        on.be.embedding_bwd(pdy, ptok, dwte, R, V, C);
        on.be.bias_grad(pdy, dwpe, B, static_cast<int>(tc));
        return Outs{on.get(x0, rc), on.get(dwte, static_cast<size_t>(V) * C), on.get(dwpe, tc)};
    });
    same_bits(*cpu, *gpu, "layernorm at width 64", [&](On& on) {
        float *y = on.out(rc), *mu = on.out(R), *rs = on.out(R), *dx = on.out(rc);
        float *dw = on.out(C), *db = on.out(C);
        const float* px = on.put(x);
        const float* pw = on.put(lnw);
        on.be.layernorm_fwd(px, pw, on.put(lnb), y, mu, rs, R, C, 1e-5f);
        on.be.layernorm_bwd(on.put(dy), px, pw, mu, rs, dx, dw, db, R, C);
        return Outs{on.get(y, rc),  on.get(mu, R), on.get(rs, R),
                    on.get(dx, rc), on.get(dw, C), on.get(db, C)};
    });
    same_bits(*cpu, *gpu, "loss over all positions and the head's bias gradient", [&](On& on) {
        float *loss = on.out(R), *dl = on.out(rv), *mean = on.out(1), *db = on.out(V);
        on.be.xent_fwd_bwd(on.put(logits), on.put(tokens), R, V, loss, dl);
        on.be.sum_div(loss, R, static_cast<float>(R), mean);
        on.be.bias_grad(dl, db, R, V);
        return Outs{on.get(loss, R), on.get(dl, rv), on.get(mean, 1), on.get(db, V)};
    });
    same_bits(*cpu, *gpu, "gelu and clipping over the whole gradient", [&](On& on) {
        float *y = on.out(h), *dx = on.out(h);
        const float* ph = on.put(hid);
        on.be.gelu_fwd(ph, y, h);
        on.be.gelu_bwd(ph, on.put(dhid), dx, h);
        float* g = on.put(grad);
        float* work = on.out(ops::clip_work_floats(P));
        float* norm = on.out(1);
        on.be.clip_grad_norm(g, P, 1.0f, work, norm);
        return Outs{on.get(y, h), on.get(dx, h), on.get(g, P), on.get(norm, 1)};
    });
}

TEST_CASE("a short training run gives the same leaf digests on CPU and CUDA", "[kernels][cuda]") {
    STEP_REQUIRE_DEVICE();
    for (const char* name : {"mnist-mlp-sgd", "mnist-mlp-adamw-gelu", "kjv-gpt-adamw-clip"}) {
        INFO(name);
        auto spec = load_task_spec(std::string(STEP_SOURCE_DIR) + "/tests/golden/" + name + ".toml");
        REQUIRE(spec.ok());
        auto fmt = record_format(spec->data_format);
        REQUIRE(fmt.ok());
        auto train = load_records(spec->train_path, *fmt);
        REQUIRE(train.ok());
        auto start = init_state(*spec);
        REQUIRE(start.ok());
        RunOptions opt;
        opt.until_step = 40;
        opt.leaf_interval = 10;
        ThreadPool pool(2);
        Exec ex{&pool, detect_simd()};
        auto cpu = make_cpu_backend(ex);
        auto gpu = std::move(make_backend("cuda", ex).value());
        auto a = run_training(*cpu, ex, *spec, *train, *start, opt);
        auto b = run_training(*gpu, ex, *spec, *train, *start, opt);
        REQUIRE(a.ok());
        REQUIRE(b.ok());
        REQUIRE(a->leaves.size() == 5);
        REQUIRE(a->leaves == b->leaves);
        REQUIRE(canon(a->losses) == canon(b->losses));
    }
}
