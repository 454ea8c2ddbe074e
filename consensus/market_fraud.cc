// Fraud proofs in consensus (PROTOCOL.md section 3, step 6 and "Settlement"): commit, reveal,
// the verifier's pure check, and settlement in the protocol's order.
#include <algorithm>

#include "common/hash.h"
#include "consensus/canonical.h"
#include "consensus/errors.h"
#include "consensus/market.h"
#include "consensus/task_spec.h"
#include "verifier/fraud_proof.h"

namespace step::consensus::detail {
namespace {

using u128 = unsigned __int128;

Status fail(const char* code, const std::string& msg) { return Status::error(code, msg); }

uint64_t bps(uint64_t amount, uint64_t share) {
    return static_cast<uint64_t>(static_cast<u128>(amount) * share / 10'000);
}

uint64_t flops_pay(const pb::Task& t, const Params& p) {
    return static_cast<uint64_t>(static_cast<u128>(t.unit_flops()) * p.pool_rate_per_tflop /
                                 1'000'000'000'000ull);
}

Result<std::optional<pb::WhistleAward>> read_award(Market& m, const Bytes& unit_key) {
    auto* v = m.cache().raw(award_key(unit_key));
    if (!*v) return std::optional<pb::WhistleAward>();
    auto a = decode_message<pb::WhistleAward>(**v, "whistle award");
    if (!a.ok()) return Status::error(codes::kCorruptState, a.status().message());
    return std::optional<pb::WhistleAward>(*a);
}

// Pays out of the slashed bond (`left`), each payment recorded.
Status pay_from_bond(Market& m, uint64_t& left, const Address& to, uint64_t want,
                     const UnitCtx& c, const char* code, const std::string& why) {
    const uint64_t amount = std::min(left, want);
    left -= amount;
    STEP_TRY(m.credit_balance(to, amount));
    return m.record(to, c.task_id, c.round, c.index, "payout", amount, code, why);
}

// Fraud proven on unit c at `leaf`: PROTOCOL.md's order.
Status settle_fraud(Market& m, UnitCtx& c, const Address& prover, uint32_t leaf,
                    uint64_t commit_height, const Hash256& proof_hash) {
    const Params& p = m.params();
    pb::Unit& u = c.unit;
    const Address solver = to_address(u.solver());
    uint64_t left = u.bond();
    u.set_bond(0);
    const std::string at = "fraud at leaf " + std::to_string(leaf);
    STEP_TRY(m.record(solver, c.task_id, c.round, c.index, "slash", left, reasons::kFraudProven,
                      "slashed: " + at));
    // 1. Dependants (every unit of a later round in flight) are reset; their solvers are paid
    //    for their FLOPs and their verifiers' audits, then get their bonds back.
    const uint32_t K = c.task.spec().units_per_round();
    for (uint32_t r = c.round + 1; r < c.task.rounds(); ++r)
        for (uint32_t k = 0; k < K; ++k) {
            const Bytes key = unit_key(c.task_id, r, k);
            auto du = m.unit_at(key);
            if (!du.ok()) return du.status();
            pb::Unit d = *du;
            if (d.status() < pb::UNIT_CLAIMED || d.status() > pb::UNIT_OPENED) continue;
            UnitCtx dc{c.task_id, c.task, r, k, key, d};
            const Address ds = to_address(d.solver());
            if (d.status() >= pb::UNIT_COMMITTED)
                STEP_TRY(pay_from_bond(m, left, ds, flops_pay(c.task, p), dc, reasons::kDependantFlops,
                                       "paid: dependant reset by " + at));
            for (const auto& a : d.audits())
                if (a.revealed() && !a.settled())  // not already paid at OpenTrace
                    STEP_TRY(pay_from_bond(m, left, to_address(a.verifier()), c.task.audit_fee(), dc,
                                           reasons::kDependantAuditFee, "paid: audit of a reset dependant"));
            auto acct = m.cache().account(ds);
            if (!acct.ok()) return acct.status();
            if (__builtin_add_overflow((*acct)->solver_bond, d.bond(), &(*acct)->solver_bond))
                return fail(codes::kAmountOverflow, "solver bond overflows u64");
            STEP_TRY(m.record(ds, c.task_id, r, k, "bond-release", d.bond(), reasons::kBondRelease,
                              "released: unit bond of a reset dependant"));
            d.set_bond(0);
            STEP_TRY(reset_unit(m, c.task_id, r, k, d, reasons::kDependantReset, "dependant of " + at));
            m.put_unit(key, d);
        }
    // 2. WHISTLE_SHARE of the rest to the prover (held for the contest window); self-reporting
    //    never pays. 3. The remainder is burned.
    const uint64_t whistle = prover == solver ? 0 : bps(left, p.whistle_share_bps);
    const uint64_t burned = left - whistle;
    STEP_TRY(m.burn(burned));
    STEP_TRY(m.record(std::nullopt, c.task_id, c.round, c.index, "burn", burned, reasons::kFraudBurn,
                      "burned: rest of the unit bond, " + at));
    if (whistle > 0) {
        pb::WhistleAward w;
        w.set_prover(str(prover));
        w.set_commit_height(commit_height);
        w.set_proof_hash(str(proof_hash));
        w.set_amount(whistle);
        w.set_pay_height(m.height() + p.proof_contest_window);
        w.set_leaf(leaf);
        *m.cache().raw(award_key(c.key)) = encode_message(w);
        STEP_TRY(m.schedule(w.pay_height(), c.key));
    }
    // 4. Verifiers that revealed the wrong leaf (their range covered it) are slashed.
    const uint64_t cp = c.task.spec().checkpoint_interval() / c.task.spec().leaf_interval();
    for (const auto& a : u.audits()) {
        if (!a.revealed()) continue;
        const auto idx = audit_digest_leaves({a.leaves().begin(), a.leaves().end()}, cp);
        bool lazy = false;
        for (size_t i = 0; i < idx.size(); ++i)
            if (idx[i] == leaf && a.digests(static_cast<int>(i)) == u.leaves(static_cast<int>(leaf)))
                lazy = true;
        if (!lazy) continue;
        const Address v = to_address(a.verifier());
        auto acct = m.cache().account(v);
        if (!acct.ok()) return acct.status();
        const uint64_t taken = slash_bond(**acct, BondRole::kVerifier, p.lazy_slash);
        STEP_TRY(m.burn(taken));
        STEP_TRY(m.record(v, c.task_id, c.round, c.index, "slash", taken, reasons::kLazyVerifier,
                          "slashed: agreed with the wrong leaf " + std::to_string(leaf)));
    }
    // 5. The unit reopens from its start state (the last good state).
    STEP_TRY(reset_unit(m, c.task_id, c.round, c.index, u, reasons::kFraudProven, at));
    m.put_unit(c.key, u);
    return Status();
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
    const Params& p = m.params();
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
    auto pc = decode_message<pb::ProofCommitment>(**cv, "proof commitment");
    if (!pc.ok()) return Status::error(codes::kCorruptState, pc.status().message());
    if (pc->height() >= m.height())
        return fail(codes::kNoProofCommit, "the commitment must be in an earlier block");
    const Hash256 proof_hash = sha256(as_bytes(fp.proof()));

    // A copy contest: the same proof already proved this unit's fraud; an earlier commitment
    // takes the held whistle reward over (no replay needed: the bytes are identical).
    auto award = read_award(m, c.key);
    if (!award.ok()) return award.status();
    if (*award && (*award)->proof_hash() == str(proof_hash)) {
        if (pc->height() >= (*award)->commit_height())
            return fail(codes::kWrongPhase, "the same proof was committed earlier by another prover");
        pb::WhistleAward w = **award;
        w.set_prover(str(prover));
        w.set_commit_height(pc->height());
        *m.cache().raw(award_key(c.key)) = encode_message(w);
        *cv = std::nullopt;
        STEP_TRY(m.credit_balance(prover, pc->bond()));
        return m.record(prover, c.task_id, c.round, c.index, "refund", pc->bond(),
                        reasons::kProofBondReturned, "returned: proof bond (earlier commitment wins)");
    }

    if (c.unit.status() != pb::UNIT_OPENED)
        return fail(codes::kWrongPhase, "fraud proofs need an opened, not yet final trace");
    auto spec = spec_from_proto(c.task.spec(), c.task.budget(), c.task.unit_bond());
    if (!spec.ok()) return spec.status();
    auto flops = verifier::fraud_proof_flops(*spec, c.round, proof->leaf);
    if (!flops.ok()) return flops.status();
    auto* fv = m.cache().raw(block_flops_key());
    uint64_t used = 0;
    if (*fv)
        for (size_t i = 0; i < (*fv)->size() && i < 8; ++i) used |= uint64_t{(**fv)[i]} << (8 * i);
    if (*flops > p.max_block_proof_flops || used > p.max_block_proof_flops - *flops)
        return fail(codes::kBlockProofFlops, "block replay would exceed MAX_BLOCK_PROOF_FLOPS");
    Bytes nu;
    append_u64le(nu, used + *flops);
    *fv = nu;

    verifier::FraudCheckContext ctx;
    ctx.unit = verifier::UnitRef{c.task_id, c.round, c.index};
    ctx.dataset_root = to_hash(c.task.spec().dataset_root());
    ctx.dataset_count = c.task.spec().data_count();
    ctx.trace_root = to_hash(c.unit.trace_root());
    ctx.leaf_count = static_cast<uint32_t>(c.unit.leaves_size());
    ctx.max_proof_bytes = p.max_proof_bytes;
    if (proof->leaf == 0 && c.round > 0)
        for (uint32_t k = 0; k < c.task.spec().units_per_round(); ++k) {
            auto pu = m.unit(c.task_id, c.round - 1, k);
            if (!pu.ok()) return pu.status();
            ctx.previous_final_leaves.push_back(to_hash(pu->final_leaf()));
        }
    auto verdict = verifier::check_fraud_proof(*spec, ctx, *proof);
    if (!verdict.ok()) return verdict.status();

    *cv = std::nullopt;  // the commitment is used; its bond is settled below
    const uint64_t bond = pc->bond();
    if (verdict->fraud) {
        STEP_TRY(m.credit_balance(prover, bond));
        STEP_TRY(m.record(prover, c.task_id, c.round, c.index, "refund", bond,
                          reasons::kProofBondReturned, "returned: proof bond, " + verdict->reason));
        return settle_fraud(m, c, prover, proof->leaf, pc->height(), proof_hash);
    }
    // The leaf was right: at least half the bond burned, the rest to the solver.
    const uint64_t burned = std::max(bps(bond, p.proof_burn_bps), bond - bond / 2);
    const Address solver = to_address(c.unit.solver());
    STEP_TRY(m.burn(burned));
    STEP_TRY(m.record(prover, c.task_id, c.round, c.index, "slash", bond, reasons::kProofFailedBurn,
                      "slashed: false fraud proof, " + verdict->reason));
    STEP_TRY(m.credit_balance(solver, bond - burned));
    return m.record(solver, c.task_id, c.round, c.index, "payout", bond - burned,
                    reasons::kProofFailedToSolver, "paid: share of a false proof's bond");
}

Status process_award(Market& m, const Bytes& unit_key) {
    auto award = read_award(m, unit_key);
    if (!award.ok()) return award.status();
    if (!*award || (*award)->pay_height() != m.height()) return Status();
    const pb::WhistleAward& w = **award;
    const Address prover = to_address(w.prover());
    Hash256 task{};
    std::copy(unit_key.begin() + 1, unit_key.begin() + 33, task.begin());
    uint32_t round = 0, unit = 0;
    for (int i = 0; i < 4; ++i) {
        round = (round << 8) | unit_key[33 + static_cast<size_t>(i)];
        unit = (unit << 8) | unit_key[37 + static_cast<size_t>(i)];
    }
    STEP_TRY(m.credit_balance(prover, w.amount()));
    STEP_TRY(m.record(prover, task, round, unit, "payout", w.amount(), reasons::kWhistleReward,
                      "paid: whistle reward, fraud at leaf " + std::to_string(w.leaf())));
    *m.cache().raw(award_key(unit_key)) = std::nullopt;
    return Status();
}

}  // namespace step::consensus::detail
