#include "consensus/market.h"

#include <algorithm>

#include "common/hash.h"
#include "common/hash_tags.h"
#include "common/merkle.h"
#include "consensus/errors.h"
#include "consensus/task_spec.h"
#include "verifier/audit.h"

namespace step::consensus {

Bytes audit_commitments(const Hash256& salt, const Address& verifier,
                        const std::vector<uint32_t>& sampled, uint64_t leaves_per_checkpoint,
                        const std::vector<Hash256>& digests) {
    Bytes out;
    size_t at = 0;
    for (uint32_t s : sampled) {
        const uint64_t c = ((s - 1) / leaves_per_checkpoint) * leaves_per_checkpoint;
        const size_t count = static_cast<size_t>(s - c);
        if (at + count > digests.size()) return {};
        const std::vector<Hash256> part(digests.begin() + static_cast<std::ptrdiff_t>(at),
                                        digests.begin() + static_cast<std::ptrdiff_t>(at + count));
        at += count;
        const Hash256 h = verifier::audit_commitment(salt, verifier, s, part);
        out.insert(out.end(), h.begin(), h.end());
    }
    return out;
}

std::vector<uint32_t> audit_digest_leaves(const std::vector<uint32_t>& sampled,
                                          uint64_t leaves_per_checkpoint) {
    std::vector<uint32_t> out;
    for (uint32_t s : sampled) {
        const uint64_t c = ((s - 1) / leaves_per_checkpoint) * leaves_per_checkpoint;
        for (uint64_t i = c + 1; i <= s; ++i) out.push_back(static_cast<uint32_t>(i));
    }
    return out;
}

namespace detail {

Result<UnitCtx> load_unit(Market& m, const pb::UnitRef& ref) {
    UnitCtx c;
    c.task_id = to_hash(ref.task_id());
    auto t = m.task(c.task_id);
    if (!t.ok()) return t.status();
    if (!*t) return Status::error(codes::kUnknownTask, "no task " + to_hex(c.task_id));
    c.task = **t;
    if (ref.round() >= c.task.rounds() || ref.unit() >= c.task.spec().units_per_round())
        return Status::error(codes::kBadUnitRef, "round " + std::to_string(ref.round()) +
                                                     " unit " + std::to_string(ref.unit()) +
                                                     " out of range");
    c.round = ref.round();
    c.index = ref.unit();
    c.key = unit_key(c.task_id, c.round, c.index);
    auto u = m.unit_at(c.key);
    if (!u.ok()) return u.status();
    c.unit = *u;
    return c;
}

pb::Audit* find_audit(pb::Unit& u, const Address& who) {
    for (auto& a : *u.mutable_audits())
        if (to_address(a.verifier()) == who) return &a;
    return nullptr;
}

verifier::TraceShape trace_shape_of(const pb::Task& t) {
    verifier::TraceShape s;
    s.steps = t.spec().steps_per_unit();
    s.leaf_interval = t.spec().leaf_interval();
    s.checkpoint_interval = t.spec().checkpoint_interval();
    s.last_leaf = static_cast<uint32_t>(s.steps / s.leaf_interval);
    s.leaves_per_checkpoint = static_cast<uint32_t>(s.checkpoint_interval / s.leaf_interval);
    return s;
}

namespace {

Status fail(const ErrorCode& code, const std::string& msg) { return Status::error(code, msg); }

bool is32(const std::string& s) { return s.size() == 32; }

Status submit_task(Market& m, const pb::Transaction& tx, const Address& sender) {
    const auto& st = tx.submit_task();
    auto spec = decode_task_spec(as_bytes(st.spec()));
    if (!spec.ok()) return spec.status();
    auto costs = validate_market_spec(*spec, st.budget(), st.unit_bond(), m.params());
    if (!costs.ok()) return costs.status();
    const Hash256 id = task_id_for(sender, tx.nonce());
    pb::Task t;
    t.set_owner(str(sender));
    *t.mutable_spec() = *spec;
    t.set_budget(st.budget());
    t.set_unit_bond(st.unit_bond());
    t.set_escrow(st.budget());  // the balance debit is apply_tx's (market_payload_amount)
    t.set_unit_pay(costs->unit_pay);
    t.set_audit_fee(costs->audit_fee);
    t.set_rounds(static_cast<uint32_t>(costs->rounds));
    t.set_submit_height(m.height());
    t.set_unit_flops(costs->unit_flops);
    m.put_task(id, t);
    return m.record(sender, id, 0, 0, ledger_kinds::kEscrow, st.budget(), reasons::kTaskEscrow,
                    "escrowed: budget of task");
}

Status cancel_task(Market& m, const pb::Transaction& tx, const Address& sender) {
    const Hash256 id = to_hash(tx.cancel_task().task_id());
    auto t = m.task(id);
    if (!t.ok()) return t.status();
    if (!*t) return fail(codes::kUnknownTask, "no task " + to_hex(id));
    pb::Task task = **t;
    if (to_address(task.owner()) != sender) return fail(codes::kNotTaskOwner, "not the task's owner");
    if (task.cancelled() || task.done()) return fail(codes::kTaskClosed, "task already closed");
    uint64_t open = 0;
    for (uint32_t r = 0; r < task.rounds(); ++r)
        for (uint32_t k = 0; k < task.spec().units_per_round(); ++k) {
            const Bytes key = unit_key(id, r, k);
            auto u = m.unit_at(key);
            if (!u.ok()) return u.status();
            if (u->status() != pb::UNIT_OPEN) continue;
            pb::Unit cu = *u;
            cu.set_status(pb::UNIT_CANCELLED);
            m.put_unit(key, cu);
            ++open;
            STEP_TRY(m.record(std::nullopt, id, r, k, ledger_kinds::kCancel, 0, reasons::kUnitCancelled,
                              "cancelled: unclaimed unit"));
        }
    const uint64_t refund = std::min(task.escrow(), open * task.unit_pay());
    task.set_escrow(task.escrow() - refund);
    task.set_cancelled(true);
    m.put_task(id, task);
    STEP_TRY(m.credit_balance(sender, refund));
    STEP_TRY(m.record(sender, id, 0, 0, ledger_kinds::kRefund, refund, reasons::kCancelRefund,
                      "refunded: " + std::to_string(open) + " unclaimed units"));
    return update_task_progress(m, id);
}

Status claim_unit(Market& m, const pb::Transaction& tx, const Address& sender) {
    auto c = load_unit(m, tx.claim_unit().unit());
    if (!c.ok()) return c.status();
    if (c->task.cancelled() || c->task.done()) return fail(codes::kTaskClosed, "task closed");
    if (c->unit.status() != pb::UNIT_OPEN) return fail(codes::kUnitNotOpen, "unit is not open");
    if (c->round >= c->task.finalised_rounds() + m.params().pipeline_depth)
        return fail(codes::kPipelineFull, "round " + std::to_string(c->round) +
                                              " is PIPELINE_DEPTH past the last final round");
    if (c->round > 0)
        for (uint32_t k = 0; k < c->task.spec().units_per_round(); ++k) {
            auto prev = m.unit(c->task_id, c->round - 1, k);
            if (!prev.ok()) return prev.status();
            if (prev->status() < pb::UNIT_COMMITTED || prev->status() == pb::UNIT_CANCELLED)
                return fail(codes::kRoundNotReady, "round " + std::to_string(c->round - 1) +
                                                       " is not fully committed");
        }
    auto acct = m.cache().account(sender);
    if (!acct.ok()) return acct.status();
    const uint64_t bond = c->task.unit_bond();
    if ((*acct)->solver_bond < bond)
        return fail(codes::kInsufficientBond, "solver bond " + std::to_string((*acct)->solver_bond) +
                                                  " < unit bond " + std::to_string(bond));
    (*acct)->solver_bond -= bond;
    pb::Unit& u = c->unit;
    u.set_status(pb::UNIT_CLAIMED);
    u.set_solver(str(sender));
    u.set_bond(bond);
    u.set_claim_height(m.height());
    m.put_unit(c->key, u);
    STEP_TRY(m.schedule(m.height() + m.params().claim_timeout, c->key));
    return m.record(sender, c->task_id, c->round, c->index, ledger_kinds::kBondLock, bond, reasons::kBondLock,
                    "locked: unit bond");
}

Status commit_unit(Market& m, const pb::Transaction& tx, const Address& sender) {
    const auto& cu = tx.commit_unit();
    auto c = load_unit(m, cu.unit());
    if (!c.ok()) return c.status();
    pb::Unit& u = c->unit;
    if (u.status() != pb::UNIT_CLAIMED) return fail(codes::kWrongPhase, "unit is not claimed");
    if (to_address(u.solver()) != sender) return fail(codes::kNotUnitSolver, "not the unit's solver");
    if (!is32(cu.trace_root()) || !is32(cu.leaf0()) || !is32(cu.final_leaf()))
        return fail(codes::kBadCommit, "trace root and leaves must be 32 bytes");
    const verifier::TraceShape shape = trace_shape_of(c->task);
    const uint32_t checkpoints = shape.last_leaf / shape.leaves_per_checkpoint;
    if (static_cast<uint64_t>(cu.checkpoint_leaves_size()) != checkpoints)
        return fail(codes::kBadCommit, "expected " + std::to_string(checkpoints) +
                                           " checkpoint leaves");
    for (const auto& l : cu.checkpoint_leaves())
        if (!is32(l)) return fail(codes::kBadCommit, "checkpoint leaf must be 32 bytes");
    u.set_status(pb::UNIT_COMMITTED);
    u.set_commit_height(m.height());
    u.set_trace_root(cu.trace_root());
    u.set_leaf0(cu.leaf0());
    u.set_final_leaf(cu.final_leaf());
    *u.mutable_checkpoint_leaves() = cu.checkpoint_leaves();
    u.set_reported_loss(cu.reported_loss());
    // Stake snapshot at commit: every verifier with enough bond, never the solver.
    auto vs = m.verifiers();
    if (!vs.ok()) return vs.status();
    for (const Address& v : *vs) {
        if (v == sender) continue;
        auto a = m.cache().account(v);
        if (!a.ok()) return a.status();
        if ((*a)->verifier_bond < m.params().min_verifier_bond) continue;
        auto* e = u.add_stake_snapshot();
        e->set_address(str(v));
        e->set_stake((*a)->verifier_bond);
    }
    m.put_unit(c->key, u);
    const UnitWindows w = unit_windows(m.height(), m.params());
    for (uint64_t h : {w.assign, w.reveal_end, w.open_end, w.final_at}) STEP_TRY(m.schedule(h, c->key));
    return Status();
}

Status audit_commit(Market& m, const pb::Transaction& tx, const Address& sender) {
    auto c = load_unit(m, tx.audit_commit().unit());
    if (!c.ok()) return c.status();
    pb::Unit& u = c->unit;
    if (u.status() != pb::UNIT_COMMITTED || !u.assigned())
        return fail(codes::kWrongPhase, "unit has no open audit");
    const UnitWindows w = unit_windows(u.commit_height(), m.params(), u.window_delay());
    if (m.height() <= w.assign || m.height() > w.commit_end)
        return fail(codes::kWrongPhase, "outside the audit commit window");
    pb::Audit* a = find_audit(u, sender);
    if (!a) return fail(codes::kNotAssigned, "sender is not assigned to this unit");
    if (!a->commitment().empty()) return fail(codes::kDuplicateAudit, "already committed");
    if (tx.audit_commit().commitment().size() != 32 * static_cast<size_t>(a->leaves_size()))
        return fail(codes::kBadReveal, "commitment must be 32 bytes per sampled leaf");
    a->set_commitment(tx.audit_commit().commitment());
    m.put_unit(c->key, u);
    return Status();
}

Status audit_reveal(Market& m, const pb::Transaction& tx, const Address& sender) {
    const auto& ar = tx.audit_reveal();
    auto c = load_unit(m, ar.unit());
    if (!c.ok()) return c.status();
    pb::Unit& u = c->unit;
    if (u.status() != pb::UNIT_COMMITTED || !u.assigned())
        return fail(codes::kWrongPhase, "unit has no open audit");
    const UnitWindows w = unit_windows(u.commit_height(), m.params(), u.window_delay());
    if (m.height() <= w.commit_end || m.height() > w.reveal_end)
        return fail(codes::kWrongPhase, "outside the audit reveal window");
    pb::Audit* a = find_audit(u, sender);
    if (!a) return fail(codes::kNotAssigned, "sender is not assigned to this unit");
    if (a->commitment().empty()) return fail(codes::kWrongPhase, "no audit commitment to reveal");
    if (a->revealed()) return fail(codes::kDuplicateAudit, "already revealed");
    const uint64_t cp = trace_shape_of(c->task).leaves_per_checkpoint;
    const auto want = audit_digest_leaves({a->leaves().begin(), a->leaves().end()}, cp);
    if (static_cast<size_t>(ar.digests_size()) != want.size())
        return fail(codes::kBadReveal, "expected " + std::to_string(want.size()) + " digests");
    std::vector<Hash256> digests;
    for (const auto& d : ar.digests()) {
        if (!is32(d)) return fail(codes::kBadReveal, "digest must be 32 bytes");
        digests.push_back(to_hash(d));
    }
    if (!is32(ar.salt())) return fail(codes::kBadReveal, "salt must be 32 bytes");
    const Bytes h = audit_commitments(to_hash(ar.salt()), sender,
                                      {a->leaves().begin(), a->leaves().end()}, cp, digests);
    if (std::string(h.begin(), h.end()) != a->commitment())
        return fail(codes::kBadReveal, "reveal does not match the commitment");
    a->set_revealed(true);
    a->set_salt(ar.salt());
    *a->mutable_digests() = ar.digests();
    m.put_unit(c->key, u);
    return Status();
}

Status open_trace(Market& m, const pb::Transaction& tx, const Address& sender) {
    const auto& ot = tx.open_trace();
    auto c = load_unit(m, ot.unit());
    if (!c.ok()) return c.status();
    pb::Unit& u = c->unit;
    if (u.status() != pb::UNIT_COMMITTED) return fail(codes::kWrongPhase, "unit is not committed");
    if (to_address(u.solver()) != sender) return fail(codes::kNotUnitSolver, "not the unit's solver");
    const UnitWindows w = unit_windows(u.commit_height(), m.params(), u.window_delay());
    if (m.height() <= w.reveal_end || m.height() > w.open_end)
        return fail(codes::kWrongPhase, "outside the open window");
    const verifier::TraceShape shape = trace_shape_of(c->task);
    const uint64_t n = shape.last_leaf;
    if (static_cast<uint64_t>(ot.leaves_size()) != n + 1)
        return fail(codes::kBadTrace, "expected " + std::to_string(n + 1) + " leaves");
    std::vector<Hash256> leaves;
    for (const auto& l : ot.leaves()) {
        if (!is32(l)) return fail(codes::kBadTrace, "leaf must be 32 bytes");
        leaves.push_back(to_hash(l));
    }
    if (str(merkle_root(leaves)) != u.trace_root()) return fail(codes::kBadTrace, "leaves do not hash to the trace root");
    if (ot.leaves(0) != u.leaf0() || ot.leaves(static_cast<int>(n)) != u.final_leaf())
        return fail(codes::kBadTrace, "leaf 0 or the final leaf differs from the commit");
    const uint64_t cp = shape.leaves_per_checkpoint;
    for (int i = 0; i < u.checkpoint_leaves_size(); ++i)
        if (ot.leaves(static_cast<int>((static_cast<uint64_t>(i) + 1) * cp)) != u.checkpoint_leaves(i))
            return fail(codes::kBadTrace, "checkpoint leaf " + std::to_string(i) + " differs from the commit");
    u.set_status(pb::UNIT_OPENED);
    *u.mutable_leaves() = ot.leaves();
    // Compare every revealed digest with the leaf; agreement earns the audit fee now.
    pb::Task task = c->task;
    for (auto& a : *u.mutable_audits()) {
        if (!a.revealed()) continue;
        const auto idx = audit_digest_leaves({a.leaves().begin(), a.leaves().end()}, cp);
        bool agree = true;
        for (size_t i = 0; i < idx.size(); ++i)
            if (a.digests(static_cast<int>(i)) != ot.leaves(static_cast<int>(idx[i]))) agree = false;
        a.set_verdict(agree ? verdicts::kAgreed : verdicts::kDisagreed);
        if (!agree) continue;
        const uint64_t fee = std::min(task.escrow(), task.audit_fee());
        task.set_escrow(task.escrow() - fee);
        a.set_settled(true);
        const Address v = to_address(a.verifier());
        STEP_TRY(m.credit_balance(v, fee));
        STEP_TRY(m.record(v, c->task_id, c->round, c->index, ledger_kinds::kPayout, fee, reasons::kAuditFee,
                          "paid: audit agreed with the trace"));
    }
    m.put_task(c->task_id, task);
    m.put_unit(c->key, u);
    return Status();
}

}  // namespace

uint64_t market_payload_amount(const pb::Transaction& tx, const Params& p) {
    switch (tx.payload_case()) {
        case pb::Transaction::kSubmitTask: return tx.submit_task().budget();
        case pb::Transaction::kProofCommit: return p.proof_bond;
        case pb::Transaction::kDataChallenge: return p.da_bond;
        default: return 0;
    }
}

Status check_market_fields(const pb::Transaction& tx, const Params& p) {
    auto ref_ok = [](const pb::UnitRef& r) { return r.task_id().size() == 32; };
    switch (tx.payload_case()) {
        case pb::Transaction::kSubmitTask:
            if (tx.submit_task().budget() == 0) return fail(codes::kZeroAmount, "budget of 0");
            return Status();
        case pb::Transaction::kCancelTask:
            return is32(tx.cancel_task().task_id()) ? Status() : fail(codes::kBadUnitRef, "task id must be 32 bytes");
        case pb::Transaction::kClaimUnit:
            return ref_ok(tx.claim_unit().unit()) ? Status() : fail(codes::kBadUnitRef, "task id must be 32 bytes");
        case pb::Transaction::kCommitUnit:
            return ref_ok(tx.commit_unit().unit()) ? Status() : fail(codes::kBadUnitRef, "task id must be 32 bytes");
        case pb::Transaction::kAuditCommit:
            return ref_ok(tx.audit_commit().unit()) ? Status() : fail(codes::kBadUnitRef, "task id must be 32 bytes");
        case pb::Transaction::kAuditReveal:
            return ref_ok(tx.audit_reveal().unit()) ? Status() : fail(codes::kBadUnitRef, "task id must be 32 bytes");
        case pb::Transaction::kOpenTrace:
            return ref_ok(tx.open_trace().unit()) ? Status() : fail(codes::kBadUnitRef, "task id must be 32 bytes");
        case pb::Transaction::kProofCommit:
            return is32(tx.proof_commit().commitment()) ? Status() : fail(codes::kBadProof, "commitment must be 32 bytes");
        case pb::Transaction::kFraudProof:
            if (!ref_ok(tx.fraud_proof().unit())) return fail(codes::kBadUnitRef, "task id must be 32 bytes");
            if (tx.fraud_proof().proof().size() > p.max_proof_bytes)
                return fail(codes::kProofTooLarge, "proof over MAX_PROOF_BYTES");
            return Status();
        case pb::Transaction::kDataChallenge:
        case pb::Transaction::kDataResponse:
            return check_data_fields(tx);
        default:
            return fail(codes::kPayloadNotActive, "payload not active yet");
    }
}

Status apply_market_tx(StateCache& cache, const pb::Transaction& tx, const Params& p,
                       uint64_t height, const Address& sender) {
    Market m(cache, p, height);
    switch (tx.payload_case()) {
        case pb::Transaction::kSubmitTask: return submit_task(m, tx, sender);
        case pb::Transaction::kCancelTask: return cancel_task(m, tx, sender);
        case pb::Transaction::kClaimUnit: return claim_unit(m, tx, sender);
        case pb::Transaction::kCommitUnit: return commit_unit(m, tx, sender);
        case pb::Transaction::kAuditCommit: return audit_commit(m, tx, sender);
        case pb::Transaction::kAuditReveal: return audit_reveal(m, tx, sender);
        case pb::Transaction::kOpenTrace: return open_trace(m, tx, sender);
        case pb::Transaction::kProofCommit: return proof_commit(m, tx, sender);
        case pb::Transaction::kFraudProof: return fraud_proof(m, tx, sender);
        case pb::Transaction::kDataChallenge: return data_challenge(m, tx, sender);
        case pb::Transaction::kDataResponse: return data_response(m, tx, sender);
        default: return fail(codes::kPayloadNotActive, "payload not active yet");
    }
}

Status note_verifier_bond(StateCache& cache, const Address& a) {
    static const Params unused{};
    Market m(cache, unused, 0);
    return m.note_verifier(a);
}

}  // namespace detail
}  // namespace step::consensus
