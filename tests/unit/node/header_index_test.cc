// Headers-first sync in the block index: headers without bodies, bodies arriving later and out
// of order, locators, and the bound on what side-branch headers can make the index grow by.
#include <catch2/catch.hpp>
#include <filesystem>

#include "consensus/block.h"
#include "consensus/errors.h"
#include "consensus/keys.h"
#include "consensus/pow.h"
#include "node/errors.h"
#include "node/p2p/limits.h"
#include "tests/support/status_check.h"
#include "tests/unit/node/test_node.h"

using namespace step;
using namespace step::node;
namespace cs = step::consensus;

namespace {

using testing::TestNode;

const cs::Params& params() {
    return cs::devnet_params();
}

cs::Address address(uint8_t n) {
    cs::SecretSeed seed{};
    seed.fill(n);
    return cs::address_from_pubkey(cs::public_key_from_seed(seed));
}

struct Dir {
    explicit Dir(const std::string& name)
        : path(testing::fresh_temp_dir("step-headers-test", name)) {}
    ~Dir() { std::filesystem::remove_all(path); }
    std::string path;
};

// n headers extending `from`, and the tip after them.
std::vector<pb::BlockHeader> branch(cs::ChainTip from, size_t n, uint64_t salt,
                                    cs::ChainTip* end = nullptr) {
    std::vector<pb::BlockHeader> out;
    for (size_t i = 0; i < n; ++i) {
        out.push_back(testing::header_with_pow(from, salt));
        from = cs::next_tip(from, out.back(), params());
    }
    if (end) *end = from;
    return out;
}

std::vector<pb::BlockHeader> headers_of(const TestNode& n, uint64_t first, uint64_t last) {
    std::vector<pb::BlockHeader> out;
    for (uint64_t h = first; h <= last; ++h)
        out.push_back(n.chain->block(*n.chain->hash_at_height(h))->header());
    return out;
}

}  // namespace

TEST_CASE("headers come first and bodies follow in any order") {
    Dir da("a"), db("b");
    uint64_t clock = params().genesis_timestamp + 1000;
    TestNode a(da.path, &clock), b(db.path, &clock);
    for (int i = 0; i < 30; ++i) a.mine(address(1));

    // B asks with its locator; A answers from the block after the fork (genesis).
    const auto answer =
        a.chain->headers_after(b.chain->locator(), Hash256{}, p2p::kMaxHeadersPerMessage);
    REQUIRE(answer.size() == 30);
    auto accepted = b.chain->accept_headers(answer);
    REQUIRE(accepted.ok());
    CHECK(accepted->added == 30);
    CHECK(accepted->added_best == 30);
    CHECK(accepted->added_side == 0);
    CHECK(accepted->last == a.chain->tip().hash);
    CHECK(b.chain->best_header().hash == a.chain->tip().hash);
    CHECK(b.chain->tip().height == 0);  // no bodies yet
    CHECK(b.chain->block_info(a.chain->tip().hash)->status == BlockStatus::kHeaderOnly);
    // Sending them again adds nothing.
    CHECK(b.chain->accept_headers(answer)->added == 0);

    const auto wanted = b.chain->blocks_to_fetch(p2p::kBlockDownloadWindow, 100);
    REQUIRE(wanted.size() == 30);
    CHECK(wanted.front().height == 1);
    CHECK(wanted.back().hash == a.chain->tip().hash);
    CHECK(b.chain->blocks_to_fetch(10, 100).size() == 10);  // the window bounds what is asked

    // Bodies from the top down: none can connect until block 1 arrives, then all do.
    for (uint64_t h = 30; h >= 2; --h) {
        auto r =
            b.node->submit_block(*a.chain->block(*a.chain->hash_at_height(h)), BlockSource::kPeer);
        REQUIRE(r.ok());
        CHECK_FALSE(r->tip_changed);
    }
    CHECK(b.chain->tip().height == 0);
    CHECK(b.chain->blocks_to_fetch(p2p::kBlockDownloadWindow, 100).size() == 1);
    auto r = b.node->submit_block(*a.chain->block(*a.chain->hash_at_height(1)), BlockSource::kPeer);
    REQUIRE(r.ok());
    CHECK(r->connected.size() == 30);
    CHECK(b.chain->tip().hash == a.chain->tip().hash);
    CHECK(b.chain->state_digest() == a.chain->state_digest());
    CHECK(b.chain->blocks_to_fetch(p2p::kBlockDownloadWindow, 100).empty());
}

