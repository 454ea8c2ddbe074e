#include "node/p2p/blob_names.h"

#include "common/rpc_methods.h"
#include "consensus/canonical.h"
#include "consensus/errors.h"
#include "consensus/market.h"
#include "consensus/state_keys.h"
#include "kernels/data.h"
#include "kernels/state.h"
#include "node/p2p/codec.h"
#include "node/p2p/errors.h"

namespace step::node::p2p {
namespace {

namespace cs = consensus;

Status not_committed(const std::string& why) {
    return Status::error(codes::kLeafNotCommitted, why);
}

// The digest the chain committed for leaf `leaf` of unit `u`: leaf 0, the final leaf and the
// checkpoint leaves from its commitment, any other leaf once the trace is opened.
Result<Hash256> committed_leaf(const pb::Task& task, const pb::Unit& u, uint32_t leaf) {
    const verifier::TraceShape shape = cs::detail::trace_shape_of(task);
    if (leaf > shape.last_leaf)
        return Status::error(cs::codes::kBadUnitRef, "leaf " + std::to_string(leaf) +
                                                         " is past the unit's last leaf " +
                                                         std::to_string(shape.last_leaf));
    const auto s = u.status();
    if (s != pb::UNIT_COMMITTED && s != pb::UNIT_OPENED && s != pb::UNIT_FINAL)
        return not_committed("the unit has no committed trace");
    const std::string* digest = nullptr;
    if (leaf == 0)
        digest = &u.leaf0();
    else if (leaf == shape.last_leaf)
        digest = &u.final_leaf();
    else if (shape.is_checkpoint(leaf))
        digest = &u.checkpoint_leaves(static_cast<int>(leaf / shape.leaves_per_checkpoint - 1));
    else if (leaf < static_cast<uint32_t>(u.leaves_size()))
        digest = &u.leaves(static_cast<int>(leaf));
    if (digest == nullptr)
        return not_committed("leaf " + std::to_string(leaf) + " is hidden until the trace opens");
    auto h = hash_from_field(*digest);
    if (!h) return not_committed("the unit's leaf digest is not 32 bytes");
    return *h;
}

template <class M>
Result<std::optional<M>> read_record(const cs::KvRead& kv, const Bytes& key, const char* what) {
    auto v = kv.get(key);
    if (!v) return std::optional<M>();
    auto m = cs::detail::decode_message<M>(*v, what);
    if (!m.ok()) return m.status();
    return std::optional<M>(std::move(*m));
}

Result<BlobTarget> resolve_unit_leaf(const cs::KvRead& kv, const wire::UnitLeaf& ul) {
    BlobTarget t;
    t.kind = BlobTarget::Kind::kUnitLeaf;
    t.task = *hash_from_field(ul.unit().task_id());
    t.round = ul.unit().round();
    t.unit = ul.unit().unit();
    t.leaf = ul.leaf();
    auto task = read_record<pb::Task>(kv, cs::task_key(t.task), "task");
    if (!task.ok()) return task.status();
    if (!*task) return Status::error(cs::codes::kUnknownTask, "unknown task");
    const pb::Task& tk = **task;
    if (t.round >= tk.rounds() || t.unit >= tk.spec().units_per_round())
        return Status::error(cs::codes::kBadUnitRef, "no such unit in the task");
    auto unit = read_record<pb::Unit>(kv, cs::unit_key(t.task, t.round, t.unit), "unit");
    if (!unit.ok()) return unit.status();
    // An absent unit record is an untouched open unit.
    auto digest = committed_leaf(tk, unit->value_or(pb::Unit()), t.leaf);
    if (!digest.ok()) return digest.status();
    t.committed_leaf = *digest;
    return t;
}

}  // namespace

Result<BlobTarget> resolve_blob_name(const ChainManager& chain, const wire::BlobName& name) {
    std::optional<Result<BlobTarget>> out;
    chain.with_tip_state(
        [&](const cs::KvRead& kv, const cs::ChainTip&) { out = resolve_blob_name(kv, name); });
    return std::move(*out);
}

Result<BlobTarget> resolve_blob_name(const consensus::KvRead& state, const wire::BlobName& name) {
    BlobTarget t;
    switch (name.name_case()) {
        case wire::BlobName::kRoot:
            if (auto h = hash_from_field(name.root())) {
                t.root = *h;
                return t;
            }
            break;
        case wire::BlobName::kDatasetRoot:
            if (auto h = hash_from_field(name.dataset_root())) {
                t.kind = BlobTarget::Kind::kDataset;
                t.root = *h;
                return t;
            }
            break;
        case wire::BlobName::kUnitLeaf:
            if (hash_from_field(name.unit_leaf().unit().task_id()))
                return resolve_unit_leaf(state, name.unit_leaf());
            break;
        case wire::BlobName::NAME_NOT_SET:
            break;
    }
    return Status::error(codes::kBadPayloadField, "a blob name needs one 32-byte hash");
}

bool root_matches(const BlobTarget& target, const Hash256& root) {
    switch (target.kind) {
        case BlobTarget::Kind::kRoot:
            return root == target.root;
        case BlobTarget::Kind::kUnitLeaf:
            return kernels::leaf_digest(target.task, target.round, target.unit, target.leaf,
                                        root) == target.committed_leaf;
        case BlobTarget::Kind::kDataset:
            return true;
    }
    return false;
}

std::string blob_name_key(const wire::BlobName& name) {
    return encode_payload(name);
}

std::string describe(const wire::BlobName& name) {
    switch (name.name_case()) {
        case wire::BlobName::kRoot:
            return "blob " + to_hex(as_bytes(name.root()));
        case wire::BlobName::kDatasetRoot:
            return "dataset " + to_hex(as_bytes(name.dataset_root()));
        case wire::BlobName::kUnitLeaf: {
            const auto& u = name.unit_leaf();
            return "leaf " + std::to_string(u.leaf()) + " of unit " +
                   to_hex(as_bytes(u.unit().task_id())) + "/" + std::to_string(u.unit().round()) +
                   "/" + std::to_string(u.unit().unit());
        }
        case wire::BlobName::NAME_NOT_SET:
            break;
    }
    return "an empty blob name";
}

wire::BlobName name_by_root(const Hash256& root) {
    wire::BlobName n;
    n.set_root(hash_to_field(root));
    return n;
}

wire::BlobName name_by_unit_leaf(const Hash256& task, uint32_t round, uint32_t unit,
                                 uint32_t leaf) {
    wire::BlobName n;
    auto* ul = n.mutable_unit_leaf();
    ul->mutable_unit()->set_task_id(hash_to_field(task));
    ul->mutable_unit()->set_round(round);
    ul->mutable_unit()->set_unit(unit);
    ul->set_leaf(leaf);
    return n;
}

wire::BlobName name_by_dataset(const Hash256& dataset_root) {
    wire::BlobName n;
    n.set_dataset_root(hash_to_field(dataset_root));
    return n;
}

// --- BlobLocator ---------------------------------------------------------------------------

std::optional<BlobInfo> BlobLocator::find(const BlobTarget& target) {
    switch (target.kind) {
        case BlobTarget::Kind::kRoot:
            return store_.info(target.root);
        case BlobTarget::Kind::kUnitLeaf:
            return find_unit_leaf(target);
        case BlobTarget::Kind::kDataset:
            return find_dataset(target.root);
    }
    return std::nullopt;
}

// Visits every stored blob in root order until `fn` returns true; returns that blob.
template <class F>
std::optional<BlobInfo> scan_store(const BlobStore& store, F&& fn) {
    std::optional<Hash256> after;
    for (;;) {
        const std::vector<BlobInfo> page = store.list(rpc::kMaxListBlobs, after);
        for (const BlobInfo& b : page)
            if (fn(b)) return b;
        if (page.size() < rpc::kMaxListBlobs) return std::nullopt;
        after = page.back().root;
    }
}

std::optional<BlobInfo> BlobLocator::find_unit_leaf(const BlobTarget& target) {
    std::lock_guard lock(mutex_);
    if (auto it = root_by_leaf_.find(target.committed_leaf); it != root_by_leaf_.end())
        if (auto info = store_.info(it->second)) return info;
    auto found =
        scan_store(store_, [&](const BlobInfo& b) { return root_matches(target, b.root); });
    if (found) root_by_leaf_[target.committed_leaf] = found->root;
    return found;
}

std::optional<BlobInfo> BlobLocator::find_dataset(const Hash256& dataset_root) {
    std::lock_guard lock(mutex_);
    return scan_store(store_, [&](const BlobInfo& b) {
        if (!b.complete()) return false;
        return dataset_root_of(b) == dataset_root;
    });
}

bool BlobLocator::dataset_matches(const Hash256& root, const Hash256& dataset_root) {
    std::lock_guard lock(mutex_);
    auto info = store_.info(root);
    return info && info->complete() && dataset_root_of(*info) == dataset_root;
}

// Mutex held. The blob's bytes are read chunk by chunk and hashed as records of each known
// format whose record size divides the blob's size; the answer is remembered per blob root.
std::optional<Hash256> BlobLocator::dataset_root_of(const BlobInfo& blob) {
    if (auto it = dataset_of_.find(blob.root); it != dataset_of_.end()) return it->second;
    std::optional<Hash256> out;
    for (const kernels::RecordFormat& f : kernels::known_record_formats()) {
        if (blob.size % static_cast<uint64_t>(f.record_bytes) != 0) continue;
        kernels::Dataset ds;
        ds.format = f;
        for (uint64_t i = 0; i < blob.chunks; ++i) {
            auto chunk = store_.get_chunk(blob.root, i);
            if (!chunk.ok()) return std::nullopt;  // pruned meanwhile: nothing to remember
            ds.bytes.insert(ds.bytes.end(), chunk->chunk.begin(), chunk->chunk.end());
        }
        out = kernels::dataset_root(ds);
        break;  // one format per record size: the first that divides the size names it
    }
    dataset_of_[blob.root] = out;
    return out;
}

}  // namespace step::node::p2p
