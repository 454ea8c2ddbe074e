// gpt{V,T,L,C,H}: a byte-level GPT (GPT-2's block, pre-LayerNorm, no dropout), vocabulary V,
// context T, L layers, width C, H heads (D = C / H), an untied head without bias. The record
// gives tokens [B][T]; every position t predicts the next token. With N = B*T rows:
//   x_0       = embedding_fwd(wte, tokens)  then  bias_add(x_0, wpe) over B rows of T*C
//               (x[b][t][c] = wte[tok][c] + wpe[t][c]);
//   per layer: h1 = LN_1(x_l); qkv = h1 Wqkv^T + bqkv; y = attention(qkv);
//              xm = (y Wo^T + bo) + x_l;  h2 = LN_2(xm); f = h2 Wfc^T + bfc; g = gelu(f);
//              x_{l+1} = (g Wp^T + bp) + xm;
//   logits    = LN_f(x_L) Whead^T   [N][V].
// Backward, from dlogits [N][V], the reverse of each line with the ops' own backward passes; at
// each residual join the gradient is dx = dx + d(branch input), the path's gradient first
// (add_inplace). wpe's gradient sums the B rows in order (bias_grad over rows of T*C), wte's is
// embedding_bwd over the N tokens in order. LayerNorm eps = 1e-5f.
// Parameters, in order (named as nanoGPT names them): wte [V][C], wpe [T][C]; per layer ln_1
// (w, b), attn.c_attn (W [3C][C], b), attn.c_proj (W [C][C], b), ln_2 (w, b), mlp.c_fc (W [4C][C],
// b), mlp.c_proj (W [C][4C], b); ln_f (w, b); lm_head.weight [V][C].
// Init (uniform only): every matrix U(-a, a) with a = kGptInitBound (std 0.02, GPT-2's), the two
// residual projections a / sqrtf(2L), drawn as rng_uniform(seed, kInit, flat index, bound);
// biases +0, LayerNorm weights 1.
#include <cmath>

#include "kernels/errors.h"
#include "kernels/model.h"
#include "kernels/op_flops.h"
#include "kernels/rng.h"

namespace step::kernels {

namespace {

constexpr float kLayerNormEps = 1e-5f;
constexpr float kGptInitBound = 0.0346410162f;  // sqrt(3) * 0.02
constexpr int kMaxVocab = 1 << 16, kMaxContext = 4096, kMaxLayers = 64, kMaxWidth = 1 << 14;

struct GptDims {
    int V, T, L, C, H;
    explicit GptDims(const std::vector<int>& d) : V(d[0]), T(d[1]), L(d[2]), C(d[3]), H(d[4]) {}
};

enum class Init { kWeight, kResidualWeight, kZero, kOne };

// The parameter layout: one list of tensors, the source of the offsets, the init and the names.
struct Tensor {
    NamedTensor named;
    Init init;
};
struct LayerOffsets {
    size_t ln1_w, ln1_b, qkv_w, qkv_b, o_w, o_b, ln2_w, ln2_b, fc_w, fc_b, p_w, p_b;
};
struct Layout {
    std::vector<Tensor> tensors;
    size_t wte = 0, wpe = 0, lnf_w = 0, lnf_b = 0, head = 0, total = 0;
    std::vector<LayerOffsets> layers;

