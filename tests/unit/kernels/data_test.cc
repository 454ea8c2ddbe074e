// Keyed permutation, sharding, batch order, records and the dataset root.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "common/merkle.h"
#include "kernels/data.h"
#include "kernels/rng.h"
#include "kernels/errors.h"
#include "tests/support/status_check.h"

using namespace step;
using namespace step::kernels;

TEST_CASE("rng: counter-based values are pinned and uniform values stay within plus or minus bound") {
    // Pinned: any change here is a new kernel_version.
    CHECK(rng_u64(0, RngPurpose::kInit, 0) == rng_u64(0, RngPurpose::kInit, 0));
    CHECK(rng_u64(1, RngPurpose::kInit, 0) != rng_u64(1, RngPurpose::kDataOrder, 0));
    CHECK(rng_mix(0) == 0);
    CHECK(rng_mix(1) == 0x5692161d100b05e5ull);
    for (uint64_t i = 0; i < 10000; ++i) {
        float v = rng_uniform(9, RngPurpose::kInit, i, 0.25f);
        CHECK(v >= -0.25f);
        CHECK(v < 0.25f);
    }
}

TEST_CASE("KeyedPermutation is a bijection of 0..n-1 for awkward sizes and keyed") {
    for (uint64_t n : {1ull, 2ull, 3ull, 5ull, 64ull, 100ull, 7996ull, 8193ull}) {
        KeyedPermutation p(n, 12345);
        std::vector<bool> seen(n, false);
        for (uint64_t i = 0; i < n; ++i) {
            uint64_t v = p(i);
            REQUIRE(v < n);
            CHECK(!seen[v]);
            seen[v] = true;
        }
    }
    KeyedPermutation a(1000, 1), b(1000, 2);
    int same = 0;
    for (uint64_t i = 0; i < 1000; ++i) same += a(i) == b(i);
    CHECK(same < 20);
}

TEST_CASE("shards partition the records and batches drop the last partial batch per epoch") {
    uint64_t n = 1003;
    uint64_t total = 0;
    for (uint32_t k = 0; k < 4; ++k) {
        ShardRange r = shard_range(n, 4, k);
        CHECK(r.begin == total);
        total += r.count;
    }
    CHECK(total == n);
    // One epoch of shard 1 of 4 (251 records, batch 64: 3 steps) covers distinct records of the
    // shard, and the next epoch reshuffles.
    ShardRange sh = shard_range(n, 4, 1);
    std::set<uint64_t> epoch0;
    for (uint64_t t = 0; t < 3; ++t) {
        auto idx = batch_indices(5, n, 4, 1, 64, t);
        REQUIRE(idx.ok());
        for (uint64_t i : *idx) {
            CHECK(i >= sh.begin);
            CHECK(i < sh.begin + sh.count);
            epoch0.insert(i);
        }
    }
    CHECK(epoch0.size() == 192);
    auto e0 = batch_indices(5, n, 4, 1, 64, 0), e1 = batch_indices(5, n, 4, 1, 64, 3);
    CHECK(*e0 != *e1);
    CHECK(batch_indices(5, n, 4, 1, 252, 0).status() == codes::kShardTooSmall);
}

TEST_CASE("load_records rejects missing files and ragged sizes and bad labels") {
    RecordFormat f = *record_format("mnist-u8");
    CHECK(load_records("/nonexistent/x.rec", f).status() == codes::kFileMissing);
    std::string dir = STEP_BINARY_DIR;
    Dataset ds{f, Bytes(785 * 2, 0)};
    ds.bytes[784] = 3;
    ds.bytes[785 + 784] = 10;
    REQUIRE(write_records(dir + "/bad-label.rec", ds).ok());
    CHECK(load_records(dir + "/bad-label.rec", f).status() == codes::kBadRecords);
    ds.bytes.resize(785 + 5);
    REQUIRE(write_records(dir + "/ragged.rec", ds).ok());
    CHECK(load_records(dir + "/ragged.rec", f).status() == codes::kBadRecords);
    CHECK(record_format("cifar").status() == codes::kUnknownFormat);
}

TEST_CASE("dataset_root commits to every record and proves a single one") {
    RecordFormat f = *record_format("mnist-u8");
    auto ds = load_records(std::string(STEP_SOURCE_DIR) + "/tests/fixtures/mnist-train-500.rec", f);
    REQUIRE(ds.ok());
    CHECK(ds->count() == 500);
    Hash256 root = dataset_root(*ds);
    std::vector<Hash256> leaves;
    for (uint64_t i = 0; i < ds->count(); ++i)
        leaves.push_back(record_hash(ByteSpan(ds->record(i), 785)));
    auto proof = merkle_proof(leaves, 123);
    CHECK(merkle_verify(root, 500, 123, leaves[123], proof));
    Dataset changed = *ds;
    changed.bytes[123 * 785 + 400] ^= 1;
    CHECK(dataset_root(changed) != root);
}
