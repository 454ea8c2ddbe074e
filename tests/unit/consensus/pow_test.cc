#include <catch2/catch.hpp>

#include "consensus/pow.h"
#include "test_chain.h"

using namespace step;
using namespace step::consensus;

namespace {

Params asert_params() {
    Params p = mainnet_params();
    p.genesis_target = U256(1) << 220;
    p.pow_limit = (U256(1) << 236) - U256(1);
    return p;
}

// Timestamp of a parent at `height` that is `deviation` seconds behind schedule.
uint64_t ts(const Params& p, uint64_t height, int64_t deviation) {
    return static_cast<uint64_t>(static_cast<int64_t>(p.genesis_timestamp + height * p.block_time_s) +
                                 deviation);
}

}  // namespace

TEST_CASE("U256 arithmetic: bytes, shifts, add, multiply, divide", "[pow]") {
    Hash256 be{};
    be[0] = 0x80;
    be[31] = 0x01;
    const U256 x = U256::from_be(be);
    CHECK(x.to_be() == be);
    CHECK(x.bit_length() == 256);
    CHECK((U256(1) << 255) + U256(1) == x);
    CHECK((x >> 255) == U256(1));
    CHECK((U256(0xff) << 64 >> 60) == U256(0xff0));
    CHECK((U256(1) << 256).is_zero());
    CHECK(U256::max().add_checked(U256(1)) == std::nullopt);
    CHECK(U256::max().mul_checked(2) == std::nullopt);
    CHECK(*(U256(1) << 200).mul_checked(1000) == (U256(1000) << 200));
    CHECK(U256(1000) / U256(7) == U256(142));
    CHECK(((U256(1) << 200) + U256(5)) / (U256(1) << 100) == (U256(1) << 100));
    CHECK(U256::max() / (U256(1) << 255) == U256(1));       // divisor above 2^255
    CHECK(U256::max() / U256::max() == U256(1));
    CHECK(U256(5) - U256(7) == U256::max() - U256(1));    // wraps mod 2^256
    CHECK(U256::from_be(ByteSpan(be.data(), 31)) == std::nullopt);
}

TEST_CASE("block_work is 2^256 / (target + 1)", "[pow]") {
    CHECK(block_work(U256::max()) == U256(1));
    CHECK(block_work((U256(1) << 255) - U256(1)) == U256(2));
    CHECK(block_work((U256(1) << 224) - U256(1)) == (U256(1) << 32));
    CHECK(block_work(U256(1) << 224) == (U256(1) << 32) - U256(1));  // floor
    CHECK(block_work(U256()) == U256::max());                         // saturates, never wraps
}

TEST_CASE("ASERT keeps the anchor target on schedule", "[pow]") {
    const Params p = asert_params();
    for (uint64_t h : {0u, 1u, 100u, 100000u})
        CHECK(next_target(h, ts(p, h, 0), p) == p.genesis_target);
}

TEST_CASE("ASERT doubles the target one half-life behind and halves it one ahead", "[pow]") {
    const Params p = asert_params();
    const auto hl = static_cast<int64_t>(p.asert_half_life_s);
    CHECK(next_target(500, ts(p, 500, hl), p) == (p.genesis_target << 1));
    CHECK(next_target(500, ts(p, 500, -hl), p) == (p.genesis_target >> 1));
    CHECK(next_target(500, ts(p, 500, 3 * hl), p) == (p.genesis_target << 3));
    CHECK(next_target(500, ts(p, 500, -4 * hl), p) == (p.genesis_target >> 4));
}

TEST_CASE("ASERT interpolates between powers of two and is monotonic", "[pow]") {
    const Params p = asert_params();
    const auto hl = static_cast<int64_t>(p.asert_half_life_s);
    // Half a half-life behind: 2^0.5 = 1.41421..., approximated to within 0.013%.
    const U256 t = next_target(10, ts(p, 10, hl / 2), p);
    const uint64_t ratio = (*t.mul_checked(100000) / p.genesis_target).low64();
    CHECK(ratio >= 141400);
    CHECK(ratio <= 141440);
    U256 prev;
    for (int64_t dev = -2 * hl; dev <= 2 * hl; dev += hl / 7) {
        const U256 cur = next_target(1000, ts(p, 1000, dev), p);
        CHECK(cur >= prev);
        prev = cur;
    }
}

TEST_CASE("ASERT clamps to pow_limit and to 1", "[pow]") {
    const Params p = asert_params();
    const auto hl = static_cast<int64_t>(p.asert_half_life_s);
    CHECK(next_target(10, ts(p, 10, 17 * hl), p) == p.pow_limit);   // 2^237 > limit
    CHECK(next_target(10, ts(p, 10, 300 * hl), p) == p.pow_limit);  // shift past 256 bits
    // Far ahead of schedule (huge height, timestamps barely moving): never zero.
    CHECK(next_target(100'000'000, p.genesis_timestamp + 1, p) == U256(1));
}

TEST_CASE("Fork choice prefers strictly more work; ties keep the first seen", "[pow]") {
    CHECK(prefer_chain(U256(11), U256(10)));
    CHECK_FALSE(prefer_chain(U256(10), U256(10)));
    CHECK_FALSE(prefer_chain(U256(9), U256(10)));
    // More blocks is not more work: one block at half the target outweighs one at the target.
    const U256 t = (U256(1) << 240) - U256(1);
    CHECK(prefer_chain(block_work(t >> 1), block_work(t)));
}

TEST_CASE("Median time past takes the middle of the recent timestamps", "[pow]") {
    CHECK(median_time_past({}) == 0);
    CHECK(median_time_past({5}) == 5);
    CHECK(median_time_past({9, 1, 5}) == 5);
    CHECK(median_time_past({1, 2, 3, 4}) == 3);
}

TEST_CASE("Subsidy halves per era and splits by MINER_SHARE", "[pow]") {
    const Params& d = devnet_params();
    CHECK(block_subsidy(0, d) == 0);
    CHECK(block_subsidy(1, d) == 50 * kCoin);
    CHECK(block_subsidy(10'000, d) == 50 * kCoin);  // constant through the first 10,000
    CHECK(block_subsidy(10'001, d) == 25 * kCoin);
    CHECK(block_subsidy(64 * 10'000 + 1, d) == 0);
    CHECK(miner_subsidy_share(50 * kCoin, d) == 25 * kCoin);
    CHECK(miner_subsidy_share(UINT64_MAX, d) == UINT64_MAX / 2);  // u128 product, no overflow
}
