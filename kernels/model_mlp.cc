// mlp{d0,...,dn}: Linear layers with PyTorch's layout (W[out][in], b[out]), the activation
// between layers and none after the last. Parameters, in order: W0, b0, W1, b1, ...
// Forward:  h0 = x;  z_l = h_l W_l^T + b_l;  h_{l+1} = act(z_l) (l < n-1);  logits = z_{n-1}.
// Backward: dz_{n-1} = dlogits; dW_l = dz_l^T h_l; db_l = bias_grad(dz_l); dh_l = dz_l W_l;
//           dz_{l-1} = act'(z_{l-1}) * dh_l.
// Init: W_l ~ U(-bound, bound) with bound = sqrtf(6.0f / (float)in_l) (Kaiming-uniform for
// ReLU), drawn as rng_uniform(seed, kInit, flat parameter index); biases are +0.
#include <cmath>

#include "kernels/model.h"
#include "kernels/rng.h"
#include "kernels/errors.h"

namespace step::kernels {

namespace {

constexpr int kMaxDim = 1 << 20;

class MlpRun final : public ModelRun {
public:
    MlpRun(Backend& be, const std::vector<int>& dims, Activation act, int batch)
        : be_(be), dims_(dims), act_(act), B_(batch) {
        size_t L = dims.size() - 1;
        for (size_t l = 0; l < L; ++l) {
            z_.push_back(be.alloc(sizeof(float) * static_cast<size_t>(batch) * dims[l + 1]));
            if (l + 1 < L) h_.push_back(be.alloc(sizeof(float) * static_cast<size_t>(batch) * dims[l + 1]));
        }
        int widest = 0;
        for (int d : dims) widest = d > widest ? d : widest;
        dh_ = be.alloc(sizeof(float) * static_cast<size_t>(batch) * widest);
        dz_ = be.alloc(sizeof(float) * static_cast<size_t>(batch) * widest);
    }

    const float* forward(const float* params, const ModelInput& input) override {
        size_t L = dims_.size() - 1;
        const float* in = input.x;
        const float* p = params;
        for (size_t l = 0; l < L; ++l) {
            int fin = dims_[l], fout = dims_[l + 1];
            const float* W = p;
            const float* b = p + static_cast<size_t>(fin) * fout;
            p = b + fout;
            be_.matmul_nt(in, W, z_[l].f(), B_, fout, fin);
            be_.bias_add(z_[l].f(), b, z_[l].f(), B_, fout);
            if (l + 1 < L) {
                size_t n = static_cast<size_t>(B_) * fout;
                if (act_ == Activation::kRelu)
                    be_.relu_fwd(z_[l].f(), h_[l].f(), n);
                else
                    be_.gelu_fwd(z_[l].f(), h_[l].f(), n);
                in = h_[l].f();
            }
        }
        return z_[L - 1].f();
    }

    void backward(const float* params, const ModelInput& input, const float* dlogits,
                  float* grads) override {
        const float* x = input.x;
        size_t L = dims_.size() - 1;
        std::vector<size_t> offset(L);
        size_t off = 0;
        for (size_t l = 0; l < L; ++l) {
            offset[l] = off;
            off += static_cast<size_t>(dims_[l]) * dims_[l + 1] + dims_[l + 1];
        }
        const float* dz = dlogits;
        for (size_t l = L; l-- > 0;) {
            int fin = dims_[l], fout = dims_[l + 1];
            const float* in = l == 0 ? x : h_[l - 1].f();
            float* dW = grads + offset[l];
            float* db = dW + static_cast<size_t>(fin) * fout;
            be_.matmul_tn(dz, in, dW, fout, fin, B_);
            be_.bias_grad(dz, db, B_, fout);
            if (l == 0) break;
            const float* W = params + offset[l];
            be_.matmul_nn(dz, W, dh_.f(), B_, fin, fout);
            size_t n = static_cast<size_t>(B_) * fin;
            if (act_ == Activation::kRelu)
                be_.relu_bwd(z_[l - 1].f(), dh_.f(), dz_.f(), n);
            else
                be_.gelu_bwd(z_[l - 1].f(), dh_.f(), dz_.f(), n);
            dz = dz_.f();
        }
    }

private:
    Backend& be_;
    std::vector<int> dims_;
    Activation act_;
    int B_;
    std::vector<Buffer> z_, h_;
    Buffer dh_, dz_;
};

class Mlp final : public Model {
public:
    explicit Mlp(ModelSpec spec) : spec_(std::move(spec)) {}
    const ModelSpec& spec() const override { return spec_; }
    uint64_t param_count() const override {
        uint64_t n = 0;
        for (size_t l = 0; l + 1 < spec_.dims.size(); ++l)
            n += static_cast<uint64_t>(spec_.dims[l]) * spec_.dims[l + 1] + spec_.dims[l + 1];
        return n;
    }
    int input_features() const override { return spec_.dims.front(); }
    int classes() const override { return spec_.dims.back(); }

