// A trained model in the safetensors format that the PyTorch world loads (safetensors.torch,
// Hugging Face): an 8-byte little-endian header length N, N bytes of JSON naming each tensor
// (dtype, shape, byte offsets into the data), then the tensors' raw little-endian bytes. Only the
// model's parameters are written, named as PyTorch names the same layers (Model::named_tensors);
// optimiser state is training state, not part of the model.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"
#include "kernels/model.h"
#include "kernels/state.h"

namespace step::kernels {

// The names of the files a trained model is written as (step-wallet task model --format).
inline constexpr std::string_view kModelFormatState = "state";  // canonical state bytes
inline constexpr std::string_view kModelFormatSafetensors = "safetensors";

// The file's bytes: the parameters of `state` (a state of `model`; "state-mismatch" otherwise)
// as F32 tensors, with `metadata` (string to string, e.g. task id, spec hash, state root) in the
// header's "__metadata__". The header is padded with spaces to a multiple of 8 bytes, as the
// reference implementation writes it, so the data is aligned.
Result<Bytes> encode_safetensors(const Model& model, const TrainState& state,
                                 const std::map<std::string, std::string>& metadata);

}  // namespace step::kernels
