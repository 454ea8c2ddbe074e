#include <catch2/catch.hpp>

#include "common/hash.h"
#include "common/merkle.h"
#include "kernels/data.h"
#include "verifier/fraud_proof.h"
#include "verifier/proofs.h"
#include "verifier/errors.h"
#include "tests/support/status_check.h"

using namespace step;
using namespace step::verifier;

static std::vector<Hash256> some_leaves(size_t n) {
    std::vector<Hash256> v;
    for (size_t i = 0; i < n; ++i) v.push_back(sha256(as_bytes("leaf" + std::to_string(i))));
    return v;
}

TEST_CASE("MerkleTree gives common/merkle.h's root and proofs for every size") {
    for (size_t n = 1; n <= 40; ++n) {
        auto leaves = some_leaves(n);
        MerkleTree t(leaves);
        REQUIRE(t.root() == merkle_root(leaves));
        for (size_t i = 0; i < n; ++i) {
            REQUIRE(t.proof(i) == merkle_proof(leaves, i));
            REQUIRE(t.proof(i).size() <= merkle_path_max(n));
        }
    }
    CHECK(merkle_path_max(1) == 0);
    CHECK(merkle_path_max(2) == 1);
    CHECK(merkle_path_max(500) == 9);
}

TEST_CASE("multiproofs rebuild the root from many leaves and nothing else") {
    for (size_t n = 1; n <= 33; ++n) {
        auto leaves = some_leaves(n);
        Hash256 root = merkle_root(leaves);
        // Every subset given by a stride pattern, including all leaves and single leaves.
        for (size_t stride = 1; stride <= n; ++stride)
            for (size_t first = 0; first < stride && first < n; ++first) {
                std::vector<uint64_t> idx;
                std::vector<Hash256> vals;
                for (size_t i = first; i < n; i += stride) {
                    idx.push_back(i);
                    vals.push_back(leaves[i]);
                }
                auto proof = merkle_multiproof(leaves, idx);
                REQUIRE(merkle_multiverify(root, n, idx, vals, proof));
                REQUIRE(proof.size() <= merkle_multiproof_max(n, idx.size()));
                if (idx.size() == 1) REQUIRE(proof.size() == merkle_proof(leaves, idx[0]).size());
                auto bad = vals;
                bad.back()[0] ^= 1;
                REQUIRE_FALSE(merkle_multiverify(root, n, idx, bad, proof));
                if (!proof.empty()) {
                    auto shorter = proof;
                    shorter.pop_back();
                    REQUIRE_FALSE(merkle_multiverify(root, n, idx, vals, shorter));
                }
                auto longer = proof;
                longer.push_back(root);
                REQUIRE_FALSE(merkle_multiverify(root, n, idx, vals, longer));
            }
    }
    auto leaves = some_leaves(10);
    std::vector<uint64_t> idx = {2, 5};
    auto proof = merkle_multiproof(leaves, idx);
    Hash256 root = merkle_root(leaves);
    CHECK(merkle_multiverify(root, 10, idx, {leaves[2], leaves[5]}, proof));
    CHECK_FALSE(merkle_multiverify(root, 10, {5, 2}, {leaves[5], leaves[2]}, proof));
    CHECK_FALSE(merkle_multiverify(root, 10, {2, 2}, {leaves[2], leaves[2]}, proof));
    CHECK_FALSE(merkle_multiverify(root, 10, {2, 6}, {leaves[2], leaves[5]}, proof));
    CHECK_FALSE(merkle_multiverify(root, 17, idx, {leaves[2], leaves[5]}, proof));  // other shape
    CHECK_FALSE(merkle_multiverify(root, 10, {2, 10}, {leaves[2], leaves[5]}, proof));
    // Proven leaves share their paths: 3,200 of 7,996 leaves need far fewer hashes than paths.
    std::vector<Hash256> big;
    for (int i = 0; i < 7996; ++i) big.push_back(sha256(as_bytes("r" + std::to_string(i))));
    std::vector<uint64_t> some;
    for (uint64_t i = 0; i < 7996; i += 5) some.push_back(i);
    auto mp = merkle_multiproof(big, some);
    CHECK(mp.size() < some.size() * 3);
    std::vector<Hash256> vals;
    for (uint64_t i : some) vals.push_back(big[i]);
    CHECK(merkle_multiverify(merkle_root(big), big.size(), some, vals, mp));
}

