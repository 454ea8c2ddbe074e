#include "kernels/safetensors.h"

#include <cstring>

#include <nlohmann/json.hpp>

#include "kernels/errors.h"

namespace step::kernels {

namespace {

void put_u64_le(Bytes& out, uint64_t v) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void put_f32_le(Bytes& out, float f) {
    uint32_t bits = 0;
    std::memcpy(&bits, &f, sizeof bits);
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(bits >> (8 * i)));
}

}  // namespace

Result<Bytes> encode_safetensors(const Model& model, const TrainState& state,
                                 const std::map<std::string, std::string>& metadata) {
    if (state.model != model.spec().text() || state.param_count != model.param_count() ||
        state.values.size() < state.param_count)
        return Status::error(codes::kStateMismatch, "the state is of model " + state.model +
                                                        ", not " + model.spec().text());
    const std::vector<NamedTensor> tensors = model.named_tensors();
    nlohmann::json header = nlohmann::json::object();
    if (!metadata.empty()) header["__metadata__"] = metadata;
    uint64_t covered = 0;
    for (const NamedTensor& t : tensors) {
        // The tensors tile the parameter vector in order, so data offsets are parameter offsets.
        if (t.offset != covered)
            return Status::error(codes::kBadModel, "tensor " + t.name + " leaves a gap");
        covered += t.count();
        header[t.name] = {
            {"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {4 * t.offset, 4 * covered}}};
    }
    if (covered != model.param_count())
        return Status::error(codes::kBadModel, "named tensors do not cover the parameters");
    std::string text = header.dump();
    text.append((8 - text.size() % 8) % 8, ' ');
    Bytes out;
    out.reserve(8 + text.size() + 4 * covered);
    put_u64_le(out, text.size());
    out.insert(out.end(), text.begin(), text.end());
    for (uint64_t i = 0; i < covered; ++i) put_f32_le(out, state.values[i]);
    return out;
}

}  // namespace step::kernels
