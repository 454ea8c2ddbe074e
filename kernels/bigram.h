// A byte-bigram baseline for text-u8-65 data (docs/kernels.md "Records", "The GPT"): the figure a
// trained GPT's validation bits per byte is compared with. Not part of consensus; a report only.
#pragma once

#include <cstdint>

#include "common/status.h"
#include "kernels/data.h"

namespace step::kernels {

// Add-one (Laplace) smoothing over the 256 byte values: P(b | a) = (n(a, b) + 1) / (n(a) + 256),
// so a pair or a context the training windows never show still has a finite cost. The figure
// hardly depends on it (the KJV text: 3.3558 bits per byte with add-one, 3.3515 with add-0.01).
inline constexpr uint64_t kBigramSmoothing = 1;

struct BigramFit {
    double bits_per_byte = 0;  // mean of -log2 P(target | previous byte) over the predicted bytes
    uint64_t predicted = 0;    // validation windows x kTextContext
};

// Counts n(a, b) over every (byte t, byte t + 1) pair, t = 0..63, of every training window: the
// pairs a GPT trains on, each byte of the training text predicted once (windows share one byte).
// Evaluates the same pairs of every validation window, so the mean is over exactly the targets
// of step-train's validation loss. Sums in window then position order (double precision).
// Errors "bad-records": a dataset not in text-u8-65, or no validation window.
Result<BigramFit> bigram_bits_per_byte(const Dataset& train, const Dataset& validation);

}  // namespace step::kernels
