// The state root (PROTOCOL.md section 2): a binary Merkle tree over path = H_state-key(key),
// where a subtree holding a single leaf is that leaf (compressed, Patricia-style), so depth is
// about log2(n) and an update touches O(log n) nodes. The shape depends only on the set of
// (key, value) pairs, never on history. docs/state-root.md explains the choice.
//
//   empty subtree : 32 zero bytes
//   leaf          : H_state-leaf(path || H_state-value(value))
//   inner node    : H_state-node(left || right)        (either child may be empty, not both)
//
// Nodes are stored in the same KV under state_tree_node_key(depth, path prefix) (bits beyond
// depth zeroed; consensus/state_keys.h), so updates read and write only the nodes on the
// changed paths.
#pragma once

#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "consensus/kv.h"

namespace step::consensus {

struct StateProof {
    // Sibling hashes from the root downwards; their count is the depth of the proven position.
    std::vector<Hash256> siblings;
    // For a non-inclusion proof that ends at a different leaf: its (path, value hash).
    std::optional<std::pair<Hash256, Hash256>> other_leaf;
};

Hash256 state_key_path(ByteSpan key);
Hash256 state_value_hash(ByteSpan value);

// Root of the tree stored in kv (zero hash for the empty state).
Result<Hash256> state_tree_root(const KvRead& kv);

struct StateTreeUpdate {
    KvWrites node_writes;  // tree node writes (state_tree_node_key) to apply together with the changes
    Hash256 root{};
};
// Applies state-key changes (key -> new value, nullopt = delete) to the tree stored in kv.
// kv must show the tree as of before the changes; the changed keys' own values are not read.
// "corrupt-state" if a stored node does not parse.
Result<StateTreeUpdate> update_state_tree(const KvRead& kv, const KvWrites& changes);

// Proof for `key` against the tree in kv: inclusion when present, non-inclusion otherwise.
Result<StateProof> make_state_proof(const KvRead& kv, ByteSpan key);
// Light-client check: `value` present proves inclusion of exactly that value, nullopt proves
// absence of the key.
bool verify_state_proof(const Hash256& root, ByteSpan key, const std::optional<Bytes>& value,
                        const StateProof& proof);

// Wire form for RPC: item 0 is the terminal (empty, or 64 bytes path || value hash of the other
// leaf), then one 32-byte item per sibling.
std::vector<Bytes> encode_state_proof(const StateProof& proof);
Result<StateProof> decode_state_proof(const std::vector<Bytes>& items);

// Root of a tree holding exactly these pairs, computed from scratch (tests, genesis).
Hash256 state_root_of(const std::map<Bytes, Bytes>& state);

}  // namespace step::consensus