    void init(uint64_t seed, float* params) const override {
        uint64_t idx = 0;
        for (size_t l = 0; l + 1 < spec_.dims.size(); ++l) {
            uint64_t fin = static_cast<uint64_t>(spec_.dims[l]), fout = spec_.dims[l + 1];
            float bound = std::sqrt(6.0f / static_cast<float>(fin));
            for (uint64_t i = 0; i < fin * fout; ++i, ++idx)
                params[idx] = rng_uniform(seed, RngPurpose::kInit, idx, bound);
            for (uint64_t i = 0; i < fout; ++i, ++idx) params[idx] = 0.0f;
        }
    }

    // Per layer (in, out), batch B: forward GEMM 2*B*in*out, bias B*out, activation B*out
    // (hidden layers); backward dW GEMM 2*B*in*out, dX GEMM 2*B*in*out (not for layer 0),
    // bias grad B*out, activation grad B*in (hidden); loss 4*B*classes; optimiser k per param.
    uint64_t flops_per_step(uint64_t B, uint64_t opt_per_param) const override {
        uint64_t f = 0;
        size_t L = spec_.dims.size() - 1;
        for (size_t l = 0; l < L; ++l) {
            uint64_t fin = static_cast<uint64_t>(spec_.dims[l]), fout = spec_.dims[l + 1];
            f += 2 * B * fin * fout + B * fout;             // forward GEMM + bias
            if (l + 1 < L) f += 2 * B * fout;               // activation fwd + bwd
            f += 2 * B * fin * fout + B * fout;             // dW + bias grad
            if (l > 0) f += 2 * B * fin * fout;             // dX
        }
        f += 4 * B * static_cast<uint64_t>(classes());
        return f + opt_per_param * param_count();
    }

    std::unique_ptr<ModelRun> bind(Backend& be, int batch) const override {
        return std::make_unique<MlpRun>(be, spec_.dims, spec_.activation, batch);
    }

    // nn.Sequential(Linear, act, Linear, act, ..., Linear): the Linear layers sit at the even
    // indices, each weight [out][in] (PyTorch's layout, as ours) then its bias [out].
    std::vector<NamedTensor> named_tensors() const override {
        std::vector<NamedTensor> out;
        uint64_t offset = 0;
        for (size_t l = 0; l + 1 < spec_.dims.size(); ++l) {
            const uint64_t fin = static_cast<uint64_t>(spec_.dims[l]), fout = spec_.dims[l + 1];
            const std::string layer = std::to_string(2 * l);
            out.push_back({layer + ".weight", {fout, fin}, offset});
            offset += fin * fout;
            out.push_back({layer + ".bias", {fout}, offset});
            offset += fout;
        }
        return out;
    }

private:
    ModelSpec spec_;
};

}  // namespace

Result<std::unique_ptr<Model>> make_mlp(const ModelSpec& spec) {
    if (spec.dims.size() < 2)
        return Status::error(codes::kBadModel, "mlp needs at least {inputs,classes}");
    for (int d : spec.dims)
        if (d < 1 || d > kMaxDim)
            return Status::error(codes::kBadModel, "mlp dimension " + std::to_string(d) +
                                                  " outside [1, " + std::to_string(kMaxDim) + "]");
    if (spec.dims.back() < 2) return Status::error(codes::kBadModel, "mlp needs at least 2 classes");
    return std::unique_ptr<Model>(std::make_unique<Mlp>(spec));
}

}  // namespace step::kernels