TEST_CASE("a body that does not match its header is refused and the header stays valid") {
    Dir da("a"), db("b");
    uint64_t clock = params().genesis_timestamp + 1000;
    TestNode a(da.path, &clock), b(db.path, &clock);
    a.mine(address(1));
    REQUIRE(b.chain->accept_headers(headers_of(a, 1, 1)).ok());
    pb::Block real = *a.chain->block(a.chain->tip().hash);
    pb::Block mutated = real;
    mutated.add_transactions()->set_nonce(5);  // same header, other transactions
    CHECK(b.node->submit_block(mutated, BlockSource::kPeer).status() == cs::codes::kBadTxRoot);
    CHECK(b.chain->block_info(a.chain->tip().hash)->status == BlockStatus::kHeaderOnly);
    REQUIRE(b.node->submit_block(real, BlockSource::kPeer).ok());
    CHECK(b.chain->tip().hash == a.chain->tip().hash);
}

TEST_CASE("headers that break a rule or do not connect are refused whole") {
    Dir d("rules");
    uint64_t clock = params().genesis_timestamp + 1000;
    TestNode n(d.path, &clock);
    const cs::ChainTip g = n.chain->tip();
    auto good = branch(g, 5, 1);

    auto no_pow = good;
    for (uint64_t nonce = 0;; ++nonce) {
        no_pow[3].set_nonce(nonce);
        if (!cs::check_pow(no_pow[3], params())) break;
    }
    CHECK(n.chain->accept_headers(no_pow).status() == cs::codes::kBadPow);
    CHECK(n.chain->index_size() == 1);  // nothing of the batch was stored

    auto wrong_target = good;
    wrong_target[0].set_target(std::string(32, '\x01'));
    CHECK(n.chain->accept_headers(wrong_target).status() == cs::codes::kBadTarget);

    auto too_new = branch(g, 1, 2);
    too_new[0].set_timestamp(clock + params().max_future_drift_s + 1);
    CHECK(n.chain->accept_headers(too_new).status() == cs::codes::kTimeTooNew);

    // Not a chain: the third header does not extend the second.
    auto gap = good;
    gap.erase(gap.begin() + 1);
    CHECK_FALSE(n.chain->accept_headers(gap).ok());

    // Connects to nothing we know.
    const std::vector<pb::BlockHeader> orphan(good.begin() + 2, good.end());
    CHECK(n.chain->accept_headers(orphan).status() == codes::kUnknownParent);
    CHECK(n.chain->index_size() == 1);

    REQUIRE(n.chain->accept_headers(good).ok());
    CHECK(n.chain->index_size() == 6);
    CHECK(n.chain->best_header().height == 5);
}

