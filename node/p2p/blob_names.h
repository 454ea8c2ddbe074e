// Blob names (docs/p2p.md "Blobs"). The market names its data by what the chain holds, not
// always by blob root:
// - a checkpoint or final state by (task, round, unit, leaf). The chain commits the leaf digest
//   leaf_digest(task, round, unit, leaf, state root), and a state's root is its blob root
//   (PROTOCOL.md section 3, "Leaves"), so a blob is that leaf's when its root gives the committed
//   digest: one hash, checked before any chunk is fetched;
// - a dataset by its dataset root, the Merkle root of its record hashes (kernels/data.h). A blob
//   is that dataset when its bytes, cut into records of a known format, hash to it: only a whole
//   blob can be checked, so a dataset is verified when its last chunk arrives.
// The chain holds digests, not blob roots, so finding the blob a unit's leaf or a dataset names
// scans the blob store (BlobLocator, which remembers what it found).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "node/chain/chain_manager.h"
#include "node/p2p/proto/p2p.pb.h"
#include "node/storage/blob_store.h"

namespace step::node::p2p {

// What a name must match, read from the chain.
struct BlobTarget {
    enum class Kind { kRoot, kUnitLeaf, kDataset };
    Kind kind = Kind::kRoot;
    Hash256 root{};  // kRoot: the blob root; kDataset: the dataset root
    Hash256 task{};  // kUnitLeaf: the unit and leaf, and the digest the chain committed
    uint32_t round = 0, unit = 0, leaf = 0;
    Hash256 committed_leaf{};
};

// Reads from the chain's tip state what `name` must match. Errors: unknown-task, bad-unit-ref
// (no such unit in the task), leaf-not-committed (not committed yet, or hidden until the trace
// is opened), bad-payload-field (a name of no kind or a hash not 32 bytes).
Result<BlobTarget> resolve_blob_name(const ChainManager& chain, const wire::BlobName& name);
// The same over a given state (tests, or a caller already holding a view).
Result<BlobTarget> resolve_blob_name(const consensus::KvRead& state, const wire::BlobName& name);

// Whether a blob whose root is `root` can be what `target` names, before it is fetched: the root
// itself, or a root that gives the committed leaf digest. Always true for a dataset (checked
// whole, BlobLocator::dataset_matches).
bool root_matches(const BlobTarget& target, const Hash256& root);

// A map key for a name (its canonical bytes), and a description for logs and messages.
std::string blob_name_key(const wire::BlobName& name);
std::string describe(const wire::BlobName& name);

// Names by root, by unit leaf and by dataset root.
wire::BlobName name_by_root(const Hash256& root);
wire::BlobName name_by_unit_leaf(const Hash256& task, uint32_t round, uint32_t unit, uint32_t leaf);
wire::BlobName name_by_dataset(const Hash256& dataset_root);

// Finds the stored blob a target names. Thread-safe; each user (the P2P worker, RPC) has its own.
class BlobLocator {
public:
    explicit BlobLocator(BlobStore& store) : store_(store) {}

    // The stored blob the target names: by root, complete or not; by unit leaf, complete or
    // not (the root is known from the digest); by dataset root, complete only (the records
    // are hashed whole). A miss scans the store.
    std::optional<BlobInfo> find(const BlobTarget& target);
    // Whether the complete blob `root` holds records of a known format whose dataset root is
    // `dataset_root`. Reads and hashes the blob once (remembered).
    bool dataset_matches(const Hash256& root, const Hash256& dataset_root);
    BlobStore& store() { return store_; }

private:
    std::optional<BlobInfo> find_unit_leaf(const BlobTarget& target);
    std::optional<BlobInfo> find_dataset(const Hash256& dataset_root);
    std::optional<Hash256> dataset_root_of(const BlobInfo& blob);

    BlobStore& store_;
    std::mutex mutex_;  // guards the maps; held across store reads (the store never calls back)
    std::map<Hash256, Hash256> root_by_leaf_;               // committed leaf digest -> blob root
    std::map<Hash256, std::optional<Hash256>> dataset_of_;  // complete blob -> its dataset root
};

}  // namespace step::node::p2p
