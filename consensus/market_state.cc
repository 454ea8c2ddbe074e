#include "consensus/market_state.h"

#include <algorithm>

#include "common/hash.h"
#include "common/hash_tags.h"
#include "consensus/canonical.h"
#include "consensus/errors.h"
#include "consensus/state.h"

namespace step::consensus {
namespace {

void put_be(Bytes& out, uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

template <class M>
Result<M> decode(const Bytes& b, const char* what) {
    auto m = detail::decode_message<M>(b, what);
    if (!m.ok()) return Status::error(codes::kCorruptState, std::string(what) + ": " + m.status().message());
    return m;
}

Status overflow(const char* what) {
    return Status::error(codes::kAmountOverflow, std::string(what) + " overflows u64");
}

// Reserve first: gcc 12 warns (-Warray-bounds) on inserting into a 1-byte brace-built vector.
Bytes prefixed(uint8_t tag, ByteSpan rest) {
    Bytes k;
    k.reserve(1 + rest.size() + 8);
    k.push_back(tag);
    k.insert(k.end(), rest.begin(), rest.end());
    return k;
}

}  // namespace

bool is_market_key(ByteSpan key) {
    if (key.empty()) return false;
    switch (key[0]) {
        case 'T': case 'M': return key.size() == 33;
        case 'U': return key.size() == 41;
        case 'D': return key.size() == 9;
        case 'V': return key.size() == 1;
        case 'L': return key.size() == 21;
        case 'P': return key.size() == 33;
        case 'C': return key.size() == 54;
        case 'R': return key.size() == 41;
        case 'W': return key.size() == 42;
        case 'F': return key.size() == 1;
        default: return false;
    }
}

Hash256 task_id_for(const Address& owner, uint64_t nonce) {
    Bytes b(owner.begin(), owner.end());
    append_u64le(b, nonce);
    return tagged_hash(tags::kTaskId, b);
}

Bytes task_key(const Hash256& id) {
    Bytes k = prefixed('T', ByteSpan(id.data(), id.size()));
    return k;
}
Bytes unit_key(const Hash256& id, uint32_t round, uint32_t unit) {
    Bytes k = prefixed('U', ByteSpan(id.data(), id.size()));
    put_be(k, round, 4);
    put_be(k, unit, 4);
    return k;
}
Bytes deadline_key(uint64_t height) {
    Bytes k = prefixed('D', {});
    put_be(k, height, 8);
    return k;
}
Bytes verifier_index_key() { return Bytes{'V'}; }
Bytes account_ledger_key(const Address& a) {
    Bytes k = prefixed('L', ByteSpan(a.data(), a.size()));
    return k;
}
Bytes task_ledger_key(const Hash256& id) {
    Bytes k = prefixed('M', ByteSpan(id.data(), id.size()));
    return k;
}

Bytes proof_commit_key(ByteSpan c) {
    Bytes k = prefixed('P', ByteSpan(c.data(), c.size()));
    return k;
}
Bytes award_key(const Bytes& unit_key) {
    Bytes k = prefixed('W', ByteSpan(unit_key.data(), unit_key.size()));
    return k;
}
Bytes block_flops_key() { return Bytes{'F'}; }
Bytes challenge_key(const Bytes& unit_key, uint32_t leaf, uint64_t chunk) {
    Bytes k = prefixed('C', ByteSpan(unit_key.data(), unit_key.size()));
    put_be(k, leaf, 4);
    put_be(k, chunk, 8);
    return k;
}

Bytes record_challenge_key(const Hash256& task, uint64_t record) {
    Bytes k = prefixed('R', ByteSpan(task.data(), task.size()));
    put_be(k, record, 8);
    return k;
}

Result<SupplyReport> supply_report(const std::map<Bytes, Bytes, BytesLess>& state) {
    SupplyReport r;
    for (const auto& [k, v] : state) {
        if (k.empty()) continue;
        switch (k[0]) {
            case 'a': {
                if (k.size() != 21) break;
                auto a = decode_account(v);
                if (!a.ok()) return a.status();
                r.accounts += a->balance;
                r.accounts += a->solver_bond;
                r.accounts += a->verifier_bond;
                for (const auto& e : a->locked) r.accounts += e.amount;
                break;
            }
            case 't': {
                if (k.size() != 1) break;
                auto t = decode_totals(v);
                if (!t.ok()) return t.status();
                r.pool = t->pool;
                r.minted = t->minted;
                r.burned = t->burned;
                break;
            }
            case 'T': {
                if (k.size() != 33) break;
                auto t = decode<pb::Task>(v, "task");
                if (!t.ok()) return t.status();
                r.escrow += t->escrow();
                break;
            }
            case 'U': {
                if (k.size() != 41) break;
                auto u = decode<pb::Unit>(v, "unit");
                if (!u.ok()) return u.status();
                r.unit_bonds += u->bond();
                break;
            }
            case 'P': {
                if (k.size() != 33) break;
                auto c = decode<pb::ProofCommitment>(v, "proof commitment");
                if (!c.ok()) return c.status();
                r.other_bonds += c->bond();
                break;
            }
            case 'W': {
                if (k.size() != 42) break;
                auto c = decode<pb::WhistleAward>(v, "whistle award");
                if (!c.ok()) return c.status();
                r.other_bonds += c->amount();
                break;
            }
            case 'C':
            case 'R': {
                if (k.size() != (k[0] == 'C' ? 54u : 41u)) break;
                auto c = decode<pb::DataChallengeState>(v, "data challenge");
                if (!c.ok()) return c.status();
                r.other_bonds += c->bond();
                break;
            }
            default: break;
        }
    }
    return r;
}

Status check_supply(const std::map<Bytes, Bytes, BytesLess>& state) {
    auto r = supply_report(state);
    if (!r.ok()) return r.status();
    if (r->burned > r->minted || r->total() != r->minted - r->burned)
        return Status::error("supply-mismatch",
                             "held " + std::to_string(static_cast<uint64_t>(r->total())) +
                                 " != minted " + std::to_string(r->minted) + " - burned " +
                                 std::to_string(r->burned));
    return Status();
}

namespace detail {

Result<std::optional<pb::Task>> Market::task(const Hash256& id) {
    auto* v = cache_.raw(task_key(id));
    if (!*v) return std::optional<pb::Task>();
    auto t = decode<pb::Task>(**v, "task");
    if (!t.ok()) return t.status();
    return std::optional<pb::Task>(std::move(t).value());
}

void Market::put_task(const Hash256& id, const pb::Task& t) {
    *cache_.raw(task_key(id)) = encode_message(t);
}

Result<pb::Unit> Market::unit(const Hash256& id, uint32_t round, uint32_t u) {
    return unit_at(unit_key(id, round, u));
}

Result<pb::Unit> Market::unit_at(const Bytes& key) {
    auto* v = cache_.raw(key);
    if (!*v) return pb::Unit();
    return decode<pb::Unit>(**v, "unit");
}

void Market::put_unit(const Bytes& key, const pb::Unit& u) {
    const Bytes b = encode_message(u);
    // An untouched open unit is the absent record: keeps state small and undo exact.
    *cache_.raw(key) = b.empty() ? std::nullopt : std::optional<Bytes>(b);
}

Result<std::vector<Bytes>> Market::deadlines(uint64_t height) {
    auto* v = cache_.raw(deadline_key(height));
    std::vector<Bytes> out;
    if (!*v) return out;
    auto l = decode<pb::UnitRefList>(**v, "deadline list");
    if (!l.ok()) return l.status();
    for (const auto& k : l->keys()) out.emplace_back(k.begin(), k.end());
    return out;
}

Status Market::schedule(uint64_t height, const Bytes& key) {
    auto list = deadlines(height);
    if (!list.ok()) return list.status();
    if (std::find(list->begin(), list->end(), key) != list->end()) return Status();
    pb::UnitRefList l;
    for (const auto& k : *list) l.add_keys(k.data(), k.size());
    l.add_keys(key.data(), key.size());
    *cache_.raw(deadline_key(height)) = encode_message(l);
    return Status();
}

void Market::clear_deadlines(uint64_t height) { *cache_.raw(deadline_key(height)) = std::nullopt; }

Result<std::vector<Address>> Market::verifiers() {
    auto* v = cache_.raw(verifier_index_key());
    std::vector<Address> out;
    if (!*v) return out;
    auto l = decode<pb::AddressList>(**v, "verifier index");
    if (!l.ok()) return l.status();
    for (const auto& a : l->addresses()) out.push_back(to_address(a));
    return out;
}

Status Market::note_verifier(const Address& a) {
    auto list = verifiers();
    if (!list.ok()) return list.status();
    auto pos = std::lower_bound(list->begin(), list->end(), a);
    if (pos != list->end() && *pos == a) return Status();
    list->insert(pos, a);
    pb::AddressList l;
    for (const auto& x : *list) l.add_addresses(x.data(), x.size());
    *cache_.raw(verifier_index_key()) = encode_message(l);
    return Status();
}

Result<pb::Ledger> Market::ledger(const Bytes& key) {
    auto* v = cache_.raw(key);
    if (!*v) return pb::Ledger();
    return decode<pb::Ledger>(**v, "ledger");
}

Status Market::record(const std::optional<Address>& account, const Hash256& task, uint32_t round,
                      uint32_t unit, const char* kind, uint64_t amount, const char* code,
                      const std::string& reason) {
    pb::LedgerEntry e;
    e.set_height(height_);
    if (account) e.set_account(str(*account));
    e.set_task_id(str(task));
    e.set_round(round);
    e.set_unit(unit);
    e.set_kind(kind);
    e.set_amount(amount);
    e.set_code(code);
    e.set_reason(reason);
    std::vector<Bytes> keys{task_ledger_key(task)};
    if (account) keys.push_back(account_ledger_key(*account));
    for (const Bytes& k : keys) {
        auto l = ledger(k);
        if (!l.ok()) return l.status();
        *l->add_entries() = e;
        *cache_.raw(k) = encode_message(*l);
    }
    return Status();
}

Status Market::credit_balance(const Address& a, uint64_t amount) {
    auto acct = cache_.account(a);
    if (!acct.ok()) return acct.status();
    if (__builtin_add_overflow((*acct)->balance, amount, &(*acct)->balance)) return overflow("balance");
    return Status();
}

Status Market::burn(uint64_t amount) {
    auto t = cache_.totals();
    if (!t.ok()) return t.status();
    if (__builtin_add_overflow((*t)->burned, amount, &(*t)->burned)) return overflow("burned");
    return Status();
}

Result<uint64_t> Market::take_from_pool(uint64_t want) {
    auto t = cache_.totals();
    if (!t.ok()) return t.status();
    const uint64_t got = std::min((*t)->pool, want);
    (*t)->pool -= got;
    return got;
}

}  // namespace detail
}  // namespace step::consensus
