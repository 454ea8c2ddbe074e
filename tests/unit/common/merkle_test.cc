#include <catch2/catch.hpp>

#include "common/hash.h"
#include "common/hash_tags.h"
#include "common/merkle.h"

using namespace step;

static Hash256 leaf_n(int i) { return sha256(as_bytes(std::to_string(i))); }

TEST_CASE("sha256 matches the FIPS 180-2 'abc' vector") {
    CHECK(to_hex(sha256(as_bytes("abc"))) ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("tagged hash is SHA256(SHA256(tag) || SHA256(tag) || x)") {
    Hash256 t = sha256(as_bytes("my/tag"));
    Bytes pre(t.begin(), t.end());
    pre.insert(pre.end(), t.begin(), t.end());
    for (char c : std::string("payload")) pre.push_back(static_cast<uint8_t>(c));
    CHECK(tagged_hash("my/tag", as_bytes("payload")) == sha256(pre));
    // The hasher resets after finish and can be reused.
    TaggedHasher h("my/tag");
    h.update(as_bytes("junk")).finish();
    CHECK(h.update(as_bytes("payload")).finish() == sha256(pre));
}

TEST_CASE("merkle proofs verify for every leaf of trees of 1..33 leaves") {
    for (size_t n = 1; n <= 33; ++n) {
        std::vector<Hash256> leaves;
        for (size_t i = 0; i < n; ++i) leaves.push_back(leaf_n(static_cast<int>(i)));
        Hash256 root = merkle_root(leaves);
        for (size_t i = 0; i < n; ++i) {
            auto proof = merkle_proof(leaves, i);
            INFO("n=" << n << " i=" << i);
            CHECK(merkle_verify(root, n, i, leaves[i], proof));
            CHECK_FALSE(merkle_verify(root, n, i, leaf_n(1000), proof));
            if (n > 1) CHECK_FALSE(merkle_verify(root, n, (i + 1) % n, leaves[i], proof));
            auto padded = proof;
            padded.push_back(leaves[0]);
            CHECK_FALSE(merkle_verify(root, n, i, leaves[i], padded));
        }
    }
}

TEST_CASE("merkle root never duplicates an odd node (CVE-2012-2459)") {
    std::vector<Hash256> three{leaf_n(0), leaf_n(1), leaf_n(2)};
    std::vector<Hash256> four{leaf_n(0), leaf_n(1), leaf_n(2), leaf_n(2)};
    CHECK(merkle_root(three) != merkle_root(four));
    // A one-leaf tree's root is not the leaf itself, and leaves differ from inner nodes.
    CHECK(merkle_root({leaf_n(0)}) != leaf_n(0));
    CHECK(merkle_root({leaf_n(0)}) == merkle_leaf_hash(leaf_n(0)));
    CHECK(merkle_root({}) != merkle_root({Hash256{}}));
}

TEST_CASE("blob root is independent of the thread count and covers the size") {
    Bytes data(3 * kChunkBytes + 123);
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7 + 3);
    Hash256 one = blob_root(data, 1);
    CHECK(blob_root(data, 2) == one);
    CHECK(blob_root(data, 5) == one);
    CHECK(blob_chunk_count(data.size()) == 4);
    Bytes longer = data;
    longer.push_back(0);
    CHECK(blob_root(longer, 1) != one);
    data[kChunkBytes + 5] ^= 1;
    CHECK(blob_root(data, 2) != one);
}