    size_t add(const std::string& name, std::vector<uint64_t> shape, Init init) {
        NamedTensor t{name, std::move(shape), total};
        total += t.count();
        tensors.push_back({std::move(t), init});
        return tensors.back().named.offset;
    }
};

Layout gpt_layout(const GptDims& d) {
    const uint64_t V = d.V, T = d.T, C = d.C;
    Layout p;
    p.wte = p.add("transformer.wte.weight", {V, C}, Init::kWeight);
    p.wpe = p.add("transformer.wpe.weight", {T, C}, Init::kWeight);
    for (int l = 0; l < d.L; ++l) {
        const std::string h = "transformer.h." + std::to_string(l) + ".";
        LayerOffsets o{};
        o.ln1_w = p.add(h + "ln_1.weight", {C}, Init::kOne);
        o.ln1_b = p.add(h + "ln_1.bias", {C}, Init::kZero);
        o.qkv_w = p.add(h + "attn.c_attn.weight", {3 * C, C}, Init::kWeight);
        o.qkv_b = p.add(h + "attn.c_attn.bias", {3 * C}, Init::kZero);
        o.o_w = p.add(h + "attn.c_proj.weight", {C, C}, Init::kResidualWeight);
        o.o_b = p.add(h + "attn.c_proj.bias", {C}, Init::kZero);
        o.ln2_w = p.add(h + "ln_2.weight", {C}, Init::kOne);
        o.ln2_b = p.add(h + "ln_2.bias", {C}, Init::kZero);
        o.fc_w = p.add(h + "mlp.c_fc.weight", {4 * C, C}, Init::kWeight);
        o.fc_b = p.add(h + "mlp.c_fc.bias", {4 * C}, Init::kZero);
        o.p_w = p.add(h + "mlp.c_proj.weight", {C, 4 * C}, Init::kResidualWeight);
        o.p_b = p.add(h + "mlp.c_proj.bias", {C}, Init::kZero);
        p.layers.push_back(o);
    }
    p.lnf_w = p.add("transformer.ln_f.weight", {C}, Init::kOne);
    p.lnf_b = p.add("transformer.ln_f.bias", {C}, Init::kZero);
    p.head = p.add("lm_head.weight", {V, C}, Init::kWeight);
    return p;
}

// Activations of one layer, kept from the forward for the backward.
struct LayerActs {
    Buffer x, h1, mean1, rstd1, qkv, y, att, xm, h2, mean2, rstd2, f, g;
};

class GptRun final : public ModelRun {
public:
    GptRun(Backend& be, const GptDims& d, const Layout& lay, int batch)
        : be_(be), d_(d), lay_(lay), B_(batch), N_(batch * d.T) {
        const size_t N = N_, C = d.C, att = static_cast<size_t>(B_) * d.H * d.T * d.T;
        auto floats = [&](size_t n) { return be.alloc(sizeof(float) * n); };
        for (int l = 0; l < d.L; ++l) {
            acts_.push_back({floats(N * C), floats(N * C), floats(N), floats(N), floats(N * 3 * C),
                             floats(N * C), floats(att), floats(N * C), floats(N * C), floats(N),
                             floats(N), floats(N * 4 * C), floats(N * 4 * C)});
        }
        xf_ = floats(N * C);
        hf_ = floats(N * C);
        meanf_ = floats(N);
        rstdf_ = floats(N);
        logits_ = floats(N * d.V);
        dx_ = floats(N * C);
        dt_ = floats(N * C);
        dh_ = floats(N * C);
        dy_ = floats(N * C);
        dqkv_ = floats(N * 3 * C);
        dg_ = floats(N * 4 * C);
        df_ = floats(N * 4 * C);
        datt_ = floats(att);
    }

    const float* forward(const float* p, const ModelInput& in) override {
        const int C = d_.C;
        float* x = d_.L ? acts_[0].x.f() : xf_.f();
        be_.embedding_fwd(p + lay_.wte, in.tokens, x, N_, C);
        be_.bias_add(x, p + lay_.wpe, x, B_, d_.T * C);
        for (int l = 0; l < d_.L; ++l) {
            float* next = l + 1 < d_.L ? acts_[l + 1].x.f() : xf_.f();
            layer_forward(p, lay_.layers[l], acts_[l], next);
        }
        be_.layernorm_fwd(xf_.f(), p + lay_.lnf_w, p + lay_.lnf_b, hf_.f(), meanf_.f(), rstdf_.f(),
                          N_, C, kLayerNormEps);
        be_.matmul_nt(hf_.f(), p + lay_.head, logits_.f(), N_, d_.V, C);
        return logits_.f();
    }

