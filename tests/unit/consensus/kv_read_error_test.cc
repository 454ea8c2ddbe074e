// The KvRead contract (consensus/kv.h): a store that cannot answer throws KvReadError, and
// consensus lets it through untouched. Were any rule to catch it, or to read a failed read as an
// absent key, a failing disk would make the node compute another state and fork itself off the
// network (issue 11, defect 4).
#include <catch2/catch.hpp>

#include "common/status.h"
#include "consensus/block.h"
#include "consensus/keys.h"
#include "consensus/kv.h"
#include "consensus/params.h"
#include "consensus/pow.h"
#include "consensus/state.h"
#include "consensus/state_tree.h"

using namespace step;
using namespace step::consensus;

namespace {

inline constexpr ErrorCode kTestReadFailure{"test-read-failure", ErrorCategory::kStorage};

// The state of `base`, until reads are made to fail.
class FailingKv final : public KvRead {
public:
    explicit FailingKv(const KvRead& base) : base_(base) {}
    std::optional<Bytes> get(ByteSpan key) const override {
        if (failing) throw KvReadError(Status::error(kTestReadFailure, "disk gone"));
        return base_.get(key);
    }
    bool failing = false;

private:
    const KvRead& base_;
};

Address miner() {
    SecretSeed seed{};
    seed.fill(3);
    return address_from_pubkey(public_key_from_seed(seed));
}

}  // namespace

TEST_CASE("consensus passes a failed state read on as KvReadError, never as absence") {
    const Params& p = devnet_params();
    MemoryKv genesis;
    genesis.apply(genesis_state_writes(p));
    FailingKv state(genesis);
    const ChainTip tip = genesis_tip(p);
    const uint64_t timestamp = p.genesis_timestamp + 10;
    auto assembled = assemble_block(state, tip, {}, miner(), timestamp, p);
    REQUIRE(assembled.ok());
    pb::BlockHeader* header = assembled->block.mutable_header();
    for (uint64_t nonce = 0; !check_pow(*header, p); ++nonce) header->set_nonce(nonce);

    state.failing = true;
    CHECK_THROWS_AS(read_account(state, miner()), KvReadError);
    CHECK_THROWS_AS(read_totals(state), KvReadError);
    CHECK_THROWS_AS(state_tree_root(state), KvReadError);
    CHECK_THROWS_AS(assemble_block(state, tip, {}, miner(), timestamp, p), KvReadError);
    ApplyContext ctx;
    ctx.now = timestamp;
    ctx.parent = tip;
    try {
        auto applied = apply_block(state, assembled->block, p, ctx);
        FAIL("apply_block returned over a failing store: " << applied.status().to_string());
    } catch (const KvReadError& e) {
        CHECK(e.status().is(kTestReadFailure));
    }
}
