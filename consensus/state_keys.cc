#include "consensus/state_keys.h"

#include <algorithm>
#include <tuple>
#include <type_traits>

#include "common/coding.h"

namespace step::consensus {
namespace {

constexpr uint64_t kPrefix = kU8Bytes;
constexpr uint64_t kAddress = Address{}.size();
constexpr uint64_t kUnitKeyBytes = kPrefix + kHashBytes + kU32Bytes + kU32Bytes;
// The deepest tree node sits at depth 256 (a full path).
constexpr unsigned kMaxTreeDepth = 256;

uint8_t prefix_byte(StateKeyKind kind) {
    return static_cast<uint8_t>(kind);
}

// Appends fields (common/coding.h) to a key of one kind; reserves the key's length first (which
// also keeps gcc 12 from warning, -Warray-bounds, about growing a one-byte vector).
class KeyWriter {
public:
    explicit KeyWriter(StateKeyKind kind) {
        key_.reserve(state_key_size(kind));
        key_.push_back(prefix_byte(kind));
    }
    KeyWriter& bytes(ByteSpan b) {
        append_bytes(key_, b);
        return *this;
    }
    KeyWriter& u16(uint16_t v) {
        append_u16be(key_, v);
        return *this;
    }
    KeyWriter& u32(uint32_t v) {
        append_u32be(key_, v);
        return *this;
    }
    KeyWriter& u64(uint64_t v) {
        append_u64be(key_, v);
        return *this;
    }
    Bytes done() { return std::move(key_); }

private:
    Bytes key_;
};

// Reads the fields after the prefix of a key already checked to be of one kind (so of the right
// length: no read can fail), in the order they were written.
class KeyReader {
public:
    explicit KeyReader(ByteSpan key) : r_(key.subspan(kPrefix)) {}
    template <size_t N>
    std::array<uint8_t, N> fixed() {
        std::array<uint8_t, N> out{};
        ByteSpan s;
        if (r_.read_span(N, s)) std::copy(s.begin(), s.end(), out.begin());
        return out;
    }
    uint16_t u16() {
        uint16_t v = 0;
        r_.read_u16be(v);
        return v;
    }
    uint32_t u32() {
        uint32_t v = 0;
        r_.read_u32be(v);
        return v;
    }
    uint64_t u64() {
        uint64_t v = 0;
        r_.read_u64be(v);
        return v;
    }
    UnitKey unit() {
        UnitKey u;
        u.task = fixed<kHashBytes>();
        u.round = u32();
        u.unit = u32();
        return u;
    }

private:
    ByteReader r_;
};

bool is_kind(ByteSpan key, StateKeyKind kind) {
    return state_key_kind(key) == kind;
}

// A key of `kind` whose one field follows the prefix: an id (address or hash) or a u64be.
template <class T>
std::optional<T> parse_one(ByteSpan key, StateKeyKind kind) {
    if (!is_kind(key, kind)) return std::nullopt;
    KeyReader r(key);
    if constexpr (std::is_same_v<T, uint64_t>)
        return r.u64();
    else
        return r.fixed<std::tuple_size_v<T>>();
}

}  // namespace

size_t state_key_size(StateKeyKind kind) {
    switch (kind) {
        case StateKeyKind::kAccount:
            return kPrefix + kAddress;
        case StateKeyKind::kTotals:
            return kPrefix;
        case StateKeyKind::kRelease:
            return kPrefix + kU64Bytes;
        case StateKeyKind::kTask:
            return kPrefix + kHashBytes;
        case StateKeyKind::kUnit:
            return kUnitKeyBytes;
        case StateKeyKind::kDeadline:
            return kPrefix + kU64Bytes;
        case StateKeyKind::kVerifierIndex:
            return kPrefix;
        case StateKeyKind::kAccountLedger:
            return kPrefix + kAddress;
        case StateKeyKind::kTaskLedger:
            return kPrefix + kHashBytes;
        case StateKeyKind::kProofCommit:
            return kPrefix + kHashBytes;
        case StateKeyKind::kChallenge:
            return kPrefix + kUnitKeyBytes + kU32Bytes + kU64Bytes;
        case StateKeyKind::kRecordChallenge:
            return kPrefix + kHashBytes + kU64Bytes;
        case StateKeyKind::kAward:
            return kPrefix + kUnitKeyBytes;
        case StateKeyKind::kPublicChunk:
            return kPrefix + kHashBytes + kU64Bytes;
        case StateKeyKind::kBlockFlops:
            return kPrefix;
        case StateKeyKind::kTreeNode:
            return kPrefix + kU16Bytes + kHashBytes;
    }
    return 0;
}

std::optional<StateKeyKind> state_key_kind(ByteSpan key) {
    if (key.empty()) return std::nullopt;
    const auto kind = static_cast<StateKeyKind>(key[0]);
    switch (kind) {
        case StateKeyKind::kAccount:
        case StateKeyKind::kTotals:
        case StateKeyKind::kRelease:
        case StateKeyKind::kTask:
        case StateKeyKind::kUnit:
        case StateKeyKind::kDeadline:
        case StateKeyKind::kVerifierIndex:
        case StateKeyKind::kAccountLedger:
        case StateKeyKind::kTaskLedger:
        case StateKeyKind::kProofCommit:
        case StateKeyKind::kChallenge:
        case StateKeyKind::kRecordChallenge:
        case StateKeyKind::kAward:
        case StateKeyKind::kPublicChunk:
        case StateKeyKind::kBlockFlops:
        case StateKeyKind::kTreeNode:
            if (key.size() == state_key_size(kind)) return kind;
            return std::nullopt;
    }
    return std::nullopt;
}

Bytes state_key_prefix(StateKeyKind kind) {
    return Bytes{prefix_byte(kind)};
}

bool is_state_key(ByteSpan key) {
    const auto kind = state_key_kind(key);
    return kind && *kind != StateKeyKind::kTreeNode;
}

Bytes account_key(const Address& addr) {
    return KeyWriter(StateKeyKind::kAccount).bytes(addr).done();
}
Bytes totals_key() {
    return KeyWriter(StateKeyKind::kTotals).done();
}
Bytes release_key(uint64_t height) {
    return KeyWriter(StateKeyKind::kRelease).u64(height).done();
}
Bytes task_key(const Hash256& id) {
    return KeyWriter(StateKeyKind::kTask).bytes(id).done();
}
Bytes unit_key(const Hash256& id, uint32_t round, uint32_t unit) {
    return KeyWriter(StateKeyKind::kUnit).bytes(id).u32(round).u32(unit).done();
}
Bytes deadline_key(uint64_t height) {
    return KeyWriter(StateKeyKind::kDeadline).u64(height).done();
}
Bytes verifier_index_key() {
    return KeyWriter(StateKeyKind::kVerifierIndex).done();
}
Bytes account_ledger_key(const Address& a) {
    return KeyWriter(StateKeyKind::kAccountLedger).bytes(a).done();
}
Bytes task_ledger_key(const Hash256& id) {
    return KeyWriter(StateKeyKind::kTaskLedger).bytes(id).done();
}
Bytes proof_commit_key(ByteSpan commitment) {
    return KeyWriter(StateKeyKind::kProofCommit).bytes(commitment).done();
}
Bytes challenge_key(ByteSpan unit_key, uint32_t leaf, uint64_t chunk) {
    return KeyWriter(StateKeyKind::kChallenge)
        .bytes(unit_key)
        .u32(leaf)
        .u64(chunk)
        .done();
}
Bytes record_challenge_key(const Hash256& task, uint64_t record) {
    return KeyWriter(StateKeyKind::kRecordChallenge).bytes(task).u64(record).done();
}
Bytes award_key(ByteSpan unit_key) {
    return KeyWriter(StateKeyKind::kAward).bytes(unit_key).done();
}
Bytes public_chunk_key(const Hash256& leaf_digest, uint64_t chunk) {
    return KeyWriter(StateKeyKind::kPublicChunk).bytes(leaf_digest).u64(chunk).done();
}
Bytes block_flops_key() {
    return KeyWriter(StateKeyKind::kBlockFlops).done();
}
Bytes state_tree_node_key(unsigned depth, const Hash256& prefix) {
    return KeyWriter(StateKeyKind::kTreeNode).u16(static_cast<uint16_t>(depth)).bytes(prefix).done();
}

std::optional<Address> parse_account_key(ByteSpan key) {
    return parse_one<Address>(key, StateKeyKind::kAccount);
}
std::optional<uint64_t> parse_release_key(ByteSpan key) {
    return parse_one<uint64_t>(key, StateKeyKind::kRelease);
}
std::optional<Hash256> parse_task_key(ByteSpan key) {
    return parse_one<Hash256>(key, StateKeyKind::kTask);
}
std::optional<UnitKey> parse_unit_key(ByteSpan key) {
    if (!is_kind(key, StateKeyKind::kUnit)) return std::nullopt;
    return KeyReader(key).unit();
}
std::optional<uint64_t> parse_deadline_key(ByteSpan key) {
    return parse_one<uint64_t>(key, StateKeyKind::kDeadline);
}
std::optional<Address> parse_account_ledger_key(ByteSpan key) {
    return parse_one<Address>(key, StateKeyKind::kAccountLedger);
}
std::optional<Hash256> parse_task_ledger_key(ByteSpan key) {
    return parse_one<Hash256>(key, StateKeyKind::kTaskLedger);
}
std::optional<Hash256> parse_proof_commit_key(ByteSpan key) {
    return parse_one<Hash256>(key, StateKeyKind::kProofCommit);
}
std::optional<ChallengeKey> parse_challenge_key(ByteSpan key) {
    if (!is_kind(key, StateKeyKind::kChallenge)) return std::nullopt;
    // The embedded unit key keeps its own 'U' prefix.
    if (!is_kind(key.subspan(kPrefix, kUnitKeyBytes), StateKeyKind::kUnit)) return std::nullopt;
    KeyReader r(key.subspan(kPrefix));
    ChallengeKey c;
    c.unit = r.unit();
    c.leaf = r.u32();
    c.chunk = r.u64();
    return c;
}
std::optional<RecordChallengeKey> parse_record_challenge_key(ByteSpan key) {
    if (!is_kind(key, StateKeyKind::kRecordChallenge)) return std::nullopt;
    KeyReader r(key);
    RecordChallengeKey c;
    c.task = r.fixed<kHashBytes>();
    c.record = r.u64();
    return c;
}
std::optional<UnitKey> parse_award_key(ByteSpan key) {
    if (!is_kind(key, StateKeyKind::kAward)) return std::nullopt;
    return parse_unit_key(key.subspan(kPrefix));
}
std::optional<TreeNodeKey> parse_state_tree_node_key(ByteSpan key) {
    if (!is_kind(key, StateKeyKind::kTreeNode)) return std::nullopt;
    KeyReader r(key);
    TreeNodeKey n;
    n.depth = r.u16();
    n.prefix = r.fixed<kHashBytes>();
    if (n.depth > kMaxTreeDepth) return std::nullopt;
    return n;
}

}  // namespace step::consensus
