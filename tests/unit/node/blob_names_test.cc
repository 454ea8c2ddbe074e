// Blob names resolved against a market chain built in-process (the market scenario driver): a
// unit's leaf names the blob whose root gives the committed leaf digest, and the blob locator
// finds it among other stored blobs.
#include <filesystem>

#include "common/merkle.h"
#include "consensus/errors.h"
#include "kernels/state.h"
#include "node/p2p/blob_names.h"
#include "node/p2p/errors.h"
#include "node/storage/database.h"
#include "tests/support/status_check.h"
#include "tests/unit/market/scenario.h"
#include "tests/unit/node/test_node.h"
#include "verifier/proofs.h"

namespace mt = step::consensus::market_test;
using namespace step;
using namespace step::node;
using namespace step::node::p2p;

namespace {

void put_blob(BlobStore& store, const Bytes& blob) {
    for (uint64_t i = 0; i < blob_chunk_count(blob.size()); ++i)
        REQUIRE(store.put_chunk(blob_root(blob), *verifier::make_chunk_proof(blob, i)).ok());
}

}  // namespace

TEST_CASE("a unit's leaf names the stored blob whose root gives the committed digest",
          "[node][p2p]") {
    mt::World w;
    mt::RoundPlan plan;
    plan.solvers = w.solvers;
    uint64_t commit_height = 0;
    const auto work = w.claim_and_commit(0, w.start_of(0, {}), plan, &commit_height);
    const Bytes final0 = kernels::state_to_bytes(work[0].final_state);
    const Bytes final1 = kernels::state_to_bytes(work[1].final_state);
    const verifier::Checkpoint* cp = nullptr;
    for (const auto& c : work[0].checkpoints)
        if (c.leaf == 2) cp = &c;
    REQUIRE(cp != nullptr);

    const std::string dir = testing::fresh_temp_dir("step-blob-names", "unit-leaf");
    {
        auto db = Database::open(dir);
        REQUIRE(db.ok());
        auto store = BlobStore::open(**db);
        REQUIRE(store.ok());
        for (const Bytes* b : {&final1, &cp->bytes, &final0}) put_blob(**store, *b);
        BlobLocator locator(**store);
        auto find = [&](uint32_t round, uint32_t unit, uint32_t leaf) {
            return resolve_blob_name(w.sim.kv(), name_by_unit_leaf(w.task, round, unit, leaf));
        };

        // The final leaf (4) and a checkpoint leaf (2) of unit 0, the final leaf of unit 1.
        auto last0 = find(0, 0, 4);
        REQUIRE(last0.ok());
        CHECK(last0->committed_leaf == work[0].leaves[4]);
        CHECK(locator.find(*last0)->root == blob_root(final0));
        CHECK(root_matches(*last0, blob_root(final0)));
        CHECK(!root_matches(*last0, blob_root(final1)));
        auto last1 = find(0, 1, 4);
        REQUIRE(last1.ok());
        CHECK(locator.find(*last1)->root == blob_root(final1));
        auto check0 = find(0, 0, 2);
        REQUIRE(check0.ok());
        CHECK(locator.find(*check0)->root == blob_root(cp->bytes));
        // Leaf 0 is committed too; its blob (the round's start) is not stored here.
        auto start = find(0, 0, 0);
        REQUIRE(start.ok());
        CHECK(!locator.find(*start));

        // Hidden until the trace opens, past the last leaf, a unit not committed, no task.
        CHECK(find(0, 0, 1).status() == p2p::codes::kLeafNotCommitted);
        CHECK(find(0, 0, 5).status() == consensus::codes::kBadUnitRef);
        CHECK(find(1, 0, 4).status() == p2p::codes::kLeafNotCommitted);
        CHECK(find(2, 0, 4).status() == consensus::codes::kBadUnitRef);
        CHECK(resolve_blob_name(w.sim.kv(), name_by_unit_leaf(Hash256{}, 0, 0, 4)).status() ==
              consensus::codes::kUnknownTask);
    }
    std::filesystem::remove_all(dir);
}
