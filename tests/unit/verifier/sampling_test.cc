#include <catch2/catch.hpp>

#include <algorithm>
#include <map>

#include "common/hash.h"
#include "verifier/sampling.h"

using namespace step;
using namespace step::verifier;

static Hash256 seed_of(const char* s) { return sha256(as_bytes(s)); }

TEST_CASE("seeded rng is a pure function of the seed") {
    SeededRng a(seed_of("x")), b(seed_of("x")), c(seed_of("y"));
    std::vector<uint64_t> va, vb, vc;
    for (int i = 0; i < 20; ++i) {
        va.push_back(a.next_u64());
        vb.push_back(b.next_u64());
        vc.push_back(c.next_u64());
    }
    CHECK(va == vb);
    CHECK(va != vc);
}

TEST_CASE("uniform draws stay in range and cover it") {
    SeededRng r(seed_of("uniform"));
    std::map<uint64_t, int> seen;
    for (int i = 0; i < 6000; ++i) {
        uint64_t v = r.uniform(6);
        REQUIRE(v < 6);
        seen[v]++;
    }
    CHECK(seen.size() == 6);
    for (auto& [v, n] : seen) CHECK(n > 800);  // ~1000 expected each; 800 is > 6 sigma away
    CHECK(r.uniform(1) == 0);
}

TEST_CASE("sampled leaves are distinct, in 1..n, sorted, and exactly count") {
    for (uint32_t n : {1u, 2u, 5u, 40u, 1000u}) {
        for (uint32_t q : {1u, 3u, 8u, 40u}) {
            SeededRng r(seed_of("leaves"));
            auto s = sample_leaves(r, n, q);
            INFO("n=" << n << " q=" << q);
            CHECK(s.size() == std::min(n, q));
            CHECK(std::is_sorted(s.begin(), s.end()));
            CHECK(std::adjacent_find(s.begin(), s.end()) == s.end());
            for (uint32_t x : s) CHECK((x >= 1 && x <= n));
        }
    }
}

TEST_CASE("every leaf can be sampled and leaf 0 never is") {
    std::map<uint32_t, int> hits;
    for (int t = 0; t < 400; ++t) {
        SeededRng r(seed_of(std::to_string(t).c_str()));
        for (uint32_t x : sample_leaves(r, 10, 2)) hits[x]++;
    }
    CHECK(hits.size() == 10);
    CHECK(hits.count(0) == 0);
}

TEST_CASE("stake-weighted draws skip zero stake and favour larger stake") {
    std::vector<uint64_t> stakes{0, 100, 900, 0};
    int big_first = 0;
    for (int t = 0; t < 500; ++t) {
        SeededRng r(seed_of(std::to_string(t).c_str()));
        auto picks = sample_by_stake(r, stakes, 3);
        REQUIRE(picks.size() == 2);  // only two candidates hold stake
        CHECK(picks[0] != picks[1]);
        for (size_t p : picks) CHECK((p == 1 || p == 2));
        if (picks[0] == 2) ++big_first;
    }
    CHECK(big_first > 400);  // expected 450 of 500
    SeededRng r(seed_of("none"));
    CHECK(sample_by_stake(r, {0, 0}, 2).empty());
}

TEST_CASE("seeded rng draws are the ones pinned before the coding library") {
    // Six draws cross a block boundary (four words a block).
    SeededRng r(seed_of("seed"));
    const std::vector<uint64_t> want = {7860570499430626780ull,  637771136490378507ull,
                                        9266629482540871757ull,  11696998923024967916ull,
                                        1440134319462887682ull,  14562906093637688145ull};
    std::vector<uint64_t> got;
    for (size_t i = 0; i < want.size(); ++i) got.push_back(r.next_u64());
    CHECK(got == want);
}
