#include "consensus/state_tree.h"

#include <algorithm>
#include <span>

#include "common/hash.h"
#include "common/hash_tags.h"
#include "consensus/errors.h"
#include "consensus/state_keys.h"

namespace step::consensus {
namespace {

constexpr uint8_t kLeafTag = 'L';
constexpr uint8_t kInnerTag = 'I';
constexpr size_t kNodeValueBytes = 1 + 32 + 32;

struct Node {
    enum Kind : uint8_t { kEmpty, kLeaf, kInner };
    Kind kind = kEmpty;
    Hash256 a{};  // leaf: path;       inner: left child hash
    Hash256 b{};  // leaf: value hash; inner: right child hash
};

// Tagged hashers keep their tag midstate; thread_local so concurrent users never share one.
Hash256 leaf_hash(const Hash256& path, const Hash256& value_hash) {
    static thread_local TaggedHasher h(tags::kStateLeaf);
    return h.update(path).update(value_hash).finish();
}

Hash256 inner_hash(const Hash256& left, const Hash256& right) {
    static thread_local TaggedHasher h(tags::kStateNode);
    return h.update(left).update(right).finish();
}

Hash256 node_hash(const Node& n) {
    switch (n.kind) {
        case Node::kLeaf: return leaf_hash(n.a, n.b);
        case Node::kInner: return inner_hash(n.a, n.b);
        default: return Hash256{};
    }
}

bool path_bit(const Hash256& path, unsigned i) { return (path[i / 8] >> (7 - i % 8)) & 1; }

Hash256 with_bit(Hash256 prefix, unsigned i) {
    prefix[i / 8] = static_cast<uint8_t>(prefix[i / 8] | (0x80 >> (i % 8)));
    return prefix;
}

// First `depth` bits of path, the rest zero.
Hash256 prefix_of(const Hash256& path, unsigned depth) {
    Hash256 p{};
    for (unsigned i = 0; i < depth / 8; ++i) p[i] = path[i];
    if (depth % 8 != 0) p[depth / 8] = static_cast<uint8_t>(path[depth / 8] & (0xff00 >> (depth % 8)));
    return p;
}

Bytes encode_node(const Node& n) {
    Bytes v(kNodeValueBytes);
    v[0] = n.kind == Node::kLeaf ? kLeafTag : kInnerTag;
    std::copy(n.a.begin(), n.a.end(), v.begin() + 1);
    std::copy(n.b.begin(), n.b.end(), v.begin() + 33);
    return v;
}

Result<Node> decode_node(const std::optional<Bytes>& v) {
    Node n;
    if (!v) return n;
    if (v->size() != kNodeValueBytes || ((*v)[0] != kLeafTag && (*v)[0] != kInnerTag))
        return Status::error(codes::kCorruptState, "state tree node does not parse");
    n.kind = (*v)[0] == kLeafTag ? Node::kLeaf : Node::kInner;
    std::copy(v->begin() + 1, v->begin() + 33, n.a.begin());
    std::copy(v->begin() + 33, v->end(), n.b.begin());
    return n;
}

struct Change {
    Hash256 path;
    std::optional<Hash256> value_hash;  // nullopt = delete
};
struct Leaf {
    Hash256 path;
    Hash256 value_hash;
};

// Incremental update: walks only the subtrees that contain changed paths. Node writes are kept
// in an overlay so a node written early (e.g. a leaf pushed down) is seen by later reads.
class Updater {
public:
    explicit Updater(const KvRead& kv) : kv_(kv) {}

    Result<Node> load(unsigned depth, const Hash256& prefix) {
        Bytes key = state_tree_node_key(depth, prefix);
        auto it = writes_.find(key);
        if (it != writes_.end()) return decode_node(it->second);
        return decode_node(kv_.get(key));
    }

    void store(unsigned depth, const Hash256& prefix, const Node& n) {
        writes_[state_tree_node_key(depth, prefix)] =
            n.kind == Node::kEmpty ? std::nullopt : std::optional<Bytes>(encode_node(n));
    }

    // Builds the subtree of `leaves` (sorted) at a position whose subtree is absent in storage.
    Node build(unsigned depth, const Hash256& prefix, std::span<const Leaf> leaves) {
        Node n;
        if (leaves.empty()) return n;
        if (leaves.size() == 1) {
            n = {Node::kLeaf, leaves[0].path, leaves[0].value_hash};
        } else {
            auto mid = std::partition_point(leaves.begin(), leaves.end(),
                                            [&](const Leaf& l) { return !path_bit(l.path, depth); });
            const size_t m = static_cast<size_t>(mid - leaves.begin());
            const Node l = build(depth + 1, prefix, leaves.subspan(0, m));
            const Node r = build(depth + 1, with_bit(prefix, depth), leaves.subspan(m));
            n = {Node::kInner, node_hash(l), node_hash(r)};
        }
        store(depth, prefix, n);
        return n;
    }

