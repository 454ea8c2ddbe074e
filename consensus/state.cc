#include "consensus/state.h"

#include <algorithm>

#include "consensus/canonical.h"
#include "consensus/proto/chain.pb.h"

namespace step::consensus {
namespace {

Status corrupt(const char* what, const Status& why) {
    return Status::error(codes::kCorruptState, std::string(what) + ": " + why.to_string());
}

LockKind unbonding_kind(BondRole role) {
    return role == BondRole::kSolver ? LockKind::kUnbondingSolver : LockKind::kUnbondingVerifier;
}

}  // namespace

bool AccountState::is_empty() const {
    return balance == 0 && nonce == 0 && solver_bond == 0 && verifier_bond == 0 && locked.empty();
}

Bytes encode_account(const AccountState& a) {
    pb::Account m;
    m.set_balance(a.balance);
    m.set_nonce(a.nonce);
    m.set_solver_bond(a.solver_bond);
    m.set_verifier_bond(a.verifier_bond);
    for (const auto& e : a.locked) {
        auto* l = m.add_locked();
        l->set_kind(static_cast<pb::LockKind>(e.kind));
        l->set_amount(e.amount);
        l->set_release_height(e.release_height);
    }
    return detail::encode_message(m);
}

Result<AccountState> decode_account(ByteSpan bytes) {
    auto m = detail::decode_message<pb::Account>(bytes, "account");
    if (!m.ok()) return corrupt("account", m.status());
    AccountState a;
    a.balance = m->balance();
    a.nonce = m->nonce();
    a.solver_bond = m->solver_bond();
    a.verifier_bond = m->verifier_bond();
    for (const auto& l : m->locked()) {
        if (l.kind() < pb::LOCK_KIND_UNBONDING_SOLVER || l.kind() > pb::LOCK_KIND_COINBASE)
            return Status::error(codes::kCorruptState, "account: bad lock kind");
        a.locked.push_back({static_cast<LockKind>(l.kind()), l.amount(), l.release_height()});
    }
    return a;
}

Bytes encode_totals(const ChainTotals& t) {
    pb::ChainTotals m;
    m.set_pool(t.pool);
    m.set_minted(t.minted);
    m.set_burned(t.burned);
    return detail::encode_message(m);
}

Result<ChainTotals> decode_totals(ByteSpan bytes) {
    auto m = detail::decode_message<pb::ChainTotals>(bytes, "totals");
    if (!m.ok()) return corrupt("totals", m.status());
    return ChainTotals{m->pool(), m->minted(), m->burned()};
}

Bytes encode_release_list(const std::vector<Address>& addrs) {
    pb::ReleaseList m;
    for (const auto& a : addrs) m.add_addresses(a.data(), a.size());
    return detail::encode_message(m);
}

Result<std::vector<Address>> decode_release_list(ByteSpan bytes) {
    auto m = detail::decode_message<pb::ReleaseList>(bytes, "release list");
    if (!m.ok()) return corrupt("release list", m.status());
    std::vector<Address> out;
    for (const auto& s : m->addresses()) {
        if (s.size() != Address{}.size())
            return Status::error(codes::kCorruptState, "release list: bad address length");
        Address a{};
        std::copy(s.begin(), s.end(), a.begin());
        out.push_back(a);
    }
    return out;
}

Result<AccountState> read_account(const KvRead& kv, const Address& addr) {
    auto v = kv.get(account_key(addr));
    if (!v) return AccountState{};
    return decode_account(*v);
}

Result<ChainTotals> read_totals(const KvRead& kv) {
    auto v = kv.get(totals_key());
    if (!v) return ChainTotals{};
    return decode_totals(*v);
}

std::optional<uint64_t> account_holdings(const AccountState& a) {
    uint64_t sum = a.balance;
    auto add = [&sum](uint64_t v) { return !__builtin_add_overflow(sum, v, &sum); };
    if (!add(a.solver_bond) || !add(a.verifier_bond)) return std::nullopt;
    for (const auto& e : a.locked)
        if (!add(e.amount)) return std::nullopt;
    return sum;
}

uint64_t slash_bond(AccountState& a, BondRole role, uint64_t amount) {
    uint64_t& bond = role == BondRole::kSolver ? a.solver_bond : a.verifier_bond;
    uint64_t taken = std::min(bond, amount);
    bond -= taken;
    const LockKind kind = unbonding_kind(role);
    // Walk entries latest-release first; entries are sorted by release height.
    for (size_t i = a.locked.size(); i-- > 0 && taken < amount;) {
        LockedEntry& e = a.locked[i];
        if (e.kind != kind) continue;
        const uint64_t t = std::min(e.amount, amount - taken);
        e.amount -= t;
        taken += t;
    }
    a.locked.erase(std::remove_if(a.locked.begin(), a.locked.end(),
                                  [](const LockedEntry& e) { return e.amount == 0; }),
                   a.locked.end());
    return taken;
}

}  // namespace step::consensus
