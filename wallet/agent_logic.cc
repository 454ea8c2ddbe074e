#include "wallet/agent_logic.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "common/rpc_methods.h"
#include "consensus/market.h"
#include "consensus/market_state.h"
#include "kernels/errors.h"
#include "verifier/errors.h"
#include "wallet/context.h"
#include "wallet/errors.h"

namespace step::wallet::agent {
namespace {

using nlohmann::json;

Status bad(const std::string& what) {
    return Status::error(codes::kRpcBadResponse, "getunit reply: " + what);
}

Result<Hash256> hash_field(const json& j, const char* key, bool allow_empty) {
    auto s = json_string(j, key);
    if (!s.ok()) return s.status();
    if (s->empty() && allow_empty) return Hash256{};
    auto h = hash_from_hex(*s);
    if (!h) return bad(std::string("'") + key + "' is not 64 hex digits");
    return *h;
}

template <class E>
struct Named {
    const char* name;
    E value;
};

constexpr Named<UnitStatus> kUnitStatuses[] = {
    {rpc::kUnitOpen, UnitStatus::kOpen},           {rpc::kUnitClaimed, UnitStatus::kClaimed},
    {rpc::kUnitCommitted, UnitStatus::kCommitted}, {rpc::kUnitOpened, UnitStatus::kOpened},
    {rpc::kUnitFinal, UnitStatus::kFinal},         {rpc::kUnitCancelled, UnitStatus::kCancelled},
};
constexpr Named<Verdict> kVerdicts[] = {
    {rpc::kVerdictNone, Verdict::kNone},
    {rpc::kVerdictAgreed, Verdict::kAgreed},
    {rpc::kVerdictDisagreed, Verdict::kDisagreed},
    {rpc::kVerdictMissed, Verdict::kMissed},
};
constexpr Named<DataKind> kDataKinds[] = {
    {rpc::kDataCheckpoint, DataKind::kCheckpoint},
    {rpc::kDataFinalState, DataKind::kFinalState},
    {rpc::kDataDataset, DataKind::kDataset},
};

template <class E, size_t N>
E value_named(const Named<E> (&table)[N], std::string_view name) {
    for (const auto& e : table)
        if (name == e.name) return e.value;
    return E::kUnknown;
}

template <class E, size_t N>
std::string_view name_of(const Named<E> (&table)[N], E value) {
    for (const auto& e : table)
        if (value == e.value) return e.name;
    return rpc::kUnknownName;
}

// One of getunit's `audits`.
Result<AuditView> parse_audit(const json& a) {
    AuditView v;
    auto who = json_string(a, "verifier");
    if (!who.ok()) return who.status();
    v.verifier = *who;
    if (!a.contains("leaves") || !a["leaves"].is_array()) return bad("an audit lacks 'leaves'");
    for (const json& l : a["leaves"]) {
        if (!l.is_number_integer() || l.get<int64_t>() < 0 || l.get<int64_t>() > UINT32_MAX)
            return bad("an audit leaf is not a leaf index");
        v.leaves.push_back(static_cast<uint32_t>(l.get<int64_t>()));
    }
    v.committed = a.value("committed", false);
    v.revealed = a.value("revealed", false);
    v.verdict = value_named(kVerdicts, a.value("verdict", std::string(rpc::kVerdictNone)));
    return v;
}

// One of getunit's `data_challenges`.
Result<ChallengeView> parse_challenge(const json& c) {
    ChallengeView v;
    auto kind = json_string(c, "kind");
    auto height = json_u64(c, "height");
    auto deadline = json_u64(c, "deadline");
    for (const Status& s : {kind.status(), height.status(), deadline.status()})
        if (!s.ok()) return s;
    v.kind = value_named(kDataKinds, *kind);
    v.height = *height;
    v.deadline = *deadline;
    if (v.kind != DataKind::kDataset) {
        auto leaf = json_u64(c, "leaf");
        auto chunk = json_u64(c, "chunk");
        if (!leaf.ok()) return leaf.status();
        if (!chunk.ok()) return chunk.status();
        v.leaf = static_cast<uint32_t>(*leaf);
        v.chunk = *chunk;
    }
    return v;
}

}  // namespace

std::string_view unit_status_name(UnitStatus s) {
    return name_of(kUnitStatuses, s);
}
std::string_view verdict_name(Verdict v) {
    return name_of(kVerdicts, v);
}
std::string_view data_kind_name(DataKind k) {
    return name_of(kDataKinds, k);
}

const AuditView* UnitView::audit_of(const std::string& address) const {
    for (const auto& a : audits)
        if (a.verifier == address) return &a;
    return nullptr;
}

Result<UnitView> parse_unit(const json& j) {
    UnitView u;
    auto round = json_u64(j, "round");
    auto unit = json_u64(j, "unit");
    auto status = json_string(j, "status");
    auto solver = json_string(j, "solver");
    auto claim = json_u64(j, "claim_height");
    auto commit = json_u64(j, "commit_height");
    for (const Status& s : {round.status(), unit.status(), status.status(), solver.status(),
                            claim.status(), commit.status()})
        if (!s.ok()) return s;
    u.round = static_cast<uint32_t>(*round);
    u.unit = static_cast<uint32_t>(*unit);
    u.status = value_named(kUnitStatuses, *status);
    u.solver = *solver;
    u.claim_height = *claim;
    u.commit_height = *commit;
    auto leaf0 = hash_field(j, "leaf0", true);
    auto final_leaf = hash_field(j, "final_leaf", true);
    if (!leaf0.ok()) return leaf0.status();
    if (!final_leaf.ok()) return final_leaf.status();
    u.leaf0 = *leaf0;
    u.final_leaf = *final_leaf;
    for (auto [field, into] : {std::pair{"checkpoint_leaves", &u.checkpoint_leaves}, std::pair{"leaves", &u.leaves}}) {
        if (!j.contains(field) || !j[field].is_array()) continue;
        for (const json& l : j[field]) {
            auto h = l.is_string() ? hash_from_hex(l.get<std::string>()) : std::nullopt;
            if (!h) return bad(std::string("an item of '") + field + "' is not 64 hex digits");
            into->push_back(*h);
        }
    }
    if (j.contains("windows") && j["windows"].is_object()) {
        const json& w = j["windows"];
        auto a = json_u64(w, "assign");
        auto ce = json_u64(w, "commit_end");
        auto re = json_u64(w, "reveal_end");
        auto oe = json_u64(w, "open_end");
        auto fa = json_u64(w, "final_at");
        for (const Status& s : {a.status(), ce.status(), re.status(), oe.status(), fa.status()})
            if (!s.ok()) return s;
        u.windows = consensus::UnitWindows{*a, *ce, *re, *oe, *fa};
    }
    if (j.contains("audits") && j["audits"].is_array()) {
        for (const json& a : j["audits"]) {
            auto v = parse_audit(a);
            if (!v.ok()) return v.status();
            u.audits.push_back(std::move(*v));
        }
    }
    if (j.contains("data_challenges") && j["data_challenges"].is_array()) {
        for (const json& c : j["data_challenges"]) {
            auto v = parse_challenge(c);
            if (!v.ok()) return v.status();
            u.challenges.push_back(std::move(*v));
        }
    }
    if (j.contains("settlements") && j["settlements"].is_array())
        for (const json& e : j["settlements"])
            if (e.is_object() && e.contains("code") && e["code"].is_string())
                u.settlement_codes.push_back(e["code"].get<std::string>());
    return u;
}

std::vector<ChallengeView> responses_due(const UnitView& u, const std::string& me, uint64_t height) {
    std::vector<ChallengeView> out;
    if (u.solver != me) return out;
    for (const auto& c : u.challenges)
        if ((c.kind == DataKind::kCheckpoint || c.kind == DataKind::kFinalState) &&
            height < c.deadline)
            out.push_back(c);
    return out;
}

bool has_commit(const UnitView& u) {
    return u.status == UnitStatus::kCommitted || u.status == UnitStatus::kOpened ||
           u.status == UnitStatus::kFinal;
}

std::pair<uint32_t, uint32_t> live_rounds(const RoundsView& t) {
    const uint32_t first = std::min(t.finalised_rounds, t.rounds);
    const uint64_t end = std::min<uint64_t>(uint64_t{t.finalised_rounds} + t.pipeline_depth, t.rounds);
    return {first, static_cast<uint32_t>(end)};
}

std::optional<std::pair<uint32_t, uint32_t>> first_claimable(
    const RoundsView& t, const std::map<std::pair<uint32_t, uint32_t>, UnitView>& units) {
    const auto [first, end] = live_rounds(t);
    for (uint32_t r = first; r < end; ++r) {
        bool previous_committed = true;
        for (uint32_t k = 0; r > 0 && k < t.units_per_round; ++k) {
            auto it = units.find({r - 1, k});
            if (it == units.end() || !has_commit(it->second)) previous_committed = false;
        }
        // Later rounds wait on this one too, so there is nothing further to look at.
        if (!previous_committed) return std::nullopt;
        for (uint32_t k = 0; k < t.units_per_round; ++k) {
            auto it = units.find({r, k});
            if (it != units.end() && it->second.status == UnitStatus::kOpen)
                return std::make_pair(r, k);
        }
    }
    return std::nullopt;
}

std::vector<uint32_t> finals_to_recompute(
    uint32_t round, uint32_t units_per_round,
    const std::map<std::pair<uint32_t, uint32_t>, UnitView>& units) {
    std::vector<uint32_t> out;
    for (uint32_t k = 0; round > 0 && k < units_per_round; ++k) {
        auto it = units.find({round - 1, k});
        if (it == units.end() || it->second.status != UnitStatus::kFinal) continue;
        const std::vector<std::string>& codes = it->second.settlement_codes;
        if (std::find(codes.begin(), codes.end(), consensus::reasons::kFinalStateWithheld) !=
            codes.end())
            out.push_back(k);
    }
    return out;
}

bool open_due(const UnitView& u, const std::string& me, uint64_t height) {
    return u.status == UnitStatus::kCommitted && u.solver == me && u.windows &&
           height >= u.windows->reveal_end && height < u.windows->open_end;
}

bool commit_due(const UnitView& u, const std::string& me) {
    return u.status == UnitStatus::kClaimed && u.solver == me;
}

bool proof_due(const UnitView& u, const std::string& me) {
    const AuditView* a = u.audit_of(me);
    return u.status == UnitStatus::kOpened && a != nullptr && a->verdict == Verdict::kDisagreed &&
           !u.leaves.empty();
}

AuditStep audit_due(const UnitView& u, const std::string& me, uint64_t height) {
    if (u.status != UnitStatus::kCommitted || !u.windows) return AuditStep::kNothing;
    const AuditView* a = u.audit_of(me);
    if (a == nullptr) return AuditStep::kNothing;
    const consensus::UnitWindows& w = *u.windows;
    if (!a->committed && height >= w.assign && height < w.commit_end) return AuditStep::kCommit;
    if (a->committed && !a->revealed && height >= w.commit_end && height < w.reveal_end)
        return AuditStep::kReveal;
    return AuditStep::kNothing;
}

bool checkpoint_disproves_trace(const Status& audit_error) {
    return audit_error.is(kernels::codes::kBadState) ||
           audit_error.is(kernels::codes::kStateMismatch) ||
           audit_error.is(verifier::codes::kStartStep);
}

std::optional<Hash256> checkpoint_leaf(const UnitView& u, uint32_t c, uint32_t per_checkpoint) {
    if (per_checkpoint == 0 || c % per_checkpoint != 0) return std::nullopt;
    if (c == 0) return u.leaf0;
    const size_t i = c / per_checkpoint - 1;
    if (i >= u.checkpoint_leaves.size()) return std::nullopt;
    return u.checkpoint_leaves[i];
}

Result<std::vector<Hash256>> audit_digests(const std::vector<uint32_t>& sampled,
                                           uint32_t per_checkpoint,
                                           const std::map<uint32_t, Hash256>& replayed) {
    std::vector<Hash256> out;
    for (uint32_t leaf : consensus::audit_digest_leaves(sampled, per_checkpoint)) {
        auto it = replayed.find(leaf);
        if (it == replayed.end())
            return Status::error(codes::kMissingDigest, "no replayed digest for leaf " + std::to_string(leaf));
        out.push_back(it->second);
    }
    return out;
}

std::vector<uint32_t> segments_of(const std::vector<uint32_t>& sampled, uint32_t per_checkpoint) {
    std::set<uint32_t> out;
    for (uint32_t s : sampled)
        if (s >= 1 && per_checkpoint > 0) out.insert((s - 1) / per_checkpoint);
    return {out.begin(), out.end()};
}

std::optional<ReplayPick> next_replay(const std::vector<WatchedUnit>& units, uint64_t draw) {
    auto open = [&](size_t i, uint32_t seg) {
        return seg < units[i].segments && !units[i].replayed.count(seg);
    };
    for (size_t i = 0; i < units.size(); ++i)
        for (uint32_t seg : units[i].hot_segments)
            if (units[i].disagreed && open(i, seg)) return ReplayPick{i, seg};
    for (size_t i = 0; i < units.size(); ++i)
        for (uint32_t seg = 0; units[i].disagreed && seg < units[i].segments; ++seg)
            if (open(i, seg)) return ReplayPick{i, seg};
    uint64_t left = 0;
    for (const WatchedUnit& w : units)
        if (!w.disagreed) left += w.segments - std::min<uint64_t>(w.segments, w.replayed.size());
    if (left == 0) return std::nullopt;
    uint64_t n = draw % left;  // the n-th unreplayed segment, counted across the units
    for (size_t i = 0; i < units.size(); ++i)
        for (uint32_t seg = 0; !units[i].disagreed && seg < units[i].segments; ++seg)
            if (open(i, seg) && n-- == 0) return ReplayPick{i, seg};
    return std::nullopt;  // unreachable: `left` counted them
}

void ReplayBudget::elapse(double wall_seconds) {
    credit_ = std::min(max_credit_, credit_ + share_ * std::max(0.0, wall_seconds));
}

WhistleStep whistle_due(const UnitView& u, uint64_t height, uint64_t verifier_grace) {
    if (u.status != UnitStatus::kOpened || !u.windows) return WhistleStep::kTooLate;
    // ProofCommit lands at height + 1, the FraudProof at height + 2 at the earliest.
    if (height + 2 > u.windows->final_at) return WhistleStep::kTooLate;
    bool disagreed = false;
    for (const AuditView& a : u.audits) disagreed = disagreed || a.verdict == Verdict::kDisagreed;
    if (disagreed && height < u.windows->open_end + verifier_grace) return WhistleStep::kWait;
    return WhistleStep::kCommit;
}

bool challenge_due(const UnitView& u, DataKind kind, uint32_t leaf, uint64_t chunk,
                   uint64_t first_failed, uint64_t height, uint64_t da_window, uint64_t grace) {
    if (!u.windows || height < first_failed + grace) return false;
    for (const ChallengeView& c : u.challenges)
        if (c.leaf == leaf && c.chunk == chunk) return false;  // pending: one per blob part
    const bool in_flight = u.status == UnitStatus::kCommitted || u.status == UnitStatus::kOpened;
    // The challenge lands at height + 1 at the earliest and expires DA_WINDOW blocks later.
    if (kind == DataKind::kCheckpoint) return in_flight && height + 1 + da_window <= u.windows->final_at;
    if (kind == DataKind::kFinalState) return in_flight || u.status == UnitStatus::kFinal;
    return false;
}

std::vector<uint64_t> chunks_to_challenge(
    uint64_t state_chunks, const std::optional<std::vector<uint64_t>>& node_missing) {
    std::vector<uint64_t> out;
    if (!node_missing) {
        for (uint64_t i = 0; i < state_chunks; ++i) out.push_back(i);
        return out;
    }
    for (uint64_t i : *node_missing)
        if (i < state_chunks) out.push_back(i);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

void BlockPace::observe(uint64_t height, double seconds) {
    const bool first = !height_;
    if (!first && height <= *height_) return;
    height_ = height;
    if (first) return;
    seen_.emplace_back(height, seconds);
    if (seen_.size() > kPaceSamples) seen_.erase(seen_.begin());
}

std::optional<double> BlockPace::observed() const {
    if (seen_.size() < 2) return std::nullopt;
    const auto& [h0, t0] = seen_.front();
    const auto& [h1, t1] = seen_.back();
    return std::max(0.0, t1 - t0) / static_cast<double>(h1 - h0);
}

double BlockPace::expected(uint64_t block_time_s) const {
    const double planned = static_cast<double>(block_time_s);
    const auto seen = observed();
    return seen ? std::min(planned, *seen) : planned;
}

bool claim_fits(uint64_t steps, double steps_per_s, double block_s, uint64_t claim_timeout) {
    if (!(steps_per_s > 0) || claim_timeout < 2) return false;
    const double training_s = static_cast<double>(steps) / steps_per_s;
    const double available_s = static_cast<double>(claim_timeout - 1) * block_s;
    return training_s * kClaimSafety <= available_s;
}

}  // namespace step::wallet::agent