    Result<Node> update(unsigned depth, const Hash256& prefix, const Node& cur,
                        std::span<const Change> ch) {
        if (ch.empty()) return cur;
        if (cur.kind != Node::kInner) {
            // At most one existing leaf here: merge it with the changes and rebuild below.
            std::vector<Leaf> leaves;
            bool cur_pending = cur.kind == Node::kLeaf;
            for (const Change& c : ch) {
                if (cur_pending && cur.a <= c.path) {
                    if (cur.a < c.path) leaves.push_back({cur.a, cur.b});
                    cur_pending = false;  // equal path: the change replaces the leaf
                }
                if (c.value_hash) leaves.push_back({c.path, *c.value_hash});
            }
            if (cur_pending) leaves.push_back({cur.a, cur.b});
            Node n = build(depth, prefix, leaves);
            if (n.kind == Node::kEmpty && cur.kind != Node::kEmpty) store(depth, prefix, n);
            return n;
        }
        auto mid = std::partition_point(ch.begin(), ch.end(),
                                        [&](const Change& c) { return !path_bit(c.path, depth); });
        const size_t m = static_cast<size_t>(mid - ch.begin());
        const Hash256 lp = prefix, rp = with_bit(prefix, depth);
        std::optional<Node> l, r;  // nullopt: that side is unchanged
        if (m > 0) {
            auto old = load(depth + 1, lp);
            if (!old.ok()) return old.status();
            auto n = update(depth + 1, lp, *old, ch.subspan(0, m));
            if (!n.ok()) return n.status();
            l = *n;
        }
        if (m < ch.size()) {
            auto old = load(depth + 1, rp);
            if (!old.ok()) return old.status();
            auto n = update(depth + 1, rp, *old, ch.subspan(m));
            if (!n.ok()) return n.status();
            r = *n;
        }
        const Hash256 lh = l ? node_hash(*l) : cur.a;
        const Hash256 rh = r ? node_hash(*r) : cur.b;
        const Hash256 zero{};
        Node out;
        if (lh == zero && rh == zero) {
            store(depth, prefix, out);
            return out;
        }
        if (lh == zero || rh == zero) {
            // One side empty: if the other is a single leaf it moves up here (canonical shape).
            const bool left_side = rh == zero;
            const Hash256& sp = left_side ? lp : rp;
            std::optional<Node>& side = left_side ? l : r;
            if (!side) {
                auto loaded = load(depth + 1, sp);
                if (!loaded.ok()) return loaded.status();
                side = *loaded;
            }
            if (side->kind == Node::kLeaf) {
                store(depth + 1, sp, Node{});
                store(depth, prefix, *side);
                return *side;
            }
        }
        out = {Node::kInner, lh, rh};
        store(depth, prefix, out);
        return out;
    }

