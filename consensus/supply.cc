#include "consensus/supply.h"

#include <string>

#include "consensus/canonical.h"
#include "consensus/errors.h"
#include "consensus/proto/market.pb.h"
#include "consensus/state.h"
#include "consensus/state_keys.h"

namespace step::consensus {
namespace {

using u128 = unsigned __int128;

// Decodes a market record and adds the amount it holds to `into`.
template <class M, class Amount>
Status add_held(u128& into, const Bytes& v, const char* what, Amount amount) {
    auto m = detail::decode_record<M>(v, what);
    if (!m.ok()) return m.status();
    into += amount(*m);
    return Status();
}

Status add_account(SupplyReport& r, const Bytes& v) {
    auto a = decode_account(v);
    if (!a.ok()) return a.status();
    r.accounts += a->balance;
    r.accounts += a->solver_bond;
    r.accounts += a->verifier_bond;
    for (const auto& e : a->locked) r.accounts += e.amount;
    return Status();
}

Status add_totals(SupplyReport& r, const Bytes& v) {
    auto t = decode_totals(v);
    if (!t.ok()) return t.status();
    r.pool = t->pool;
    r.minted = t->minted;
    r.burned = t->burned;
    return Status();
}

// Adds what one record holds to the report; records that hold nothing are skipped.
Status add_record(SupplyReport& r, StateKeyKind kind, const Bytes& v) {
    switch (kind) {
        case StateKeyKind::kAccount:
            return add_account(r, v);
        case StateKeyKind::kTotals:
            return add_totals(r, v);
        case StateKeyKind::kTask:
            return add_held<pb::Task>(r.escrow, v, "task",
                                      [](const auto& t) { return t.escrow(); });
        case StateKeyKind::kUnit:
            return add_held<pb::Unit>(r.unit_bonds, v, "unit",
                                      [](const auto& u) { return u.bond(); });
        case StateKeyKind::kProofCommit:
            return add_held<pb::ProofCommitment>(r.other_bonds, v, "proof commitment",
                                                 [](const auto& c) { return c.bond(); });
        case StateKeyKind::kAward:
            return add_held<pb::WhistleAward>(r.other_bonds, v, "whistle award",
                                              [](const auto& w) { return w.amount(); });
        case StateKeyKind::kChallenge:
        case StateKeyKind::kRecordChallenge:
            return add_held<pb::DataChallengeState>(r.other_bonds, v, "data challenge",
                                                    [](const auto& c) { return c.bond(); });
        default:
            return Status();
    }
}

}  // namespace

Result<SupplyReport> supply_report(const std::map<Bytes, Bytes, BytesLess>& state) {
    SupplyReport r;
    for (const auto& [k, v] : state)
        if (auto kind = state_key_kind(k)) STEP_TRY(add_record(r, *kind, v));
    return r;
}

Status check_supply(const std::map<Bytes, Bytes, BytesLess>& state) {
    auto r = supply_report(state);
    if (!r.ok()) return r.status();
    if (r->burned > r->minted || r->total() != r->minted - r->burned)
        return Status::error(codes::kSupplyMismatch,
                             "held " + std::to_string(static_cast<uint64_t>(r->total())) +
                                 " != minted " + std::to_string(r->minted) + " - burned " +
                                 std::to_string(r->burned));
    return Status();
}

}  // namespace step::consensus