    void backward(const float* p, const ModelInput& in, const float* dlogits,
                  float* grads) override {
        const int C = d_.C, V = d_.V;
        be_.matmul_tn(dlogits, hf_.f(), grads + lay_.head, V, C, N_);
        be_.matmul_nn(dlogits, p + lay_.head, dh_.f(), N_, C, V);
        be_.layernorm_bwd(dh_.f(), xf_.f(), p + lay_.lnf_w, meanf_.f(), rstdf_.f(), dx_.f(),
                          grads + lay_.lnf_w, grads + lay_.lnf_b, N_, C);
        for (int l = d_.L; l-- > 0;) layer_backward(p, lay_.layers[l], acts_[l], grads);
        be_.bias_grad(dx_.f(), grads + lay_.wpe, B_, d_.T * C);
        be_.embedding_bwd(dx_.f(), in.tokens, grads + lay_.wte, N_, V, C);
    }

private:
    // Linear layer: out [N][fout] = in [N][fin] W^T + b.
    void linear(const float* in, const float* W, const float* b, float* out, int fin, int fout) {
        be_.matmul_nt(in, W, out, N_, fout, fin);
        be_.bias_add(out, b, out, N_, fout);
    }
    // Its backward: dW, db from dout; din = dout W (skipped when din is null).
    void linear_bwd(const float* dout, const float* in, const float* W, float* dW, float* db,
                    float* din, int fin, int fout) {
        be_.matmul_tn(dout, in, dW, fout, fin, N_);
        be_.bias_grad(dout, db, N_, fout);
        be_.matmul_nn(dout, W, din, N_, fin, fout);
    }

    void layer_forward(const float* p, const LayerOffsets& o, LayerActs& a, float* next) {
        const int C = d_.C;
        const size_t NC = static_cast<size_t>(N_) * C;
        be_.layernorm_fwd(a.x.f(), p + o.ln1_w, p + o.ln1_b, a.h1.f(), a.mean1.f(), a.rstd1.f(), N_,
                          C, kLayerNormEps);
        linear(a.h1.f(), p + o.qkv_w, p + o.qkv_b, a.qkv.f(), C, 3 * C);
        be_.attention_fwd(a.qkv.f(), a.y.f(), a.att.f(), B_, d_.T, C, d_.H);
        linear(a.y.f(), p + o.o_w, p + o.o_b, a.xm.f(), C, C);
        be_.add_inplace(a.xm.f(), a.x.f(), NC);
        be_.layernorm_fwd(a.xm.f(), p + o.ln2_w, p + o.ln2_b, a.h2.f(), a.mean2.f(), a.rstd2.f(),
                          N_, C, kLayerNormEps);
        linear(a.h2.f(), p + o.fc_w, p + o.fc_b, a.f.f(), C, 4 * C);
        be_.gelu_fwd(a.f.f(), a.g.f(), NC * 4);
        linear(a.g.f(), p + o.p_w, p + o.p_b, next, 4 * C, C);
        be_.add_inplace(next, a.xm.f(), NC);
    }

    // On entry dx_ holds d x_{l+1}; on return d x_l.
    void layer_backward(const float* p, const LayerOffsets& o, LayerActs& a, float* g) {
        const int C = d_.C;
        const size_t NC = static_cast<size_t>(N_) * C;
        linear_bwd(dx_.f(), a.g.f(), p + o.p_w, g + o.p_w, g + o.p_b, dg_.f(), 4 * C, C);
        be_.gelu_bwd(a.f.f(), dg_.f(), df_.f(), NC * 4);
        linear_bwd(df_.f(), a.h2.f(), p + o.fc_w, g + o.fc_w, g + o.fc_b, dh_.f(), C, 4 * C);
        be_.layernorm_bwd(dh_.f(), a.xm.f(), p + o.ln2_w, a.mean2.f(), a.rstd2.f(), dt_.f(),
                          g + o.ln2_w, g + o.ln2_b, N_, C);
        be_.add_inplace(dx_.f(), dt_.f(), NC);
        linear_bwd(dx_.f(), a.y.f(), p + o.o_w, g + o.o_w, g + o.o_b, dy_.f(), C, C);
        be_.attention_bwd(dy_.f(), a.qkv.f(), a.att.f(), dqkv_.f(), datt_.f(), B_, d_.T, C, d_.H);
        linear_bwd(dqkv_.f(), a.h1.f(), p + o.qkv_w, g + o.qkv_w, g + o.qkv_b, dh_.f(), C, 3 * C);
        be_.layernorm_bwd(dh_.f(), a.x.f(), p + o.ln1_w, a.mean1.f(), a.rstd1.f(), dt_.f(),
                          g + o.ln1_w, g + o.ln1_b, N_, C);
        be_.add_inplace(dx_.f(), dt_.f(), NC);
    }