    KvWrites take_writes() { return std::move(writes_); }

private:
    const KvRead& kv_;
    KvWrites writes_;
};

Hash256 hash_of_set(unsigned depth, std::span<const Leaf> leaves) {
    if (leaves.empty()) return Hash256{};
    if (leaves.size() == 1) return leaf_hash(leaves[0].path, leaves[0].value_hash);
    auto mid = std::partition_point(leaves.begin(), leaves.end(),
                                    [&](const Leaf& l) { return !path_bit(l.path, depth); });
    const size_t m = static_cast<size_t>(mid - leaves.begin());
    return inner_hash(hash_of_set(depth + 1, leaves.subspan(0, m)),
                      hash_of_set(depth + 1, leaves.subspan(m)));
}

}  // namespace

Hash256 state_key_path(ByteSpan key) {
    static thread_local TaggedHasher h(tags::kStateKey);
    return h.update(key).finish();
}

Hash256 state_value_hash(ByteSpan value) {
    static thread_local TaggedHasher h(tags::kStateValue);
    return h.update(value).finish();
}

Result<Hash256> state_tree_root(const KvRead& kv) {
    auto root = decode_node(kv.get(state_tree_node_key(0, Hash256{})));
    if (!root.ok()) return root.status();
    return node_hash(*root);
}

Result<StateTreeUpdate> update_state_tree(const KvRead& kv, const KvWrites& changes) {
    std::vector<Change> ch;
    ch.reserve(changes.size());
    for (const auto& [key, value] : changes)
        ch.push_back({state_key_path(key),
                      value ? std::optional<Hash256>(state_value_hash(*value)) : std::nullopt});
    std::sort(ch.begin(), ch.end(), [](const Change& x, const Change& y) { return x.path < y.path; });
    Updater u(kv);
    auto root = u.load(0, Hash256{});
    if (!root.ok()) return root.status();
    auto updated = u.update(0, Hash256{}, *root, ch);
    if (!updated.ok()) return updated.status();
    StateTreeUpdate out;
    out.root = node_hash(*updated);
    out.node_writes = u.take_writes();
    return out;
}

Result<StateProof> make_state_proof(const KvRead& kv, ByteSpan key) {
    const Hash256 path = state_key_path(key);
    StateProof proof;
    unsigned depth = 0;
    auto node = decode_node(kv.get(state_tree_node_key(0, Hash256{})));
    while (node.ok() && node->kind == Node::kInner) {
        const bool bit = path_bit(path, depth);
        proof.siblings.push_back(bit ? node->a : node->b);
        ++depth;
        node = decode_node(kv.get(state_tree_node_key(depth, prefix_of(path, depth))));
    }
    if (!node.ok()) return node.status();
    if (node->kind == Node::kLeaf && node->a != path) proof.other_leaf = {node->a, node->b};
    return proof;
}

bool verify_state_proof(const Hash256& root, ByteSpan key, const std::optional<Bytes>& value,
                        const StateProof& proof) {
    const size_t depth = proof.siblings.size();
    if (depth > 256) return false;
    const Hash256 path = state_key_path(key);
    Hash256 h{};
    if (value) {
        if (proof.other_leaf) return false;
        h = leaf_hash(path, state_value_hash(*value));
    } else if (proof.other_leaf) {
        const Hash256& other = proof.other_leaf->first;
        // The other leaf must sit on our path at this depth, and not be our key.
        if (other == path || prefix_of(other, static_cast<unsigned>(depth)) !=
                                 prefix_of(path, static_cast<unsigned>(depth)))
            return false;
        h = leaf_hash(other, proof.other_leaf->second);
    }
    for (size_t i = depth; i-- > 0;) {
        h = path_bit(path, static_cast<unsigned>(i)) ? inner_hash(proof.siblings[i], h)
                                                     : inner_hash(h, proof.siblings[i]);
    }
    return h == root;
}

std::vector<Bytes> encode_state_proof(const StateProof& proof) {
    std::vector<Bytes> items;
    Bytes terminal;
    if (proof.other_leaf) {
        terminal.insert(terminal.end(), proof.other_leaf->first.begin(), proof.other_leaf->first.end());
        terminal.insert(terminal.end(), proof.other_leaf->second.begin(),
                        proof.other_leaf->second.end());
    }
    items.push_back(std::move(terminal));
    for (const auto& s : proof.siblings) items.emplace_back(s.begin(), s.end());
    return items;
}

Result<StateProof> decode_state_proof(const std::vector<Bytes>& items) {
    if (items.empty() || items.size() > 257 || (!items[0].empty() && items[0].size() != 64))
        return Status::error(codes::kMalformed, "state proof shape");
    StateProof p;
    if (!items[0].empty()) {
        Hash256 a{}, b{};
        std::copy(items[0].begin(), items[0].begin() + 32, a.begin());
        std::copy(items[0].begin() + 32, items[0].end(), b.begin());
        p.other_leaf = {a, b};
    }
    for (size_t i = 1; i < items.size(); ++i) {
        if (items[i].size() != 32) return Status::error(codes::kMalformed, "state proof sibling");
        Hash256 s{};
        std::copy(items[i].begin(), items[i].end(), s.begin());
        p.siblings.push_back(s);
    }
    return p;
}

Hash256 state_root_of(const std::map<Bytes, Bytes>& state) {
    std::vector<Leaf> leaves;
    leaves.reserve(state.size());
    for (const auto& [k, v] : state) leaves.push_back({state_key_path(k), state_value_hash(v)});
    std::sort(leaves.begin(), leaves.end(), [](const Leaf& x, const Leaf& y) { return x.path < y.path; });
    return hash_of_set(0, leaves);
}

}  // namespace step::consensus
