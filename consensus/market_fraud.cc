// Fraud proofs in consensus (PROTOCOL.md section 3, step 6 and "Settlement"): commit, reveal,
// the verifier's pure check, and settlement in the protocol's order.
#include <algorithm>

#include "common/coding.h"
#include "common/hash.h"
#include "consensus/canonical.h"
#include "consensus/errors.h"
#include "consensus/market.h"
#include "consensus/task_spec.h"
#include "verifier/fraud_proof.h"

namespace step::consensus::detail {
namespace {

using u128 = unsigned __int128;

Status fail(const ErrorCode& code, const std::string& msg) { return Status::error(code, msg); }

uint64_t bps(uint64_t amount, uint64_t share) {
    return static_cast<uint64_t>(static_cast<u128>(amount) * share / 10'000);
}

Result<std::optional<pb::WhistleAward>> read_award(Market& m, const Bytes& unit_key) {
    auto* v = m.cache().raw(award_key(unit_key));
    if (!*v) return std::optional<pb::WhistleAward>();
    auto a = decode_record<pb::WhistleAward>(**v, "whistle award");
    if (!a.ok()) return a.status();
    return std::optional<pb::WhistleAward>(*a);
}

// Pays out of the slashed bond (`left`), each payment recorded.
Status pay_from_bond(Market& m, uint64_t& left, const Address& to, uint64_t want,
                     const UnitCtx& c, const char* code, const std::string& why) {
    const uint64_t amount = std::min(left, want);
    left -= amount;
    STEP_TRY(m.credit_balance(to, amount));
    return m.record(to, c.task_id, c.round, c.index, ledger_kinds::kPayout, amount, code, why);
}

// Step 1 of settle_fraud for unit (r, k) of a later round: a dependant in flight is reset; its
// solver is paid for its FLOPs and its verifiers for their revealed audits out of the slashed
// bond (`left`), then gets its unit bond back.
Status reset_dependant(Market& m, const UnitCtx& c, uint32_t r, uint32_t k, uint64_t& left,
                       const std::string& at) {
    const Bytes key = unit_key(c.task_id, r, k);
    auto du = m.unit_at(key);
    if (!du.ok()) return du.status();
    pb::Unit d = *du;
    if (d.status() < pb::UNIT_CLAIMED || d.status() > pb::UNIT_OPENED) return Status();
    const UnitCtx dc{c.task_id, c.task, r, k, key, d};
    const Address ds = to_address(d.solver());
    if (d.status() >= pb::UNIT_COMMITTED)
        STEP_TRY(pay_from_bond(m, left, ds, flops_pay(c.task.unit_flops(), m.params()), dc,
                               reasons::kDependantFlops, "paid: dependant reset by " + at));
    for (const auto& a : d.audits())
        if (a.revealed() && !a.settled())  // not already paid at OpenTrace
            STEP_TRY(pay_from_bond(m, left, to_address(a.verifier()), c.task.audit_fee(), dc,
                                   reasons::kDependantAuditFee, "paid: audit of a reset dependant"));
    STEP_TRY(m.release_unit_bond(ds, UnitKey{c.task_id, r, k}, d,
                                 "released: unit bond of a reset dependant"));
    STEP_TRY(reset_unit(m, c.task_id, r, k, d, reasons::kDependantReset, "dependant of " + at));
    m.put_unit(key, d);
    return Status();
}

// Steps 2 and 3 of settle_fraud: WHISTLE_SHARE of what is left of the bond to the prover, held
// for the contest window (self-reporting never pays); the remainder is burned.
Status burn_and_hold_award(Market& m, const UnitCtx& c, uint64_t left, const Address& prover,
                           uint32_t leaf, uint64_t commit_height, const Hash256& proof_hash,
                           const std::string& at) {
    const Params& p = m.params();
    const uint64_t whistle = prover == to_address(c.unit.solver()) ? 0 : bps(left, p.whistle_share_bps);
    const uint64_t burned = left - whistle;
    STEP_TRY(m.burn(burned));
    STEP_TRY(m.record(std::nullopt, c.task_id, c.round, c.index, ledger_kinds::kBurn, burned,
                      reasons::kFraudBurn, "burned: rest of the unit bond, " + at));
    if (whistle == 0) return Status();
    pb::WhistleAward w;
    w.set_prover(str(prover));
    w.set_commit_height(commit_height);
    w.set_proof_hash(str(proof_hash));
    w.set_amount(whistle);
    w.set_pay_height(m.height() + p.proof_contest_window);
    w.set_leaf(leaf);
    *m.cache().raw(award_key(c.key)) = encode_message(w);
    return m.schedule(w.pay_height(), c.key);
}

// Step 4 of settle_fraud: verifiers that revealed the wrong leaf (their range covered it) are
// slashed.
Status slash_lazy_verifiers(Market& m, const UnitCtx& c, uint32_t leaf) {
    const pb::Unit& u = c.unit;
    const uint64_t cp = trace_shape_of(c.task).leaves_per_checkpoint;
    for (const auto& a : u.audits()) {
        if (!a.revealed()) continue;
        const auto idx = audit_digest_leaves({a.leaves().begin(), a.leaves().end()}, cp);
        bool lazy = false;
        for (size_t i = 0; i < idx.size(); ++i)
            if (idx[i] == leaf && a.digests(static_cast<int>(i)) == u.leaves(static_cast<int>(leaf)))
                lazy = true;
        if (!lazy) continue;
        STEP_TRY(slash_verifier(m, UnitKey{c.task_id, c.round, c.index}, to_address(a.verifier()),
                                m.params().lazy_slash, reasons::kLazyVerifier,
                                "agreed with the wrong leaf " + std::to_string(leaf)));
    }
    return Status();
}

// Fraud proven on unit c at `leaf`: PROTOCOL.md's order.
Status settle_fraud(Market& m, UnitCtx& c, const Address& prover, uint32_t leaf,
                    uint64_t commit_height, const Hash256& proof_hash) {
    pb::Unit& u = c.unit;
    uint64_t left = u.bond();
    u.set_bond(0);
    const std::string at = "fraud at leaf " + std::to_string(leaf);
    STEP_TRY(m.record(to_address(u.solver()), c.task_id, c.round, c.index, ledger_kinds::kSlash,
                      left, reasons::kFraudProven, "slashed: " + at));
    for (uint32_t r = c.round + 1; r < c.task.rounds(); ++r)
        for (uint32_t k = 0; k < c.task.spec().units_per_round(); ++k)
            STEP_TRY(reset_dependant(m, c, r, k, left, at));
    STEP_TRY(burn_and_hold_award(m, c, left, prover, leaf, commit_height, proof_hash, at));
    STEP_TRY(slash_lazy_verifiers(m, c, leaf));
    // 5. The unit reopens from its start state (the last good state).
    STEP_TRY(reset_unit(m, c.task_id, c.round, c.index, u, reasons::kFraudProven, at));
    m.put_unit(c.key, u);
    return Status();
}

// A copy contest: the same proof already proved this unit's fraud (the bytes are identical, so
// no replay is needed). An earlier commitment takes the held whistle reward over; a later one
// made before the proof was revealed in a block is an independent find, not a copy, and earns
// nothing; either way the commitment's bond returns. A commitment from the revealing block on
// may be a copy: refused ("wrong-phase"), its bond stays locked. Sets *settled when it was one.
Status contest_copy(Market& m, const UnitCtx& c, const Address& prover,
                    const pb::ProofCommitment& pc, std::optional<Bytes>* commit_record,
                    const Hash256& proof_hash, bool* settled) {
    *settled = false;
    auto award = read_award(m, c.key);
    if (!award.ok()) return award.status();
    if (!*award || (*award)->proof_hash() != str(proof_hash)) return Status();
    pb::WhistleAward w = **award;
    // The award was created by the first reveal, PROOF_CONTEST_WINDOW before it pays.
    const uint64_t revealed_at = w.pay_height() - m.params().proof_contest_window;
    const bool earlier = pc.height() < w.commit_height();
    if (!earlier && pc.height() >= revealed_at)
        return fail(codes::kWrongPhase, "the same proof was committed earlier by another prover");
    if (earlier) {
        w.set_prover(str(prover));
        w.set_commit_height(pc.height());
        *m.cache().raw(award_key(c.key)) = encode_message(w);
    }
    *commit_record = std::nullopt;
    *settled = true;
    STEP_TRY(m.credit_balance(prover, pc.bond()));
    const std::string why = earlier ? "earlier commitment wins" : "committed before the reveal";
    return m.record(prover, c.task_id, c.round, c.index, ledger_kinds::kRefund, pc.bond(),
                    reasons::kProofBondReturned, "returned: proof bond (" + why + ")");
}

// Counts a proof's replay against the block's MAX_BLOCK_PROOF_FLOPS ("block-proof-flops").
Status charge_replay_flops(Market& m, uint64_t flops) {
    const Params& p = m.params();
    auto* fv = m.cache().raw(block_flops_key());
    uint64_t used = 0;
    if (*fv && !ByteReader(**fv).read_u64le(used))
        return Status::error(codes::kCorruptState, "block replay FLOPs do not parse");
    if (flops > p.max_block_proof_flops || used > p.max_block_proof_flops - flops)
        return fail(codes::kBlockProofFlops, "block replay would exceed MAX_BLOCK_PROOF_FLOPS");
    Bytes nu;
    append_u64le(nu, used + flops);
    *fv = nu;
    return Status();
}

// What the pure check needs from the state: the unit's commitments, the dataset, and for leaf
// 0 of a later round the previous round's final leaves.
Result<verifier::FraudCheckContext> check_context(Market& m, const UnitCtx& c, uint32_t leaf) {
    verifier::FraudCheckContext ctx;
    ctx.unit = verifier::UnitRef{c.task_id, c.round, c.index};
    ctx.dataset_root = to_hash(c.task.spec().dataset_root());
    ctx.dataset_count = c.task.spec().data_count();
    ctx.trace_root = to_hash(c.unit.trace_root());
    ctx.leaf_count = static_cast<uint32_t>(c.unit.leaves_size());
    ctx.max_proof_bytes = m.params().max_proof_bytes;
    if (leaf == 0 && c.round > 0)
        for (uint32_t k = 0; k < c.task.spec().units_per_round(); ++k) {
            auto pu = m.unit(c.task_id, c.round - 1, k);
            if (!pu.ok()) return pu.status();
            ctx.previous_final_leaves.push_back(to_hash(pu->final_leaf()));
        }
    return ctx;
}

// The leaf was right: at least half the proof bond burned, the rest to the solver.
Status settle_false_proof(Market& m, const UnitCtx& c, const Address& prover, uint64_t bond,
                          const std::string& why) {
    const uint64_t burned = std::max(bps(bond, m.params().proof_burn_bps), bond - bond / 2);
    const Address solver = to_address(c.unit.solver());
    STEP_TRY(m.burn(burned));
    STEP_TRY(m.record(prover, c.task_id, c.round, c.index, ledger_kinds::kSlash, bond,
                      reasons::kProofFailedBurn, "slashed: false fraud proof, " + why));
    STEP_TRY(m.credit_balance(solver, bond - burned));
    return m.record(solver, c.task_id, c.round, c.index, ledger_kinds::kPayout, bond - burned,
                    reasons::kProofFailedToSolver, "paid: share of a false proof's bond");
}

}  // namespace

Status proof_commit(Market& m, const pb::Transaction& tx, const Address& sender) {
    const Bytes key = proof_commit_key(as_bytes(tx.proof_commit().commitment()));
    auto* v = m.cache().raw(key);
    if (*v) return fail(codes::kDuplicateProofCommit, "commitment already posted");
    pb::ProofCommitment pc;
    pc.set_prover(str(sender));
    pc.set_height(m.height());
    pc.set_bond(m.params().proof_bond);  // debited by apply_tx (market_payload_amount)
    *v = encode_message(pc);
    return Status();
}

Status fraud_proof(Market& m, const pb::Transaction& tx, const Address& sender) {
    const auto& fp = tx.fraud_proof();
    auto cr = load_unit(m, fp.unit());
    if (!cr.ok()) return cr.status();
    UnitCtx& c = *cr;
    auto proof = verifier::decode_fraud_proof(as_bytes(fp.proof()));
    if (!proof.ok()) return proof.status();
    if (proof->leaf != fp.leaf_index())
        return fail(codes::kBadProof, "proof is for leaf " + std::to_string(proof->leaf));
    const Address prover = sender;
    const Hash256 commitment = verifier::fraud_proof_commitment(*proof, ByteSpan(prover.data(), prover.size()));
    const Bytes ckey = proof_commit_key(ByteSpan(commitment.data(), commitment.size()));
    auto* cv = m.cache().raw(ckey);
    if (!*cv) return fail(codes::kNoProofCommit, "no earlier ProofCommit of H(proof, prover)");
    auto pc = decode_record<pb::ProofCommitment>(**cv, "proof commitment");
    if (!pc.ok()) return pc.status();
    if (pc->height() >= m.height())
        return fail(codes::kNoProofCommit, "the commitment must be in an earlier block");
    const Hash256 proof_hash = sha256(as_bytes(fp.proof()));
    bool copy = false;
    STEP_TRY(contest_copy(m, c, prover, *pc, cv, proof_hash, &copy));
    if (copy) return Status();

    if (c.unit.status() != pb::UNIT_OPENED)
        return fail(codes::kWrongPhase, "fraud proofs need an opened, not yet final trace");
    auto spec = spec_from_proto(c.task.spec(), c.task.budget(), c.task.unit_bond());
    if (!spec.ok()) return spec.status();
    auto flops = verifier::fraud_proof_flops(*spec, c.round, proof->leaf);
    if (!flops.ok()) return flops.status();
    STEP_TRY(charge_replay_flops(m, *flops));
    auto ctx = check_context(m, c, proof->leaf);
    if (!ctx.ok()) return ctx.status();
    auto verdict = verifier::check_fraud_proof(*spec, *ctx, *proof);
    if (!verdict.ok()) return verdict.status();

    *cv = std::nullopt;  // the commitment is used; its bond is settled below
    const uint64_t bond = pc->bond();
    if (!verdict->fraud) return settle_false_proof(m, c, prover, bond, verdict->reason);
    STEP_TRY(m.credit_balance(prover, bond));
    STEP_TRY(m.record(prover, c.task_id, c.round, c.index, ledger_kinds::kRefund, bond,
                      reasons::kProofBondReturned, "returned: proof bond, " + verdict->reason));
    return settle_fraud(m, c, prover, proof->leaf, pc->height(), proof_hash);
}

Status process_award(Market& m, const Bytes& unit_key, const UnitKey& unit) {
    auto award = read_award(m, unit_key);
    if (!award.ok()) return award.status();
    if (!*award || (*award)->pay_height() != m.height()) return Status();
    const pb::WhistleAward& w = **award;
    const Address prover = to_address(w.prover());
    STEP_TRY(m.credit_balance(prover, w.amount()));
    STEP_TRY(m.record(prover, unit.task, unit.round, unit.unit, ledger_kinds::kPayout, w.amount(), reasons::kWhistleReward,
                      "paid: whistle reward, fraud at leaf " + std::to_string(w.leaf())));
    *m.cache().raw(award_key(unit_key)) = std::nullopt;
    return Status();
}

}  // namespace step::consensus::detail
