// Every consensus state key: its prefix byte, its length, how it is built and how it is parsed
// (PROTOCOL.md sections 2 and 3). Nothing else in the tree spells a prefix byte or slices a
// key by hand; the node stores these keys under its own 's' prefix (node/storage/block_store.h
// owns the node's layout).
//
//   'a' || address(20)                        -> pb::Account
//   't'                                       -> pb::ChainTotals (pool, minted, burned)
//   'r' || u64be height                       -> pb::ReleaseList (accounts with locked
//                                                entries maturing then)
//   'T' || task_id(32)                        -> pb::Task
//   'U' || task_id(32) || u32be round || u32be unit -> pb::Unit
//   'D' || u64be height                       -> pb::UnitRefList (units with a deadline then)
//   'V'                                       -> pb::AddressList (accounts that ever bonded
//                                                as verifier)
//   'L' || address(20)                        -> pb::Ledger (that account's market ledger)
//   'M' || task_id(32)                        -> pb::Ledger (that task's ledger)
//   'P' || commitment(32)                     -> pb::ProofCommitment
//   'C' || unit key(41) || u32be leaf || u64be chunk -> pb::DataChallengeState (checkpoint or
//                                                final state; listed in the unit's challenges)
//   'R' || task_id(32) || u64be record        -> pb::DataChallengeState (dataset record;
//                                                listed in the task's data_challenges)
//   'W' || unit key(41)                       -> pb::WhistleAward
//   'K' || leaf digest(32) || u64be chunk     -> pb::PublicChunk (a chunk of the state whose
//                                                committed leaf digest this is, answered once
//                                                in a DataResponse: every node stores it)
//   'F'                                       -> u64le replay FLOPs of the current block
//                                                (deleted at block end: never stored)
//   'n' || u16be depth || path prefix(32)     -> a state tree node (state_tree.h): derived
//                                                data, not a committed leaf
//
// Every key of a kind has the same length, so a key's kind follows from its first byte and its
// size alone. Big-endian integers make a prefix scan walk heights and indices in order.
//
// To add a record: pick a prefix byte no row above uses, add it to StateKeyKind with its length
// in state_key_size, write its builder (and a parser if anyone reads the key back), list it in
// the table above and in PROTOCOL.md, and pin its bytes in tests/unit/consensus/state_keys_test.
// A new committed record changes state roots: it needs a protocol change, not just code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "common/bytes.h"
#include "consensus/keys.h"

namespace step::consensus {

// The kinds of state key; each value is the kind's prefix byte.
enum class StateKeyKind : uint8_t {
    kAccount = 'a',
    kTotals = 't',
    kRelease = 'r',
    kTask = 'T',
    kUnit = 'U',
    kDeadline = 'D',
    kVerifierIndex = 'V',
    kAccountLedger = 'L',
    kTaskLedger = 'M',
    kProofCommit = 'P',
    kChallenge = 'C',
    kRecordChallenge = 'R',
    kAward = 'W',
    kPublicChunk = 'K',
    kBlockFlops = 'F',
    kTreeNode = 'n',
};

// The length of every key of that kind, prefix byte included.
size_t state_key_size(StateKeyKind kind);
// The kind of a key: its prefix byte is known and its length is that kind's; nullopt otherwise.
std::optional<StateKeyKind> state_key_kind(ByteSpan key);
// The one-byte prefix every key of the kind starts with (for prefix scans).
Bytes state_key_prefix(StateKeyKind kind);
// True for the keys the state root commits: every kind but the tree's own nodes.
bool is_state_key(ByteSpan key);

// A unit's place: what a unit key ('U') holds, and the unit part of 'C' and 'W' keys.
struct UnitKey {
    Hash256 task{};
    uint32_t round = 0;
    uint32_t unit = 0;
    friend bool operator==(const UnitKey&, const UnitKey&) = default;
};
struct ChallengeKey {
    UnitKey unit;
    uint32_t leaf = 0;
    uint64_t chunk = 0;
    friend bool operator==(const ChallengeKey&, const ChallengeKey&) = default;
};
struct RecordChallengeKey {
    Hash256 task{};
    uint64_t record = 0;
    friend bool operator==(const RecordChallengeKey&, const RecordChallengeKey&) = default;
};
struct TreeNodeKey {
    unsigned depth = 0;  // 0..256
    Hash256 prefix{};    // the path's first `depth` bits, the rest zero
    friend bool operator==(const TreeNodeKey&, const TreeNodeKey&) = default;
};

// Builders.
Bytes account_key(const Address& addr);
Bytes totals_key();
Bytes release_key(uint64_t height);
Bytes task_key(const Hash256& id);
Bytes unit_key(const Hash256& id, uint32_t round, uint32_t unit);
Bytes deadline_key(uint64_t height);
Bytes verifier_index_key();
Bytes account_ledger_key(const Address& a);
Bytes task_ledger_key(const Hash256& id);
Bytes proof_commit_key(ByteSpan commitment);  // commitment: 32 bytes
Bytes challenge_key(ByteSpan unit_key, uint32_t leaf, uint64_t chunk);
Bytes record_challenge_key(const Hash256& task, uint64_t record);
Bytes award_key(ByteSpan unit_key);
Bytes public_chunk_key(const Hash256& leaf_digest, uint64_t chunk);
Bytes block_flops_key();
Bytes state_tree_node_key(unsigned depth, const Hash256& prefix);

// Parsers: the parts of a key of that kind, nullopt for any other key (wrong prefix or length).
std::optional<Address> parse_account_key(ByteSpan key);
std::optional<uint64_t> parse_release_key(ByteSpan key);
std::optional<Hash256> parse_task_key(ByteSpan key);
std::optional<UnitKey> parse_unit_key(ByteSpan key);
std::optional<uint64_t> parse_deadline_key(ByteSpan key);
std::optional<Address> parse_account_ledger_key(ByteSpan key);
std::optional<Hash256> parse_task_ledger_key(ByteSpan key);
std::optional<Hash256> parse_proof_commit_key(ByteSpan key);
std::optional<ChallengeKey> parse_challenge_key(ByteSpan key);
std::optional<RecordChallengeKey> parse_record_challenge_key(ByteSpan key);
std::optional<UnitKey> parse_award_key(ByteSpan key);  // the awarded unit
std::optional<TreeNodeKey> parse_state_tree_node_key(ByteSpan key);

}  // namespace step::consensus
