// The model registry. A model is written once against Backend (kernels/backend.h), so it runs
// on every device; adding an architecture is one new model_<arch>.cc plus one line in
// model.cc's registry table.
//
// Spec text: `arch{d0,d1,...}`, e.g. `mlp{784,256,256,10}` (input 784, two hidden layers of
// 256, 10 classes). The activation is a separate spec field.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "kernels/backend.h"

namespace step::kernels {

enum class Activation : uint32_t { kRelu = 1, kGelu = 2 };
Result<Activation> parse_activation(std::string_view name);
const char* activation_name(Activation a);

struct ModelSpec {
    std::string arch;       // "mlp"
    std::vector<int> dims;  // as written between the braces
    Activation activation = Activation::kRelu;
    // Canonical text, e.g. "mlp{784,256,256,10}/relu" (hashed into the state header).
    std::string text() const;
};
// Parses "mlp{784,256,256,10}"; errors name the problem ("model-syntax", "unknown-model").
Result<ModelSpec> parse_model_spec(std::string_view text, Activation activation);

// What a model reads from a batch of B records (device memory; the model's kind says which).
//   kFeatures: x [B][input_features] floats (unpack_u8_records), one prediction per record;
//   kTokens:   tokens [B][input_features] int32 in [0, classes), one prediction per token.
enum class InputKind : uint32_t { kFeatures = 1, kTokens = 2 };
struct ModelInput {
    const float* x = nullptr;
    const int32_t* tokens = nullptr;
};

// Device workspace for one batch size: forward and backward of one batch.
class ModelRun {
public:
    virtual ~ModelRun() = default;
    // Writes logits [B * positions][classes] (owned by the run).
    virtual const float* forward(const float* params, const ModelInput& in) = 0;
    // After forward(): from dlogits [B * positions][classes], writes every parameter's gradient
    // (overwrite).
    virtual void backward(const float* params, const ModelInput& in, const float* dlogits,
                          float* grads) = 0;
};

// One parameter tensor inside the flat parameter vector, named as PyTorch names the same layer
// (an MLP's layers as nn.Sequential(Linear, act, Linear, ...): "0.weight", "0.bias", "2.weight").
struct NamedTensor {
    std::string name;
    std::vector<uint64_t> shape;  // row-major
    uint64_t offset = 0;          // first float in the parameter vector
    uint64_t count() const;
};

class Model {
public:
    virtual ~Model() = default;
    virtual const ModelSpec& spec() const = 0;
    virtual uint64_t param_count() const = 0;
    virtual int input_features() const = 0;
    virtual int classes() const = 0;
    virtual InputKind input_kind() const { return InputKind::kFeatures; }
    // Predictions (logit rows) per record: 1 for a classifier, the context for a language model.
    virtual int positions() const { return 1; }
    // Fills `params` (param_count floats, host) from the seed: uniform distributions only.
    virtual void init(uint64_t seed, float* params) const = 0;
    // Floating-point operations of one training step of batch B (forward + backward +
    // optimiser), counted as consensus prices them (see docs/kernels.md). Integer, exact.
    virtual uint64_t flops_per_step(uint64_t batch, uint64_t optimizer_flops_per_param) const = 0;
    virtual std::unique_ptr<ModelRun> bind(Backend& backend, int batch) const = 0;
    // The parameter vector as named tensors, in order, covering it exactly (safetensors export).
    virtual std::vector<NamedTensor> named_tensors() const = 0;
};

// The registry: error "unknown-model" for an architecture it does not hold, "bad-model" for
// dimensions the architecture rejects.
Result<std::unique_ptr<Model>> make_model(const ModelSpec& spec);
std::vector<std::string> model_names();

// Registry entry points (one per model file).
Result<std::unique_ptr<Model>> make_mlp(const ModelSpec& spec);
Result<std::unique_ptr<Model>> make_gpt(const ModelSpec& spec);

}  // namespace step::kernels
