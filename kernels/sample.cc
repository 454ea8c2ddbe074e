// Text generation: the definition is in kernels/sample.h.
#include "kernels/sample.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "kernels/backend.h"
#include "kernels/data.h"
#include "kernels/detmath.h"
#include "kernels/errors.h"
#include "kernels/rng.h"

namespace step::kernels {

namespace {

Status check_options(const SampleOptions& opt) {
    if (!std::isfinite(opt.temperature) || opt.temperature < 0.0f)
        return Status::error(codes::kBadSample,
                             "temperature must be 0 (greedy) or a finite "
                             "positive number");
    if (opt.count > kMaxSampleBytes)
        return Status::error(codes::kBadSample,
                             "at most " + std::to_string(kMaxSampleBytes) + " bytes per sample");
    return Status();
}

Status check_model(const Model& m, const TrainState& state) {
    if (m.input_kind() != InputKind::kTokens || m.classes() != kByteClasses)
        return Status::error(codes::kNotLanguageModel,
                             m.spec().text() +
                                 " is not a byte-level language model: only a "
                                 "gpt{256,...} model generates text");
    if (state.model != m.spec().text() || state.param_count != m.param_count() ||
        state.values.size() < state.param_count)
        return Status::error(codes::kStateMismatch,
                             "the state is of " + state.model + ", not of " + m.spec().text());
    return Status();
}

// The model's forward at batch 1 over a window of its context, on the CPU reference backend.
class NextByteLogits {
public:
    NextByteLogits(const Model& m, const TrainState& state, const Exec& ex)
        : T_(m.positions()),
          V_(m.classes()),
          be_(make_cpu_backend(ex)),
          run_(m.bind(*be_, 1)),
          params_(be_->alloc(sizeof(float) * m.param_count())),
          tokens_(be_->alloc(sizeof(int32_t) * static_cast<size_t>(T_))),
          row_(V_) {
        be_->upload(params_.f(), state.params(), sizeof(float) * m.param_count());
    }

    // The logits after the last min(T, context.size()) bytes of `context` (not empty).
    const std::vector<float>& after(const Bytes& context) {
        const size_t n = std::min(context.size(), static_cast<size_t>(T_));
        std::vector<int32_t> window(static_cast<size_t>(T_), 0);
        for (size_t t = 0; t < n; ++t) window[t] = context[context.size() - n + t];
        be_->upload(tokens_.i32(), window.data(), sizeof(int32_t) * window.size());
        const float* logits = run_->forward(params_.f(), ModelInput{nullptr, tokens_.i32()});
        be_->download(row_.data(), logits + (n - 1) * static_cast<size_t>(V_),
                      sizeof(float) * row_.size());
        return row_;
    }
    int classes() const { return V_; }

private:
    int T_, V_;
    std::unique_ptr<Backend> be_;
    std::unique_ptr<ModelRun> run_;
    Buffer params_, tokens_;
    std::vector<float> row_;
};

}  // namespace

int sample_from_logits(const float* logits, int classes, float temperature, uint64_t seed,
                       uint64_t index) {
    int best = 0;
    for (int j = 1; j < classes; ++j)
        if (logits[j] > logits[best]) best = j;
    if (temperature == 0.0f) return best;
    std::vector<float> w(static_cast<size_t>(classes));
    float sum = 0.0f;
    for (int j = 0; j < classes; ++j) {
        w[j] = det_exp((logits[j] - logits[best]) / temperature);
        sum += w[j];
    }
    const float u = static_cast<float>(rng_u64(seed, RngPurpose::kSample, index) >> 40) *
                    5.9604644775390625e-08f;  // 2^-24
    const float target = u * sum;
    float running = 0.0f;
    int last = best;
    for (int j = 0; j < classes; ++j) {
        if (w[j] <= 0.0f) continue;
        running += w[j];
        if (running > target) return j;
        last = j;
    }
    return last;
}

Result<Bytes> sample_bytes(const ModelSpec& model, const TrainState& state,
                           const SampleOptions& opt, const Exec& ex) {
    STEP_TRY(check_options(opt));
    auto m = make_model(model);
    if (!m.ok()) return m.status();
    STEP_TRY(check_model(**m, state));
    const std::string prompt = opt.prompt.empty() ? std::string(kDefaultPrompt) : opt.prompt;
    Bytes context(prompt.begin(), prompt.end());
    NextByteLogits next(**m, state, ex);
    Bytes out;
    out.reserve(opt.count);
    for (uint64_t i = 0; i < opt.count; ++i) {
        const std::vector<float>& row = next.after(context);
        const int b = sample_from_logits(row.data(), next.classes(), opt.temperature, opt.seed, i);
        out.push_back(static_cast<uint8_t>(b));
        context.push_back(static_cast<uint8_t>(b));
    }
    return out;
}

std::string escape_for_terminal(ByteSpan bytes) {
    std::string out;
    out.reserve(bytes.size());
    for (uint8_t c : bytes) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f)) {
            out += static_cast<char>(c);
        } else {
            char hex[5];
            std::snprintf(hex, sizeof hex, "\\x%02x", c);
            out += hex;
        }
    }
    return out;
}

}  // namespace step::kernels