TEST_CASE("leaf proofs verify only at their index against their root") {
    auto leaves = some_leaves(5);
    Hash256 root = merkle_root(leaves);
    LeafProof p = make_leaf_proof(leaves, 3);
    CHECK(verify_leaf_proof(root, 5, p));
    LeafProof moved = p;
    moved.index = 2;
    CHECK_FALSE(verify_leaf_proof(root, 5, moved));
    LeafProof wrong = p;
    wrong.leaf[0] ^= 1;
    CHECK_FALSE(verify_leaf_proof(root, 5, wrong));
    CHECK_FALSE(verify_leaf_proof(root, 9, p));  // another tree shape: the path does not fit
}

TEST_CASE("record proofs tie a record's bytes to the dataset root") {
    kernels::Dataset ds;
    ds.format = *kernels::record_format("mnist-u8");
    for (int r = 0; r < 7; ++r)
        for (int b = 0; b < kernels::kMnistRecordBytes; ++b)
            ds.bytes.push_back(static_cast<uint8_t>(b == 784 ? r % 10 : (r * 31 + b) & 0xff));
    Hash256 root = kernels::dataset_root(ds);
    std::vector<Hash256> hashes;
    for (uint64_t i = 0; i < ds.count(); ++i)
        hashes.push_back(kernels::record_hash(ByteSpan(ds.record(i), 785)));
    MerkleTree tree(hashes);
    RecordProof p;
    p.index = 4;
    p.record.assign(ds.record(4), ds.record(4) + 785);
    p.path = tree.proof(4);
    CHECK(verify_record_proof(root, 7, p));
    RecordProof flipped = p;
    flipped.record[100] ^= 1;
    CHECK_FALSE(verify_record_proof(root, 7, flipped));
    RecordProof other = p;
    other.index = 5;
    CHECK_FALSE(verify_record_proof(root, 7, other));
}

TEST_CASE("chunk proofs check the chunk, its length and the blob root") {
    Bytes blob(3 * kChunkBytes + 1000);
    for (size_t i = 0; i < blob.size(); ++i) blob[i] = static_cast<uint8_t>(i * 7 + (i >> 16));
    Hash256 root = blob_root(blob);
    for (uint64_t c = 0; c < 4; ++c) {
        auto p = make_chunk_proof(blob, c);
        REQUIRE(p.ok());
        CHECK(verify_chunk_proof(root, *p));
    }
    CHECK(make_chunk_proof(blob, 4).status() == step::verifier::codes::kBadChunkIndex);
    auto last = *make_chunk_proof(blob, 3);
    CHECK(last.chunk.size() == 1000);
    ChunkProof flipped = last;
    flipped.chunk[0] ^= 1;
    CHECK_FALSE(verify_chunk_proof(root, flipped));
    ChunkProof shorter = last;
    shorter.chunk.pop_back();
    CHECK_FALSE(verify_chunk_proof(root, shorter));
    ChunkProof resized = last;
    resized.blob_size += 1;  // claims another size: the rebuilt root differs
    CHECK_FALSE(verify_chunk_proof(root, resized));
    CHECK_FALSE(verify_chunk_proof(sha256(as_bytes("other")), last));
}

static FraudProof sample_proof() {
    auto leaves = some_leaves(5);
    FraudProof p;
    p.leaf = 2;
    p.claimed = make_leaf_proof(leaves, 2);
    p.previous = make_leaf_proof(leaves, 1);
    p.pre_state = Bytes{1, 2, 3, 4, 5};
    SegmentRecord r;
    r.index = 9;
    r.record = Bytes(785, 3);
    p.records = {r, r};
    p.records[1].index = 11;
    p.record_proof = some_leaves(3);
    p.previous_finals = {Bytes{9, 9}, Bytes{}};
    return p;
}

