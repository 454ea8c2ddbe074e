#include <catch2/catch.hpp>

#include <map>
#include <random>

#include "consensus/state_tree.h"
#include "test_chain.h"
#include "consensus/errors.h"
#include "tests/support/status_check.h"

using namespace step;
using namespace step::consensus;

namespace {

Bytes key_of(uint32_t i) {
    Bytes k{'a'};
    for (int s = 24; s >= 0; s -= 8) k.push_back(static_cast<uint8_t>(i >> s));
    return k;
}

// Applies changes to both the stored tree (incrementally) and a plain map; returns the root.
Hash256 apply(MemoryKv& kv, std::map<Bytes, Bytes>& model, const KvWrites& changes) {
    auto u = update_state_tree(kv, changes);
    REQUIRE(u.ok());
    kv.apply(u->node_writes);
    for (const auto& [k, v] : changes) {
        if (v) model[k] = *v;
        else model.erase(k);
    }
    return u->root;
}

}  // namespace

TEST_CASE("The empty tree has the zero root", "[state-tree]") {
    MemoryKv kv;
    CHECK(*state_tree_root(kv) == Hash256{});
    CHECK(state_root_of({}) == Hash256{});
}

TEST_CASE("Incremental updates equal a rebuild from scratch", "[state-tree]") {
    MemoryKv kv;
    std::map<Bytes, Bytes> model;
    KvWrites batch;
    for (uint32_t i = 0; i < 200; ++i) batch[key_of(i)] = Bytes{static_cast<uint8_t>(i), 1};
    const Hash256 first = apply(kv, model, batch);
    CHECK(first == state_root_of(model));
    // Modify some, delete some, add some, in one batch.
    KvWrites next;
    for (uint32_t i = 0; i < 200; i += 3) next[key_of(i)] = Bytes{9, 9};
    for (uint32_t i = 1; i < 200; i += 5) next[key_of(i)] = std::nullopt;
    for (uint32_t i = 1000; i < 1010; ++i) next[key_of(i)] = Bytes{7};
    const Hash256 r = apply(kv, model, next);
    CHECK(r == state_root_of(model));
    CHECK(*state_tree_root(kv) == r);
    // Deleting everything returns to the empty tree and leaves no node behind.
    KvWrites all;
    for (const auto& [k, v] : model) all[k] = std::nullopt;
    CHECK(apply(kv, model, all) == Hash256{});
    CHECK(kv.size() == 0);
}

TEST_CASE("The root depends on the contents, not on the order of updates", "[state-tree]") {
    MemoryKv a, b;
    std::map<Bytes, Bytes> ma, mb;
    for (uint32_t i = 0; i < 64; ++i) apply(a, ma, {{key_of(i), Bytes{1}}});
    KvWrites one;
    for (uint32_t i = 64; i-- > 0;) one[key_of(i)] = Bytes{1};
    apply(b, mb, one);
    CHECK(*state_tree_root(a) == *state_tree_root(b));
    CHECK(a.data() == b.data());  // same nodes stored, too
}

TEST_CASE("Inclusion and non-inclusion proofs verify, tampered ones fail", "[state-tree]") {
    MemoryKv kv;
    std::map<Bytes, Bytes> model;
    KvWrites batch;
    for (uint32_t i = 0; i < 100; ++i) batch[key_of(i)] = Bytes{static_cast<uint8_t>(i)};
    const Hash256 root = apply(kv, model, batch);

    for (uint32_t i = 0; i < 100; i += 7) {
        auto proof = make_state_proof(kv, key_of(i));
        REQUIRE(proof.ok());
        CHECK_FALSE(proof->siblings.empty());
        CHECK(verify_state_proof(root, key_of(i), Bytes{static_cast<uint8_t>(i)}, *proof));
        CHECK_FALSE(verify_state_proof(root, key_of(i), Bytes{0xee}, *proof));  // wrong value
        CHECK_FALSE(verify_state_proof(root, key_of(i), std::nullopt, *proof));  // claims absent
        CHECK_FALSE(verify_state_proof(root, key_of(i + 1), Bytes{static_cast<uint8_t>(i)}, *proof));
        auto bad = *proof;
        bad.siblings[0][5] ^= 1;
        CHECK_FALSE(verify_state_proof(root, key_of(i), Bytes{static_cast<uint8_t>(i)}, bad));
        auto wire = decode_state_proof(encode_state_proof(*proof));
        REQUIRE(wire.ok());
        CHECK(verify_state_proof(root, key_of(i), Bytes{static_cast<uint8_t>(i)}, *wire));
    }
    int other_leaf = 0, empty_slot = 0;
    for (uint32_t i = 5000; i < 5100; ++i) {
        auto proof = make_state_proof(kv, key_of(i));
        REQUIRE(proof.ok());
        (proof->other_leaf ? other_leaf : empty_slot)++;
        CHECK(verify_state_proof(root, key_of(i), std::nullopt, *proof));
        CHECK_FALSE(verify_state_proof(root, key_of(i), Bytes{1}, *proof));
        if (proof->other_leaf) {
            auto bad = *proof;
            bad.other_leaf->second[0] ^= 1;
            CHECK_FALSE(verify_state_proof(root, key_of(i), std::nullopt, bad));
            // The other leaf cannot be used to deny a key that exists.
        }
        auto wire = decode_state_proof(encode_state_proof(*proof));
        REQUIRE(wire.ok());
        CHECK(verify_state_proof(root, key_of(i), std::nullopt, *wire));
    }
    CHECK(other_leaf > 0);  // both kinds of non-inclusion proof were exercised
    CHECK(empty_slot > 0);
    // A present key's own leaf cannot serve as "other leaf" to prove it absent.
    auto in = *make_state_proof(kv, key_of(3));
    StateProof fake = in;
    fake.other_leaf = {state_key_path(key_of(3)), state_value_hash(Bytes{3})};
    CHECK_FALSE(verify_state_proof(root, key_of(3), std::nullopt, fake));
}

