// Data availability of a task's dataset (PROTOCOL.md section 3; docs/protocol.md). The dataset
// root is the RFC-6962 root over record hashes (kernels/data.h), so a challenge names one record
// and anyone answers with its bytes and path. A dataset withheld past DA_WINDOW cancels the task:
// solvers in flight get their unit bond back and their unit pay from escrow, their verifiers are
// excused, and the owner (who has no bond) loses the rest of the escrow, burned.
#include <algorithm>

#include "consensus/canonical.h"
#include "consensus/errors.h"
#include "consensus/market.h"
#include "kernels/data.h"
#include "verifier/proofs.h"

namespace step::consensus::detail {
namespace {

Status fail(const ErrorCode& code, const std::string& msg) { return Status::error(code, msg); }

Result<std::pair<Hash256, pb::Task>> open_task(Market& m, const pb::UnitRef& ref) {
    const Hash256 id = to_hash(ref.task_id());
    auto t = m.task(id);
    if (!t.ok()) return t.status();
    if (!*t) return fail(codes::kUnknownTask, "no task " + to_hex(id));
    return std::make_pair(id, **t);
}

// Returns every pending dataset challenge's bond and forgets them.
Status release_dataset_challenges(Market& m, pb::Task& t) {
    for (const auto& ks : t.data_challenges()) {
        const Bytes key(ks.begin(), ks.end());
        auto ch = read_challenge(m, key);
        if (!ch.ok()) return ch.status();
        STEP_TRY(refund_challenge(m, *ch));
        *m.cache().raw(key) = std::nullopt;
    }
    t.clear_data_challenges();
    return Status();
}

// Settles one unit of a task whose dataset was withheld (the task already marked cancelled, so
// reset_unit cancels rather than reopens).
Status settle_unit(Market& m, const Hash256& id, pb::Task& task, uint32_t r, uint32_t k) {
    const Bytes key = unit_key(id, r, k);
    auto ur = m.unit_at(key);
    if (!ur.ok()) return ur.status();
    pb::Unit u = *ur;
    switch (u.status()) {
        case pb::UNIT_OPEN:
            u.set_status(pb::UNIT_CANCELLED);
            STEP_TRY(m.record(std::nullopt, id, r, k, ledger_kinds::kCancel, 0, reasons::kUnitCancelled,
                              "cancelled: unclaimed unit, the dataset was withheld"));
            break;
        case pb::UNIT_CLAIMED:
        case pb::UNIT_COMMITTED:
        case pb::UNIT_OPENED: {
            for (const auto& a : u.audits())
                if (!a.settled())
                    STEP_TRY(m.record(to_address(a.verifier()), id, r, k, ledger_kinds::kExcuse, 0,
                                      reasons::kAuditExcused, "excused: the dataset was withheld"));
            // The solver's cost: the unit bond back and the unit's pay, as far as escrow goes.
            const Address solver = to_address(u.solver());
            STEP_TRY(m.release_unit_bond(solver, UnitKey{id, r, k}, u,
                                         "released: unit bond, the dataset was withheld"));
            const uint64_t pay = std::min(task.escrow(), task.unit_pay());
            task.set_escrow(task.escrow() - pay);
            STEP_TRY(m.credit_balance(solver, pay));
            STEP_TRY(m.record(solver, id, r, k, ledger_kinds::kPayout, pay, reasons::kDatasetWithheldPay,
                              "paid: unit pay, the dataset was withheld"));
            STEP_TRY(reset_unit(m, id, r, k, u, reasons::kDatasetWithheld, "the dataset was withheld"));
            break;
        }
        case pb::UNIT_FINAL:
            // Nothing depends on its final state any more: pending challenges are moot.
            STEP_TRY(release_challenges(m, u));
            break;
        default: break;
    }
    m.put_unit(key, u);
    return Status();
}

Status withhold_dataset(Market& m, const Hash256& id, pb::Task task) {
    task.set_cancelled(true);
    m.put_task(id, task);  // reset_unit reads it
    for (uint32_t r = 0; r < task.rounds(); ++r)
        for (uint32_t k = 0; k < task.spec().units_per_round(); ++k)
            STEP_TRY(settle_unit(m, id, task, r, k));
    STEP_TRY(release_dataset_challenges(m, task));
    // The owner posted no bond; its escrow is the only stake it has in the task. Burning the
    // rest (rather than refunding it) makes withholding cost the owner what it would have paid.
    const uint64_t rest = task.escrow();
    task.set_escrow(0);
    task.set_done(true);
    STEP_TRY(m.burn(rest));
    const Address owner = to_address(task.owner());
    STEP_TRY(m.record(owner, id, 0, 0, ledger_kinds::kSlash, rest, reasons::kDatasetWithheld,
                      "slashed: escrow left when the dataset was withheld"));
    STEP_TRY(m.record(std::nullopt, id, 0, 0, ledger_kinds::kBurn, rest, reasons::kDatasetWithheld,
                      "burned: escrow, the dataset was withheld past DA_WINDOW"));
    m.put_task(id, task);
    return Status();
}

}  // namespace

Status dataset_challenge(Market& m, const pb::Transaction& tx, const Address& sender) {
    const auto& dc = tx.data_challenge();
    auto tr = open_task(m, dc.unit());
    if (!tr.ok()) return tr.status();
    auto& [id, task] = *tr;
    if (task.cancelled() || task.done()) return fail(codes::kTaskClosed, "task closed");
    if (dc.record() >= task.spec().data_count())
        return fail(codes::kBadRecordIndex, "record " + std::to_string(dc.record()) + " of " +
                                                std::to_string(task.spec().data_count()));
    const Bytes key = record_challenge_key(id, dc.record());
    auto* v = m.cache().raw(key);
    if (*v) return fail(codes::kDuplicateChallenge, "this record is already challenged");
    pb::DataChallengeState s;
    s.set_challenger(str(sender));
    s.set_height(m.height());
    s.set_bond(m.params().da_bond);  // debited by apply_tx (market_payload_amount)
    s.set_owner(task.owner());
    s.set_task_id(str(id));
    s.set_kind(pb::DATA_DATASET);
    s.set_record(dc.record());
    *v = encode_message(s);
    task.add_data_challenges(std::string(key.begin(), key.end()));
    m.put_task(id, task);
    // A task-level deadline rides on unit (task, 0, 0)'s deadline list entry.
    return m.schedule(m.height() + m.params().da_window, unit_key(id, 0, 0));
}

Status dataset_response(Market& m, const pb::Transaction& tx, const Address& /*responder*/) {
    const auto& dr = tx.data_response();
    auto tr = open_task(m, dr.unit());
    if (!tr.ok()) return tr.status();
    auto& [id, task] = *tr;
    const Bytes key = record_challenge_key(id, dr.record());
    auto ch = read_challenge(m, key);
    if (!ch.ok()) return ch.status();
    auto fmt = kernels::record_format(task.spec().data_format());
    if (!fmt.ok()) return Status::error(codes::kCorruptState, "task with an unknown data format");
    if (dr.record_bytes().size() != static_cast<size_t>(fmt->record_bytes))
        return fail(codes::kBadRecordSize, "a " + fmt->name + " record is " +
                                               std::to_string(fmt->record_bytes) + " bytes");
    verifier::RecordProof proof;
    proof.index = dr.record();
    proof.record.assign(dr.record_bytes().begin(), dr.record_bytes().end());
    for (const auto& s : dr.proof()) {
        if (s.size() != 32) return fail(codes::kBadRecordProof, "path items must be 32 bytes");
        proof.path.push_back(to_hash(s));
    }
    if (!verifier::verify_record_proof(to_hash(task.spec().dataset_root()), task.spec().data_count(), proof))
        return fail(codes::kBadRecordProof, "record does not prove into the dataset root");
    *m.cache().raw(key) = std::nullopt;
    forget_challenge(*task.mutable_data_challenges(), key);
    m.put_task(id, task);
    return answered_refund(m, *ch);
}

Status process_dataset_challenges(Market& m, const Hash256& id, bool* cancelled) {
    *cancelled = false;
    auto t = m.task(id);
    if (!t.ok()) return t.status();
    if (!*t || (*t)->data_challenges_size() == 0) return Status();
    bool withheld = false;
    for (const auto& ks : (*t)->data_challenges()) {
        auto ch = read_challenge(m, Bytes(ks.begin(), ks.end()));
        if (!ch.ok()) return ch.status();
        if (ch->height() + m.params().da_window == m.height()) withheld = true;
    }
    if (!withheld) return Status();
    pb::Task task = **t;
    if (task.done()) {
        // The task closed meanwhile (every round final): nothing is left to cancel or refund.
        STEP_TRY(release_dataset_challenges(m, task));
        m.put_task(id, task);
        return Status();
    }
    *cancelled = true;
    return withhold_dataset(m, id, task);
}

}  // namespace step::consensus::detail
