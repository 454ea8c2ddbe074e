// The market's block-end rules: assignment, missed windows, timeouts and finalisation
// (PROTOCOL.md section 3, "Life of a unit" and "Settlement").
#include <algorithm>

#include "common/hash.h"
#include "common/hash_tags.h"
#include "consensus/errors.h"
#include "consensus/market.h"
#include "verifier/sampling.h"

namespace step::consensus::detail {
namespace {

using u128 = unsigned __int128;

// The solver loses the unit bond (burned) and the unit reopens.
Status slash_solver(Market& m, const UnitKey& kp, pb::Unit& u, const char* code,
                    const std::string& why) {
    const uint64_t bond = u.bond();
    u.set_bond(0);
    STEP_TRY(m.burn(bond));
    STEP_TRY(m.record(to_address(u.solver()), kp.task, kp.round, kp.unit, ledger_kinds::kSlash, bond, code,
                      "slashed: " + why));
    STEP_TRY(m.record(std::nullopt, kp.task, kp.round, kp.unit, ledger_kinds::kBurn, bond, code,
                      "burned: unit bond, " + why));
    return reset_unit(m, kp.task, kp.round, kp.unit, u, code, why);
}

Status assign(Market& m, const Bytes& key, const UnitKey& kp, const pb::Task& task, pb::Unit& u,
              const Hash256& prev_hash) {
    Bytes seed_in(prev_hash.begin(), prev_hash.end());
    seed_in.insert(seed_in.end(), key.begin(), key.end());
    verifier::SeededRng rng(tagged_hash(tags::kAssignSeed, seed_in));
    std::vector<uint64_t> stakes;
    for (const auto& e : u.stake_snapshot()) stakes.push_back(e.stake());
    const auto picks = verifier::sample_by_stake(rng, stakes, task.spec().audit_verifiers());
    const uint32_t n = trace_shape_of(task).last_leaf;
    for (size_t i : picks) {
        pb::Audit* a = u.add_audits();
        a->set_verifier(u.stake_snapshot(static_cast<int>(i)).address());
        for (uint32_t leaf : verifier::sample_leaves(rng, n, task.spec().audit_leaves()))
            a->add_leaves(leaf);
    }
    u.set_assigned(true);
    (void)kp;
    // Challenges that landed before the draw count for the verifiers it drew.
    for (const auto& ks : u.challenges()) {
        auto ch = read_challenge(m, Bytes(ks.begin(), ks.end()));
        if (!ch.ok()) return ch.status();
        STEP_TRY(extend_audit_windows(m, key, u, *ch));
    }
    return Status();
}

Status finalise(Market& m, const UnitKey& kp, pb::Task& task, pb::Unit& u) {
    const Params& p = m.params();
    for (auto& a : *u.mutable_audits()) {
        if (a.settled()) continue;
        a.set_settled(true);
        if (a.verdict() == verdicts::kDisagreed && !u.excused())
            STEP_TRY(slash_verifier(m, kp, to_address(a.verifier()), p.audit_bond,
                                    reasons::kAuditUnproven,
                                    "disagreed with the trace, no fraud proven"));
    }
    const Address solver = to_address(u.solver());
    const u128 fees = static_cast<u128>(task.audit_fee()) * task.spec().audit_verifiers();
    const uint64_t owed = fees >= task.unit_pay() ? 0 : task.unit_pay() - static_cast<uint64_t>(fees);
    const uint64_t pay = std::min(owed, task.escrow());
    task.set_escrow(task.escrow() - pay);
    STEP_TRY(m.credit_balance(solver, pay));
    STEP_TRY(m.record(solver, kp.task, kp.round, kp.unit, ledger_kinds::kPayout, pay, reasons::kUnitPay,
                      "paid: unit final"));
    auto sub = m.take_from_pool(flops_pay(task.unit_flops(), p));
    if (!sub.ok()) return sub.status();
    STEP_TRY(m.credit_balance(solver, *sub));
    STEP_TRY(m.record(solver, kp.task, kp.round, kp.unit, ledger_kinds::kSubsidy, *sub, reasons::kUnitSubsidy,
                      "paid: min(pool, " + std::to_string(task.unit_flops()) + " FLOPs x POOL_RATE)"));
    STEP_TRY(m.release_unit_bond(solver, kp, u, "released: unit bond"));
    u.set_status(pb::UNIT_FINAL);
    return Status();
}

// The solver withheld a checkpoint or its final state past DA_WINDOW: slashed; its verifiers
// are excused (their audits vanish with the reset, unslashed). The reset takes the unit's final
// leaf off the chain until a redo commits it, so the next round's units in flight are settled
// too: claims released, commitments excused (settle_withheld_dependants).
Status expire_withheld(Market& m, const UnitKey& kp, const Bytes& key, const pb::Task& task,
                       pb::Unit& u) {
    for (const auto& a : u.audits())
        if (!a.settled())
            STEP_TRY(m.record(to_address(a.verifier()), kp.task, kp.round, kp.unit,
                              ledger_kinds::kExcuse, 0, reasons::kAuditExcused,
                              "excused: the unit's data was withheld"));
    STEP_TRY(slash_solver(m, kp, u, reasons::kDataWithheld, "unit data withheld past DA_WINDOW"));
    m.put_unit(key, u);
    STEP_TRY(settle_withheld_dependants(m, kp.task, task, kp.round, kp.unit, "data"));
    return update_task_progress(m, kp.task);  // a cancelled task may now close
}

// The reveal window closed: every audit not revealed is settled as missed, its verifier
// slashed VERIFIER_MISS_SLASH unless the unit's data was withheld (excused).
Status settle_missed_audits(Market& m, const UnitKey& kp, pb::Unit& u) {
    for (auto& a : *u.mutable_audits()) {
        if (a.revealed() || a.settled()) continue;
        a.set_verdict(verdicts::kMissed);
        a.set_settled(true);
        const Address v = to_address(a.verifier());
        if (u.excused()) {
            STEP_TRY(m.record(v, kp.task, kp.round, kp.unit, ledger_kinds::kExcuse, 0,
                              reasons::kAuditExcused,
                              "excused: the data the audit needed was withheld"));
        } else {
            STEP_TRY(slash_verifier(m, kp, v, m.params().verifier_miss_slash, reasons::kAuditMissed,
                                    a.commitment().empty() ? "missed the audit commit window"
                                                           : "missed the audit reveal window"));
        }
    }
    return Status();
}

}  // namespace

Status slash_verifier(Market& m, const UnitKey& kp, const Address& v, uint64_t amount,
                      const char* code, const std::string& why) {
    auto a = m.cache().account(v);
    if (!a.ok()) return a.status();
    const uint64_t taken = slash_bond(**a, BondRole::kVerifier, amount);
    STEP_TRY(m.burn(taken));
    return m.record(v, kp.task, kp.round, kp.unit, ledger_kinds::kSlash, taken, code, "slashed: " + why);
}

Status reset_unit(Market& m, const Hash256& task_id, uint32_t round, uint32_t unit, pb::Unit& u,
                  const char* code, const std::string& why) {
    auto t = m.task(task_id);
    if (!t.ok()) return t.status();
    const bool closed = *t && ((*t)->cancelled() || (*t)->done());
    STEP_TRY(release_challenges(m, u));
    const uint32_t resets = u.resets() + 1;
    u = pb::Unit();
    u.set_resets(resets);
    if (closed) u.set_status(pb::UNIT_CANCELLED);
    return m.record(std::nullopt, task_id, round, unit, ledger_kinds::kReset, 0, code,
                    (closed ? "cancelled: " : "reset: ") + why);
}

Status update_task_progress(Market& m, const Hash256& task_id) {
    auto t = m.task(task_id);
    if (!t.ok()) return t.status();
    if (!*t) return Status();
    pb::Task task = **t;
    if (task.done()) return Status();
    const uint32_t K = task.spec().units_per_round();
    bool in_flight = false;
    bool advancing = true;
    for (uint32_t r = 0; r < task.rounds(); ++r) {
        bool all_final = true;
        for (uint32_t k = 0; k < K; ++k) {
            auto u = m.unit(task_id, r, k);
            if (!u.ok()) return u.status();
            if (u->status() != pb::UNIT_FINAL) all_final = false;
            if (u->status() >= pb::UNIT_CLAIMED && u->status() <= pb::UNIT_OPENED) in_flight = true;
        }
        if (r < task.finalised_rounds()) continue;
        if (advancing && all_final)
            task.set_finalised_rounds(r + 1);
        else
            advancing = false;
    }
    if (task.finalised_rounds() == task.rounds() || (task.cancelled() && !in_flight)) {
        task.set_done(true);
        const uint64_t rest = task.escrow();
        task.set_escrow(0);
        const Address owner = to_address(task.owner());
        STEP_TRY(m.credit_balance(owner, rest));
        STEP_TRY(m.record(owner, task_id, 0, 0, ledger_kinds::kRefund, rest, reasons::kTaskRemainder,
                          "refunded: escrow left when the task closed"));
    }
    m.put_task(task_id, task);
    return Status();
}

Status process_unit_deadlines(Market& m, const Bytes& key, const Hash256& prev_hash) {
    const auto parsed = parse_unit_key(key);
    if (!parsed) return Status::error(codes::kCorruptState, "deadline list: bad unit key");
    const UnitKey& kp = *parsed;
    STEP_TRY(process_award(m, key, kp));
    if (kp.round == 0 && kp.unit == 0) {
        // Dataset challenges' deadlines ride on unit (task, 0, 0)'s entries.
        bool cancelled = false;
        STEP_TRY(process_dataset_challenges(m, kp.task, &cancelled));
        if (cancelled) return Status();  // every unit of the task is settled
    }
    auto t = m.task(kp.task);
    if (!t.ok()) return t.status();
    if (!*t) return Status::error(codes::kCorruptState, "deadline for a missing task");
    pb::Task task = **t;
    auto ur = m.unit_at(key);
    if (!ur.ok()) return ur.status();
    pb::Unit u = *ur;
    const Params& p = m.params();
    const uint64_t h = m.height();
    bool progress = false;

    if (u.status() == pb::UNIT_CLAIMED &&
        h == u.claim_height() + p.claim_timeout + u.claim_delay()) {
        STEP_TRY(slash_solver(m, kp, u, reasons::kClaimTimeout, "claim not committed within CLAIM_TIMEOUT"));
        m.put_unit(key, u);
        return update_task_progress(m, kp.task);  // a cancelled task may now close
    }
    bool withheld = false;
    if (u.status() == pb::UNIT_FINAL && u.challenges_size() > 0) {
        // Only final-state challenges outlive finalisation (checkpoint ones expire by then).
        STEP_TRY(process_challenges(m, key, u, &withheld));
        if (withheld) {
            STEP_TRY(final_state_withheld(m, kp.task, kp.round, kp.unit, u));
            m.put_unit(key, u);
        }
        return Status();
    }
    if (u.status() != pb::UNIT_COMMITTED && u.status() != pb::UNIT_OPENED) return Status();
    STEP_TRY(process_challenges(m, key, u, &withheld));
    if (withheld) return expire_withheld(m, kp, key, task, u);
    const UnitWindows w = unit_windows(u.commit_height(), p, u.window_delay());
    if (h == w.assign && !u.assigned()) STEP_TRY(assign(m, key, kp, task, u, prev_hash));
    if (h == w.reveal_end) STEP_TRY(settle_missed_audits(m, kp, u));
    if (h == w.open_end && u.status() == pb::UNIT_COMMITTED) {
        // Before the reset refunds the unit's challenges: they name the claimants to release.
        STEP_TRY(release_challenging_claimants(m, kp.task, task, kp.round, kp.unit, u));
        STEP_TRY(slash_solver(m, kp, u, reasons::kTraceNotOpened, "trace not opened within OPEN_WINDOW"));
        progress = true;
    } else if (h == w.final_at && u.status() == pb::UNIT_OPENED) {
        STEP_TRY(finalise(m, kp, task, u));
        m.put_task(kp.task, task);
        progress = true;
    }
    m.put_unit(key, u);
    if (progress) return update_task_progress(m, kp.task);
    return Status();
}

Status market_end_block(StateCache& cache, uint64_t height, const Hash256& prev_hash,
                        const Params& p) {
    Market m(cache, p, height);
    auto keys = m.deadlines(height);
    if (!keys.ok()) return keys.status();
    for (const Bytes& k : *keys) STEP_TRY(process_unit_deadlines(m, k, prev_hash));
    m.clear_deadlines(height);
    *cache.raw(block_flops_key()) = std::nullopt;  // per-block replay budget starts afresh
    return Status();
}

}  // namespace step::consensus::detail
