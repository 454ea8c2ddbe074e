// Data availability of a unit's blobs (PROTOCOL.md section 3; docs/protocol.md): DataChallenge
// obliges a unit's solver to publish a chunk of a checkpoint or of its final state within
// DA_WINDOW. A drawn verifier's challenge moves its unit's audit windows past the latest answer.
// Answered: the chunk becomes public state (every node stores it and it cannot be challenged
// again), the challenger's bond returns, and a next-round claimant that needed the data gets its
// claim timeout moved past the answer. Unanswered while the unit is in
// flight: the solver is slashed, the unit resets and its verifiers are excused. Unanswered for the
// final state of a final unit whose next round still depends on it: the solver's general bond pays
// up to unit_bond. Either way the next round's claims are released and its commitments excused. The
// dataset's challenges are market_dataset.cc's.
#include <algorithm>

#include "common/merkle.h"
#include "consensus/canonical.h"
#include "consensus/errors.h"
#include "consensus/market.h"
#include "consensus/state.h"
#include "consensus/task_spec.h"
#include "consensus/transaction.h"
#include "kernels/spec.h"
#include "kernels/state.h"
#include "verifier/proofs.h"

namespace step::consensus {

std::optional<verifier::ChunkProof> response_chunk_proof(const pb::DataResponse& r,
                                                         Hash256* blob_root) {
    if (r.blob_root().size() != 32 || r.chunks_root().size() != 32) return std::nullopt;
    verifier::ChunkProof proof;
    proof.blob_size = r.blob_size();
    proof.index = r.chunk_index();
    proof.chunk.assign(r.chunk().begin(), r.chunk().end());
    proof.chunks_root = detail::to_hash(r.chunks_root());
    for (const auto& s : r.proof()) {
        if (s.size() != 32) return std::nullopt;
        proof.path.push_back(detail::to_hash(s));
    }
    *blob_root = detail::to_hash(r.blob_root());
    return proof;
}

}  // namespace step::consensus