TEST_CASE("a locator is dense near the tip, sparse below, and ends at genesis") {
    Dir da("a"), db("b");
    uint64_t clock = params().genesis_timestamp + 1000;
    TestNode a(da.path, &clock), b(db.path, &clock);
    cs::ChainTip end;
    REQUIRE(a.chain->accept_headers(branch(a.chain->tip(), 1000, 1, &end)).ok());
    const auto loc = a.chain->locator();
    CHECK(loc.front() == end.hash);
    CHECK(loc.back() == cs::header_hash(cs::genesis_block(params()).header()));
    CHECK(loc.size() <= p2p::kMaxLocatorHashes);
    CHECK(loc.size() == 10 + 8 + 1);  // 1000..991, then steps of 2, 4, ... 256, then genesis
    for (size_t i = 1; i < 10; ++i) CHECK(a.chain->block_info(loc[i])->height == 1000 - i);

    // Serving: the answer starts after the newest locator hash on our active chain.
    for (int i = 0; i < 8; ++i) b.mine(address(2));
    auto from_b = b.chain->locator();
    const auto answer = b.chain->headers_after(from_b, Hash256{}, 100);
    CHECK(answer.empty());  // nothing after our own tip
    std::vector<Hash256> old{*b.chain->hash_at_height(3)};
    auto after3 = b.chain->headers_after(old, Hash256{}, 100);
    REQUIRE(after3.size() == 5);
    CHECK(after3.front().height() == 4);
    CHECK(b.chain->headers_after(old, *b.chain->hash_at_height(5), 100).size() == 2);  // stop hash
    CHECK(b.chain->headers_after({}, Hash256{}, 3).size() == 3);  // nothing in common: from block 1
}

TEST_CASE("side-branch headers cannot grow the index without bound") {
    Dir d("spam");
    uint64_t clock = params().genesis_timestamp + 100'000;
    TestNode n(d.path, &clock);
    cs::ChainTip best;
    const uint64_t length = p2p::kHeaderReachBlocks + 50;
    REQUIRE(n.chain->accept_headers(branch(n.chain->tip(), length, 1, &best)).ok());

    SECTION("a branch further behind than the reach is refused") {
        // Forks at genesis and stays far below our best header chain's work.
        auto low = branch(cs::genesis_tip(params()), 10, 2);
        CHECK(n.chain->accept_headers(low).status() == codes::kHeadersLowWork);
        CHECK(n.chain->index_size() == length + 1);
    }

    SECTION("side headers within reach stop at the cap; a heavier branch still comes in") {
        // Siblings of the best tip: within reach, never more work than the best chain.
        cs::ChainTip below;
        branch(cs::genesis_tip(params()), length - 1, 1, &below);
        uint64_t salt = 100;
        uint64_t added = 0;
        Status refused;
        while (added <= p2p::kMaxSideHeaders) {
            auto r = n.chain->accept_headers({testing::header_with_pow(below, salt++)});
            if (!r.ok()) {
                refused = r.status();
                break;
            }
            added += r->added_side;
        }
        CHECK(refused == codes::kSideHeadersFull);
        CHECK(added == p2p::kMaxSideHeaders);
        CHECK(n.chain->side_header_count() == p2p::kMaxSideHeaders);
        CHECK(n.chain->index_size() == length + 1 + p2p::kMaxSideHeaders);

        // Two headers on one of the siblings: more work than the best chain, accepted at once.
        cs::ChainTip sibling = cs::next_tip(below, testing::header_with_pow(below, 100), params());
        cs::ChainTip heavier_end;
        auto r = n.chain->accept_headers(branch(sibling, 2, 7, &heavier_end));
        REQUIRE(r.ok());
        CHECK(r->added_best == 2);
        CHECK(n.chain->best_header().hash == heavier_end.hash);

        // Once the best chain moves a reach past the siblings, they are pruned to make room.
        cs::ChainTip far_end;
        REQUIRE(
            n.chain->accept_headers(branch(heavier_end, p2p::kHeaderReachBlocks + 2, 8, &far_end))
                .ok());
        CHECK(n.chain->accept_headers({testing::header_with_pow(below, salt++)}).status() ==
              codes::kHeadersLowWork);
        cs::ChainTip before_end;
        auto last_two = branch(heavier_end, p2p::kHeaderReachBlocks + 1, 8, &before_end);
        auto side = n.chain->accept_headers(
            {testing::header_with_pow(before_end, 12345)});  // a sibling of the best tip
        REQUIRE(side.ok());
        CHECK(side->added_side == 1);
        CHECK(n.chain->side_header_count() < 10);
        CHECK(n.chain->index_size() < length + 2 * p2p::kHeaderReachBlocks + 20);
    }
}
