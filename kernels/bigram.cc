#include "kernels/bigram.h"

#include <array>
#include <cmath>
#include <vector>

#include "kernels/errors.h"

namespace step::kernels {

namespace {

bool is_text(const Dataset& ds) {
    return ds.format.name == kTextFormatName && ds.format.record_bytes == kTextRecordBytes;
}

}  // namespace

Result<BigramFit> bigram_bits_per_byte(const Dataset& train, const Dataset& validation) {
    if (!is_text(train) || !is_text(validation))
        return Status::error(codes::kBadRecords, std::string("the bigram baseline reads ") +
                                                     kTextFormatName + " records");
    if (validation.count() == 0)
        return Status::error(codes::kBadRecords, "the bigram baseline needs a validation window");
    std::vector<uint64_t> pairs(kByteClasses * kByteClasses, 0);
    std::array<uint64_t, kByteClasses> contexts{};
    for (uint64_t w = 0; w < train.count(); ++w) {
        const uint8_t* r = train.record(w);
        for (int t = 0; t < kTextContext; ++t) {
            ++pairs[r[t] * kByteClasses + r[t + 1]];
            ++contexts[r[t]];
        }
    }
    BigramFit fit;
    double bits = 0;
    for (uint64_t w = 0; w < validation.count(); ++w) {
        const uint8_t* r = validation.record(w);
        for (int t = 0; t < kTextContext; ++t) {
            const double hits =
                static_cast<double>(pairs[r[t] * kByteClasses + r[t + 1]] + kBigramSmoothing);
            const double seen =
                static_cast<double>(contexts[r[t]] + kBigramSmoothing * kByteClasses);
            bits -= std::log2(hits / seen);
        }
    }
    fit.predicted = validation.count() * kTextContext;
    fit.bits_per_byte = bits / static_cast<double>(fit.predicted);
    return fit;
}

}  // namespace step::kernels