TEST_CASE("fraud proofs round-trip through their canonical encoding") {
    FraudProof p = sample_proof();
    Bytes enc = encode_fraud_proof(p);
    CHECK(enc.size() == p.wire_size());
    auto back = decode_fraud_proof(enc);
    REQUIRE(back.ok());
    CHECK(*back == p);
    CHECK(encode_fraud_proof(*back) == enc);
}

TEST_CASE("fraud proof decoding rejects truncation, trailing bytes and hostile lengths") {
    Bytes enc = encode_fraud_proof(sample_proof());
    for (size_t cut : {size_t{0}, size_t{1}, size_t{10}, enc.size() / 2, enc.size() - 1}) {
        Bytes t(enc.begin(), enc.begin() + static_cast<std::ptrdiff_t>(cut));
        CHECK(decode_fraud_proof(t).status() == step::verifier::codes::kBadEncoding);
    }
    Bytes longer = enc;
    longer.push_back(0);
    CHECK(decode_fraud_proof(longer).status() == step::verifier::codes::kBadEncoding);
    Bytes version = enc;
    version[0] = 2;
    CHECK(decode_fraud_proof(version).status() == step::verifier::codes::kBadEncoding);
    // The claimed leaf's path count (after version, leaf, index, leaf hash) set to 2^32 - 1.
    Bytes huge = enc;
    for (size_t i = 0; i < 4; ++i) huge[1 + 4 + 4 + 32 + i] = 0xff;
    CHECK(decode_fraud_proof(huge).status() == step::verifier::codes::kBadEncoding);
}

TEST_CASE("the proof commitment binds the prover and the proof") {
    FraudProof p = sample_proof();
    Bytes alice(20, 1), bob(20, 2);
    CHECK(fraud_proof_commitment(p, alice) == fraud_proof_commitment(p, alice));
    CHECK(fraud_proof_commitment(p, alice) != fraud_proof_commitment(p, bob));
    FraudProof q = p;
    q.pre_state.push_back(0);
    CHECK(fraud_proof_commitment(p, alice) != fraud_proof_commitment(q, alice));
}

// Bytes written by the encoder before the coding library (the commit before it), pinned so a
// change of layout cannot pass unnoticed: proofs are committed to on chain.
TEST_CASE("fraud proof bytes are the ones pinned before the coding library") {
    Bytes enc = encode_fraud_proof(sample_proof());
    CHECK(enc.size() == 2010);
    CHECK(to_hex(sha256(enc)) == "c87c1fb8d950b5026550002e4eac592d1185a8417b8b09a4114063c16f8c6479");
    CHECK(to_hex(fraud_proof_commitment(sample_proof(), Bytes(20, 1))) ==
          "084767e49cffa2d9da5faee0d2f101f8cf7f25de0019b7c18db1a430d43eb4a8");
    FraudProof leaf0;
    leaf0.claimed = make_leaf_proof(some_leaves(3), 0);
    leaf0.previous_finals = {Bytes{7}, Bytes{8, 9}};
    CHECK(to_hex(encode_fraud_proof(leaf0)) ==
          "010000000000000000"  // version, leaf, claimed index
          "4d5a9584d985e8fb44015a8affa9b76f1ff16f65e61df7156d8e8159e1448978"  // claimed leaf
          "02000000"  // path count
          "a8c4590d43e3a3f1fdcf136bbfa7ce5e9c7d08b9da53d315eb069e27718e6b74"  // path
          "a8e610e95e311698ca76ed91d6792b45bee9a9ffe72eb56aaa42c03cd5fbad3c"
          "00000000"  // previous index
          "0000000000000000000000000000000000000000000000000000000000000000"  // previous leaf
          "00000000"  // previous path count
          "0000000000000000"  // pre-state length
          "00000000"  // record count
          "00000000"  // multiproof count
          "02000000"  // final count
          "010000000000000007"  // final 0
          "02000000000000000809");  // final 1
}

TEST_CASE("fraud proof decoding refuses a truncation at every byte offset") {
    const Bytes enc = encode_fraud_proof(sample_proof());
    for (size_t n = 0; n < enc.size(); ++n) {
        CAPTURE(n);
        CHECK(decode_fraud_proof(ByteSpan(enc).first(n)).status() == step::verifier::codes::kBadEncoding);
    }
}