namespace step::consensus::detail {
namespace {

Status fail(const ErrorCode& code, const std::string& msg) { return Status::error(code, msg); }

Status check_checkpoint(Market& m, const UnitCtx& c, uint32_t leaf) {
    const verifier::TraceShape shape = trace_shape_of(c.task);
    if (leaf == 0 || !shape.is_checkpoint(leaf) || leaf > shape.last_leaf)
        return fail(codes::kUnknownBlob, "leaf " + std::to_string(leaf) + " is not a committed checkpoint");
    if (c.unit.status() != pb::UNIT_COMMITTED && c.unit.status() != pb::UNIT_OPENED)
        return fail(codes::kWrongPhase, "only a committed, not yet final unit's checkpoints are owed");
    // Checkpoints are owed until the unit is final, so the challenge must expire by then (the
    // expiry is processed before finalisation in the same block).
    if (m.height() + m.params().da_window >
        unit_windows(c.unit.commit_height(), m.params(), c.unit.window_delay()).final_at)
        return fail(codes::kWrongPhase, "the unit is final before DA_WINDOW ends");
    return Status();
}

// Round r's final states seed round r+1 (their mean), so they are owed while a unit of round r+1
// may still become final: one neither final nor cancelled.
Result<bool> has_pending_dependant(Market& m, const UnitCtx& c) {
    if (c.round + 1 >= c.task.rounds()) return false;
    for (uint32_t k = 0; k < c.task.spec().units_per_round(); ++k) {
        auto d = m.unit(c.task_id, c.round + 1, k);
        if (!d.ok()) return d.status();
        if (d->status() != pb::UNIT_FINAL && d->status() != pb::UNIT_CANCELLED) return true;
    }
    return false;
}

Status check_final_state(Market& m, const UnitCtx& c, uint32_t leaf) {
    const uint32_t last_leaf = trace_shape_of(c.task).last_leaf;
    if (leaf != last_leaf)
        return fail(codes::kUnknownBlob, "the final state is leaf " + std::to_string(last_leaf));
    const auto s = c.unit.status();
    if (s == pb::UNIT_COMMITTED || s == pb::UNIT_OPENED) return Status();
    if (s != pb::UNIT_FINAL) return fail(codes::kWrongPhase, "the unit has no committed final state");
    auto dep = has_pending_dependant(m, c);
    if (!dep.ok()) return dep.status();
    if (!*dep) return fail(codes::kWrongPhase, "no unit of the next round depends on this final state");
    return Status();
}

// The committed leaf digest the challenged blob must match.
const std::string& committed_leaf(const UnitCtx& c, uint32_t kind, uint32_t leaf) {
    if (kind == pb::DATA_FINAL_STATE) return c.unit.final_leaf();
    return c.unit.checkpoint_leaves(
        static_cast<int>(leaf / trace_shape_of(c.task).leaves_per_checkpoint - 1));
}

// Every state of a task has the size its spec gives: a chunk past the last could never be
// answered, and a chunk answered once is in every node's store (bounds the challenges a blob
// can get to its chunk count).
Status check_chunk_owed(Market& m, const UnitCtx& c, uint32_t leaf, uint32_t kind, uint64_t chunk) {
    auto spec = spec_from_proto(c.task.spec(), c.task.budget(), c.task.unit_bond());
    if (!spec.ok()) return spec.status();
    auto bytes = kernels::state_bytes(*spec);
    if (!bytes.ok()) return bytes.status();
    const uint64_t chunks = blob_chunk_count(*bytes);
    if (chunk >= chunks)
        return fail(codes::kBadChunkIndex, "chunk " + std::to_string(chunk) + " of a state of " +
                                               std::to_string(chunks) + " chunks");
    const Hash256 digest = to_hash(committed_leaf(c, kind, leaf));
    if (*m.cache().raw(public_chunk_key(digest, chunk)))
        return fail(codes::kChunkPublic,
                    "chunk " + std::to_string(chunk) + " was answered already");
    return Status();
}

Status extend_claim(Market& m, const UnitCtx& c, const pb::DataChallengeState& ch);

}  // namespace

void forget_challenge(google::protobuf::RepeatedPtrField<std::string>& keys, const Bytes& key) {
    const std::string k(key.begin(), key.end());
    for (int i = 0; i < keys.size(); ++i)
        if (keys.Get(i) == k) {
            keys.erase(keys.begin() + i);
            return;
        }
}

Result<pb::DataChallengeState> read_challenge(Market& m, const Bytes& key) {
    auto* v = m.cache().raw(key);
    if (!*v) return fail(codes::kUnknownChallenge, "no pending challenge for this blob part");
    auto c = decode_record<pb::DataChallengeState>(**v, "data challenge");
    if (!c.ok()) return c.status();
    return *c;
}

Status check_data_fields(const pb::Transaction& tx) {
    const bool challenge = tx.has_data_challenge();
    const pb::UnitRef& ref = challenge ? tx.data_challenge().unit() : tx.data_response().unit();
    if (ref.task_id().size() != 32) return fail(codes::kBadUnitRef, "task id must be 32 bytes");
    const int kind = challenge ? tx.data_challenge().kind() : tx.data_response().kind();
    if (!pb::DataKind_IsValid(kind)) return fail(codes::kBadDataKind, "unknown data kind");
    const bool dataset = kind == pb::DATA_DATASET;
    if (challenge) {
        const auto& dc = tx.data_challenge();
        if (dataset &&
            (ref.round() || ref.unit() || dc.leaf() || dc.chunk_index() || !dc.blob_root().empty()))
            return fail(codes::kBadDataKind, "a dataset challenge names the task and a record only");
        if (!dataset && dc.record())
            return fail(codes::kBadDataKind, "a record index belongs to dataset challenges");
        return Status();
    }
    const auto& dr = tx.data_response();
    if (dataset) {
        if (ref.round() || ref.unit() || dr.leaf() || dr.chunk_index() || dr.blob_size() ||
            !dr.blob_root().empty() || !dr.chunk().empty() || !dr.chunks_root().empty())
            return fail(codes::kBadDataKind, "a dataset response carries a record and its path only");
        if (dr.record_bytes().size() > kChunkBytes)
            return fail(codes::kBadRecordSize, "record over CHUNK_BYTES");
        if (dr.proof_size() > 64) return fail(codes::kBadRecordProof, "record path over 64 hashes");
        return Status();
    }
    if (dr.record() || !dr.record_bytes().empty())
        return fail(codes::kBadDataKind, "record fields belong to dataset responses");
    if (dr.chunk().size() > kChunkBytes) return fail(codes::kBadChunkProof, "chunk over CHUNK_BYTES");
    return Status();
}

Status data_challenge(Market& m, const pb::Transaction& tx, const Address& sender) {
    const auto& dc = tx.data_challenge();
    if (dc.kind() == pb::DATA_DATASET) return dataset_challenge(m, tx, sender);
    auto cr = load_unit(m, dc.unit());
    if (!cr.ok()) return cr.status();
    UnitCtx& c = *cr;
    STEP_TRY(dc.kind() == pb::DATA_FINAL_STATE ? check_final_state(m, c, dc.leaf())
                                               : check_checkpoint(m, c, dc.leaf()));
    STEP_TRY(check_chunk_owed(m, c, dc.leaf(), dc.kind(), dc.chunk_index()));
    // Keyed by the blob's leaf, so a checkpoint that is also the final state (C/L divides U/L)
    // is challenged once whichever kind names it.
    const Bytes key = challenge_key(c.key, dc.leaf(), dc.chunk_index());
    auto* v = m.cache().raw(key);
    if (*v) return fail(codes::kDuplicateChallenge, "this chunk is already challenged");
    pb::DataChallengeState s;
    s.set_challenger(str(sender));
    s.set_height(m.height());
    s.set_bond(m.params().da_bond);  // debited by apply_tx (market_payload_amount)
    s.set_owner(c.unit.solver());
    s.set_unit_key(std::string(c.key.begin(), c.key.end()));
    s.set_task_id(str(c.task_id));
    s.set_leaf(dc.leaf());
    s.set_chunk(dc.chunk_index());
    s.set_kind(static_cast<uint32_t>(dc.kind()));
    *v = encode_message(s);
    c.unit.add_challenges(std::string(key.begin(), key.end()));
    STEP_TRY(extend_audit_windows(m, c.key, c.unit, s));
    m.put_unit(c.key, c.unit);
    return m.schedule(m.height() + m.params().da_window, c.key);
}

Status data_response(Market& m, const pb::Transaction& tx, const Address& sender) {
    const auto& dr = tx.data_response();
    if (dr.kind() == pb::DATA_DATASET) return dataset_response(m, tx, sender);
    auto cr = load_unit(m, dr.unit());
    if (!cr.ok()) return cr.status();
    UnitCtx& c = *cr;
    const Bytes key = challenge_key(c.key, dr.leaf(), dr.chunk_index());
    auto ch = read_challenge(m, key);
    if (!ch.ok()) return ch.status();
    Hash256 blob{};
    const auto proof = response_chunk_proof(dr, &blob);
    if (!proof) return fail(codes::kBadChunkProof, "roots and path items must be 32 bytes");
    if (!verifier::verify_chunk_proof(blob, *proof))
        return fail(codes::kBadChunkProof, "chunk does not prove into the blob root");
    // The blob root is the state root at that leaf: its leaf digest must be the committed leaf.
    const Hash256 leaf = kernels::leaf_digest(c.task_id, c.round, c.index, dr.leaf(), blob);
    if (str(leaf) != committed_leaf(c, ch->kind(), ch->leaf()))
        return fail(codes::kBadChunkProof, "blob root is not the committed state's");
    // Answered: the chunk is public (every node stores it, node/answered_chunks.h) and the
    // challenger's bond returns; answering earns nothing, so withholding cannot pay.
    *m.cache().raw(key) = std::nullopt;
    pb::PublicChunk pc;
    pc.set_height(m.height());
    *m.cache().raw(public_chunk_key(leaf, dr.chunk_index())) = encode_message(pc);
    forget_challenge(*c.unit.mutable_challenges(), key);
    m.put_unit(c.key, c.unit);
    STEP_TRY(extend_claim(m, c, *ch));
    return answered_refund(m, *ch);
}

Status process_challenges(Market& m, const Bytes& unit_key, pb::Unit& u, bool* withheld) {
    *withheld = false;
    const std::vector<std::string> keys(u.challenges().begin(), u.challenges().end());
    for (const auto& ks : keys) {
        const Bytes key(ks.begin(), ks.end());
        auto ch = read_challenge(m, key);
        if (!ch.ok()) return ch.status();
        if (ch->height() + m.params().da_window == m.height()) *withheld = true;
    }
    (void)unit_key;
    return Status();
}

Status release_challenges(Market& m, pb::Unit& u) {
    for (const auto& ks : u.challenges()) {
        const Bytes key(ks.begin(), ks.end());
        auto ch = read_challenge(m, key);
        if (!ch.ok()) return ch.status();
        STEP_TRY(refund_challenge(m, *ch));
        *m.cache().raw(key) = std::nullopt;
    }
    u.clear_challenges();
    return Status();
}

Status extend_audit_windows(Market& m, const Bytes& unit_key, pb::Unit& u,
                            const pb::DataChallengeState& ch) {
    if (u.status() != pb::UNIT_COMMITTED || !u.assigned()) return Status();
    const Params& p = m.params();
    const uint64_t base = unit_windows(u.commit_height(), p).commit_end;
    if (ch.height() > base) return Status();
    const pb::Audit* a = find_audit(u, to_address(ch.challenger()));
    if (!a || !a->commitment().empty()) return Status();
    const uint64_t want = ch.height() + p.da_window + p.audit_commit_window;
    if (want <= base + u.window_delay()) return Status();
    u.set_window_delay(want - base);
    const UnitWindows w = unit_windows(u.commit_height(), p, u.window_delay());
    for (uint64_t h : {w.reveal_end, w.open_end, w.final_at}) STEP_TRY(m.schedule(h, unit_key));
    return Status();
}

Status refund_challenge(Market& m, const pb::DataChallengeState& ch) {
    const Address who = to_address(ch.challenger());
    STEP_TRY(m.credit_balance(who, ch.bond()));
    return m.record(who, to_hash(ch.task_id()), 0, 0, ledger_kinds::kRefund, ch.bond(),
                    reasons::kChallengeRefund, "returned: data challenge bond");
}

// The challenger's bond returns when its challenge is answered (whoever answers).
Status answered_refund(Market& m, const pb::DataChallengeState& ch) {
    const Address who = to_address(ch.challenger());
    const auto unit = parse_unit_key(Bytes(ch.unit_key().begin(), ch.unit_key().end()));
    STEP_TRY(m.credit_balance(who, ch.bond()));
    return m.record(who, to_hash(ch.task_id()), unit ? unit->round : 0, unit ? unit->unit : 0,
                    ledger_kinds::kRefund, ch.bond(), reasons::kChallengeAnswered,
                    "returned: data challenge bond, the data was served");
}

namespace {

// Ends unit (round, k)'s claim at no cost to its solver: unit bond back, the unit reopens for
// whoever can compute its start state.
Status release_claim(Market& m, const Hash256& task_id, uint32_t round, uint32_t k,
                     const Bytes& key, pb::Unit& du, const std::string& why) {
    const UnitKey dk{task_id, round, k};
    STEP_TRY(m.release_unit_bond(to_address(du.solver()), dk, du, "released: unit bond, " + why));
    STEP_TRY(reset_unit(m, task_id, round, k, du, reasons::kDataDependantReset, why));
    m.put_unit(key, du);
    return Status();
}

// Calls f(k, key, unit) for each unit of round `round + 1`, stopping at the first error.
template <class F>
Status each_next_round_unit(Market& m, const Hash256& task_id, const pb::Task& task,
                            uint32_t round, F&& f) {
    for (uint32_t k = 0; k < task.spec().units_per_round(); ++k) {
        const Bytes key = unit_key(task_id, round + 1, k);
        auto d = m.unit_at(key);
        if (!d.ok()) return d.status();
        pb::Unit du = *d;
        STEP_TRY(f(k, key, du));
    }
    return Status();
}

// A claimant of round r+1 that challenged a final state of round r it starts from, while its
// claim was pending, gets a whole CLAIM_TIMEOUT from the answer block on. Only challenges
// raised by the undelayed timeout count, so the delay stays under DA_WINDOW + CLAIM_TIMEOUT.
Status extend_claim(Market& m, const UnitCtx& c, const pb::DataChallengeState& ch) {
    if (ch.leaf() != trace_shape_of(c.task).last_leaf) return Status();
    const Params& p = m.params();
    const Address who = to_address(ch.challenger());
    return each_next_round_unit(
        m, c.task_id, c.task, c.round, [&](uint32_t, const Bytes& key, pb::Unit& du) {
            const uint64_t base = du.claim_height() + p.claim_timeout;
            const uint64_t want = m.height() + p.claim_timeout;
            if (du.status() != pb::UNIT_CLAIMED || to_address(du.solver()) != who ||
                ch.height() > base || want <= base + du.claim_delay())
                return Status();
            du.set_claim_delay(want - base);
            m.put_unit(key, du);
            return m.schedule(want, key);
        });
}

}  // namespace

Status release_challenging_claimants(Market& m, const Hash256& task_id, const pb::Task& task,
                                     uint32_t round, uint32_t index, const pb::Unit& u) {
    if (round + 1 >= task.rounds() || u.challenges_size() == 0) return Status();
    std::vector<Address> challengers;
    for (const auto& ks : u.challenges()) {
        auto ch = read_challenge(m, Bytes(ks.begin(), ks.end()));
        if (!ch.ok()) return ch.status();
        challengers.push_back(to_address(ch->challenger()));
    }
    const std::string why = "round " + std::to_string(round) + " unit " + std::to_string(index) +
                            " reset unopened while its claimant's data challenge was pending";
    return each_next_round_unit(
        m, task_id, task, round, [&](uint32_t k, const Bytes& key, pb::Unit& du) {
            if (du.status() != pb::UNIT_CLAIMED ||
                std::find(challengers.begin(), challengers.end(), to_address(du.solver())) ==
                    challengers.end())
                return Status();
            return release_claim(m, task_id, round + 1, k, key, du, why);
        });
}

Status settle_withheld_dependants(Market& m, const Hash256& task_id, const pb::Task& task,
                                  uint32_t round, uint32_t index, const std::string& what) {
    if (round + 1 >= task.rounds()) return Status();
    const std::string why = "round " + std::to_string(round) + " unit " + std::to_string(index) +
                            "'s " + what + " was withheld";
    bool released = false;
    STEP_TRY(each_next_round_unit(
        m, task_id, task, round, [&](uint32_t k, const Bytes& key, pb::Unit& du) {
            if (du.status() == pb::UNIT_CLAIMED) {
                released = true;
                return release_claim(m, task_id, round + 1, k, key, du, why);  // it could not train
            }
            if (du.status() < pb::UNIT_COMMITTED || du.status() > pb::UNIT_OPENED || du.excused())
                return Status();
            du.set_excused(true);
            m.put_unit(key, du);
            return m.record(std::nullopt, task_id, round + 1, k, ledger_kinds::kExcuse, 0,
                            reasons::kAuditExcused, "excused: " + why);
        }));
    // A released unit of a cancelled task is cancelled, which may close the task.
    return released ? update_task_progress(m, task_id) : Status();
}

Status final_state_withheld(Market& m, const Hash256& task_id, uint32_t round, uint32_t index,
                            pb::Unit& u) {
    auto t = m.task(task_id);
    if (!t.ok()) return t.status();
    if (!*t) return Status::error(codes::kCorruptState, "challenge on a missing task");
    const pb::Task& task = **t;
    // The unit bond went back at finalisation; the general solver bond (and its unbonding
    // entries, which UNBONDING_DELAY keeps reachable) stands in for it.
    const Address solver = to_address(u.solver());
    auto acct = m.cache().account(solver);
    if (!acct.ok()) return acct.status();
    const uint64_t taken = slash_bond(**acct, BondRole::kSolver, task.unit_bond());
    STEP_TRY(m.burn(taken));
    const std::string why = "final state withheld past DA_WINDOW";
    STEP_TRY(m.record(solver, task_id, round, index, ledger_kinds::kSlash, taken, reasons::kFinalStateWithheld,
                      "slashed: " + why));
    STEP_TRY(m.record(std::nullopt, task_id, round, index, ledger_kinds::kBurn, taken,
                      reasons::kFinalStateWithheld, "burned: solver bond, " + why));
    STEP_TRY(release_challenges(m, u));
    return settle_withheld_dependants(m, task_id, task, round, index, "final state");
}

}  // namespace step::consensus::detail
