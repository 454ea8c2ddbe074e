// The byte-bigram baseline (kernels/bigram.h) a GPT's validation bits per byte is compared with.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>
#include <iterator>
#include <string>

#include "kernels/bigram.h"
#include "kernels/data_import.h"
#include "kernels/errors.h"
#include "tests/support/status_check.h"

using namespace step;
using namespace step::kernels;

namespace {

// One text-u8-65 window per string of 65 bytes.
Dataset text_windows(const std::string& bytes) {
    auto format = record_format(kTextFormatName);
    REQUIRE(format.ok());
    REQUIRE(bytes.size() % kTextRecordBytes == 0);
    return Dataset{*format, Bytes(bytes.begin(), bytes.end())};
}

// "abab...a": 65 bytes, 32 pairs a->b and 32 pairs b->a.
std::string alternating(char first, char second) {
    std::string w;
    for (int i = 0; i < kTextRecordBytes; ++i) w += i % 2 == 0 ? first : second;
    return w;
}

}  // namespace

TEST_CASE("the bigram baseline smooths the training pairs by one over 256 bytes") {
    const Dataset train = text_windows(alternating('a', 'b'));
    // Every validation pair was seen 32 times in a context seen 32 times: (32 + 1) / (32 + 256).
    auto seen = bigram_bits_per_byte(train, train);
    REQUIRE(seen.ok());
    CHECK(seen->predicted == 64);
    CHECK(seen->bits_per_byte == Approx(-std::log2(33.0 / 288.0)).epsilon(1e-12));
    // "acac...": a->c never seen (1 / 288), c never a context (1 / 256).
    auto unseen = bigram_bits_per_byte(train, text_windows(alternating('a', 'c')));
    REQUIRE(unseen.ok());
    CHECK(unseen->bits_per_byte ==
          Approx((32 * std::log2(288.0) + 32 * std::log2(256.0)) / 64).epsilon(1e-12));
    // Each validation window counts its 64 targets; the training windows only count.
    auto two =
        bigram_bits_per_byte(train, text_windows(alternating('a', 'b') + alternating('a', 'c')));
    REQUIRE(two.ok());
    CHECK(two->predicted == 128);
    CHECK(two->bits_per_byte ==
          Approx((seen->bits_per_byte + unseen->bits_per_byte) / 2).epsilon(1e-12));
}

TEST_CASE("the bigram baseline refuses records that are not text windows") {
    auto mnist = record_format("mnist-u8");
    REQUIRE(mnist.ok());
    const Dataset digits{*mnist, Bytes(kMnistRecordBytes, 0)};
    const Dataset text = text_windows(alternating('a', 'b'));
    CHECK(bigram_bits_per_byte(digits, text).status() == codes::kBadRecords);
    CHECK(bigram_bits_per_byte(text, digits).status() == codes::kBadRecords);
    CHECK(bigram_bits_per_byte(text, text_windows("")).status() == codes::kBadRecords);
}

// The figure an independent computation (Python, the same definition) gives for the fixture.
TEST_CASE("the bigram baseline of the committed KJV fixture is its recorded figure") {
    std::ifstream f(std::string(STEP_SOURCE_DIR) + "/tests/fixtures/kjv-genesis-16k.txt",
                    std::ios::binary);
    REQUIRE(f);
    const Bytes text{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
    auto split = import_text(text);
    REQUIRE(split.ok());
    auto fit = bigram_bits_per_byte(split->train, split->validation);
    REQUIRE(fit.ok());
    CHECK(fit->predicted == 25 * 64);
    CHECK(fit->bits_per_byte == Approx(3.833367960378956).epsilon(1e-12));
}