TEST_CASE("Proofs against single-leaf and empty trees", "[state-tree]") {
    MemoryKv kv;
    std::map<Bytes, Bytes> model;
    auto p0 = *make_state_proof(kv, key_of(1));
    CHECK(verify_state_proof(Hash256{}, key_of(1), std::nullopt, p0));
    const Hash256 root = apply(kv, model, {{key_of(1), Bytes{42}}});
    auto p1 = *make_state_proof(kv, key_of(1));
    CHECK(p1.siblings.empty());
    CHECK(verify_state_proof(root, key_of(1), Bytes{42}, p1));
    auto p2 = *make_state_proof(kv, key_of(2));
    CHECK(p2.other_leaf);
    CHECK(verify_state_proof(root, key_of(2), std::nullopt, p2));
}

TEST_CASE("decode_state_proof rejects malformed items", "[state-tree]") {
    CHECK_FALSE(decode_state_proof({}).ok());
    CHECK_FALSE(decode_state_proof({Bytes(10)}).ok());
    CHECK_FALSE(decode_state_proof({Bytes{}, Bytes(31)}).ok());
    CHECK(decode_state_proof({Bytes{}, Bytes(32)}).ok());
}

TEST_CASE("Random operations: tree, proofs and rebuild always agree", "[state-tree]") {
    std::mt19937_64 rng(20261125);
    MemoryKv kv;
    std::map<Bytes, Bytes> model;
    for (int round = 0; round < 60; ++round) {
        KvWrites batch;
        const int n = static_cast<int>(rng() % 40) + 1;
        for (int j = 0; j < n; ++j) {
            const uint32_t k = static_cast<uint32_t>(rng() % 300);
            if (rng() % 3 == 0)
                batch[key_of(k)] = std::nullopt;  // deleting an absent key is a no-op
            else
                batch[key_of(k)] = Bytes{static_cast<uint8_t>(rng()), static_cast<uint8_t>(round)};
        }
        const Hash256 root = apply(kv, model, batch);
        REQUIRE(root == state_root_of(model));
        for (int j = 0; j < 5; ++j) {
            const uint32_t k = static_cast<uint32_t>(rng() % 300);
            auto proof = make_state_proof(kv, key_of(k));
            REQUIRE(proof.ok());
            auto it = model.find(key_of(k));
            CHECK(verify_state_proof(root, key_of(k),
                                     it == model.end() ? std::nullopt : std::optional<Bytes>(it->second),
                                     *proof));
        }
    }
    // Stored nodes are exactly the canonical tree: a fresh build stores the same bytes.
    MemoryKv fresh;
    KvWrites all;
    for (const auto& [k, v] : model) all[k] = v;
    fresh.apply(update_state_tree(fresh, all)->node_writes);
    CHECK(fresh.data() == kv.data());
}

TEST_CASE("A corrupt node is reported, not trusted", "[state-tree]") {
    MemoryKv kv;
    std::map<Bytes, Bytes> model;
    apply(kv, model, {{key_of(1), Bytes{1}}, {key_of(2), Bytes{2}}});
    KvWrites corrupt;
    for (const auto& [k, v] : kv.data()) corrupt[k] = Bytes{1, 2, 3};
    kv.apply(corrupt);
    CHECK(state_tree_root(kv).status() == step::consensus::codes::kCorruptState);
    CHECK(update_state_tree(kv, {{key_of(3), Bytes{3}}}).status() == step::consensus::codes::kCorruptState);
}
