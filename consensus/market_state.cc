#include "consensus/market_state.h"

#include <algorithm>

#include "common/coding.h"
#include "common/hash.h"
#include "common/hash_tags.h"
#include "consensus/canonical.h"
#include "consensus/errors.h"

namespace step::consensus {
namespace {

Status overflow(const char* what) {
    return Status::error(codes::kAmountOverflow, std::string(what) + " overflows u64");
}

}  // namespace

Hash256 task_id_for(const Address& owner, uint64_t nonce) {
    Bytes b(owner.begin(), owner.end());
    append_u64le(b, nonce);
    return tagged_hash(tags::kTaskId, b);
}

namespace detail {

Result<std::optional<pb::Task>> Market::task(const Hash256& id) {
    auto* v = cache_.raw(task_key(id));
    if (!*v) return std::optional<pb::Task>();
    auto t = decode_record<pb::Task>(**v, "task");
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
    return decode_record<pb::Unit>(**v, "unit");
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
    auto l = decode_record<pb::UnitRefList>(**v, "deadline list");
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
    auto l = decode_record<pb::AddressList>(**v, "verifier index");
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
    return decode_record<pb::Ledger>(**v, "ledger");
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

Status Market::release_unit_bond(const Address& solver, const UnitKey& unit, pb::Unit& u,
                                 const std::string& why) {
    auto acct = cache_.account(solver);
    if (!acct.ok()) return acct.status();
    if (__builtin_add_overflow((*acct)->solver_bond, u.bond(), &(*acct)->solver_bond))
        return overflow("solver bond");
    STEP_TRY(record(solver, unit.task, unit.round, unit.unit, ledger_kinds::kBondRelease, u.bond(),
                    reasons::kBondRelease, why));
    u.set_bond(0);
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