    Backend& be_;
    GptDims d_;
    Layout lay_;  // a copy, so a run does not depend on its model living on
    int B_, N_;
    std::vector<LayerActs> acts_;
    Buffer xf_, hf_, meanf_, rstdf_, logits_, dx_, dt_, dh_, dy_, dqkv_, dg_, df_, datt_;
};

class Gpt final : public Model {
public:
    explicit Gpt(ModelSpec spec) : spec_(std::move(spec)), d_(spec_.dims), lay_(gpt_layout(d_)) {}
    const ModelSpec& spec() const override { return spec_; }
    uint64_t param_count() const override { return lay_.total; }
    int input_features() const override { return d_.T; }
    int classes() const override { return d_.V; }
    InputKind input_kind() const override { return InputKind::kTokens; }
    int positions() const override { return d_.T; }

    void init(uint64_t seed, float* params) const override {
        const float residual = kGptInitBound / std::sqrt(2.0f * static_cast<float>(d_.L));
        for (const Tensor& t : lay_.tensors) {
            const uint64_t at = t.named.offset, n = t.named.count();
            for (uint64_t i = at; i < at + n; ++i) {
                switch (t.init) {
                    case Init::kWeight:
                        params[i] = rng_uniform(seed, RngPurpose::kInit, i, kGptInitBound);
                        break;
                    case Init::kResidualWeight:
                        params[i] = rng_uniform(seed, RngPurpose::kInit, i, residual);
                        break;
                    case Init::kZero:
                        params[i] = 0.0f;
                        break;
                    case Init::kOne:
                        params[i] = 1.0f;
                        break;
                }
            }
        }
    }

    // Every op as kernels/op_flops.h and the MLP count it (GEMM 2MNK, bias/adds 1 per element),
    // the transcendentals (GELU's det_erf and det_exp, the loss's det_exp and det_log) at their
    // real cost. N = B*T rows.
    uint64_t flops_per_step(uint64_t B, uint64_t opt_per_param) const override {
        const uint64_t T = d_.T, C = d_.C, V = d_.V, N = B * T;
        auto linear = [&](uint64_t fin, uint64_t fout) {  // forward + dW + db + dX
            return 6 * N * fin * fout + 2 * N * fout;
        };
        uint64_t layer = 2 * layernorm_fwd_flops(N, C) + 2 * layernorm_bwd_flops(N, C) +
                         linear(C, 3 * C) + linear(C, C) + linear(C, 4 * C) + linear(4 * C, C) +
                         attention_flops(B, T, C, d_.H) +
                         N * 4 * C * (kGeluFwdFlops + kGeluBwdFlops) +
                         4 * N * C;  // two residual adds forward, two backward
        uint64_t f = 3 * N * C;      // wpe add, its gradient, the embedding gradient
        f += static_cast<uint64_t>(d_.L) * layer;
        f += layernorm_fwd_flops(N, C) + layernorm_bwd_flops(N, C) + 6 * N * C * V;
        f += xent_flops(N, V) + N;  // the loss and its mean
        return f + opt_per_param * param_count();
    }

    std::unique_ptr<ModelRun> bind(Backend& be, int batch) const override {
        return std::make_unique<GptRun>(be, d_, lay_, batch);
    }

    std::vector<NamedTensor> named_tensors() const override {
        std::vector<NamedTensor> out;
        for (const Tensor& t : lay_.tensors) out.push_back(t.named);
        return out;
    }

private:
    ModelSpec spec_;
    GptDims d_;
    Layout lay_;
};

Status check_gpt_dims(const ModelSpec& spec) {
    auto bad = [](const std::string& why) { return Status::error(codes::kBadModel, "gpt " + why); };
    if (spec.dims.size() != 5) return bad("needs {vocabulary,context,layers,width,heads}");
    const GptDims d(spec.dims);
    if (d.V < 2 || d.V > kMaxVocab) return bad("vocabulary outside [2, 65536]");
    if (d.T < 1 || d.T > kMaxContext) return bad("context outside [1, 4096]");
    if (d.L < 1 || d.L > kMaxLayers) return bad("layers outside [1, 64]");
    if (d.C < 1 || d.C > kMaxWidth) return bad("width outside [1, 16384]");
    if (d.H < 1 || d.C % d.H != 0) return bad("heads must divide the width");
    if (spec.activation != Activation::kGelu) return bad("uses activation = \"gelu\"");
    return Status();
}

}  // namespace

Result<std::unique_ptr<Model>> make_gpt(const ModelSpec& spec) {
    STEP_TRY(check_gpt_dims(spec));
    return std::unique_ptr<Model>(std::make_unique<Gpt>(spec));
}

}  // namespace step::kernels
