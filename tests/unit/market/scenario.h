// A round of a task driven block by block through claim, commit, assignment, audits, opening and
// finality, with per-party behaviour switches so each scenario changes one thing.
#pragma once

#include "tests/unit/market/market_sim.h"
#include "verifier/fraud_proof.h"
#include "verifier/proofs.h"
#include "verifier/whistle.h"

namespace step::consensus::market_test {

enum class Verifier { kHonest, kAbsent, kSilentReveal, kLiar, kLazyCopy };

struct RoundPlan {
    std::vector<Address> solvers;                      // one per unit
    std::map<Address, Verifier> verifiers;             // default honest
    std::set<uint32_t> unopened;                       // units whose solver never opens
    std::map<uint32_t, std::vector<Hash256>> forged;   // unit -> leaves committed instead
};

struct World {
    Sim sim;
    kernels::TaskSpec spec = small_spec();
    Address owner, miner;
    std::vector<Address> solvers, verifiers;
    Hash256 task{};

    // owner 1, solvers 2..3, verifiers 4..6; the task is submitted at the end.
    explicit World(const kernels::TaskSpec& s = small_spec(), int n_verifiers = 3) : spec(s) {
        owner = sim.party(1);
        miner = sim.party(9);
        sim.mine_to(owner, 1);
        for (uint8_t i = 2; i <= 3; ++i) {
            solvers.push_back(sim.party(i));
            sim.fund_and_bond(solvers.back(), 1, pb::BOND_ROLE_SOLVER, 10 * kCoin);
        }
        for (uint8_t i = 4; i < 4 + n_verifiers; ++i) {
            verifiers.push_back(sim.party(i));
            sim.fund_and_bond(verifiers.back(), 2, pb::BOND_ROLE_VERIFIER, 20 * kCoin);
        }
        task = sim.submit(owner, spec);
    }

    kernels::TrainState start_of(uint32_t round, const std::vector<UnitWork>& prev) {
        if (round == 0) return *kernels::init_state(spec);
        std::vector<kernels::TrainState> finals;
        for (const auto& w : prev) finals.push_back(w.final_state);
        return *kernels::mean_states(finals, kernels::Exec{});
    }

    // Claims and commits every unit of `round` (work computed honestly from `start`, or forged),
    // returning the honest work and the commit height.
    std::vector<UnitWork> claim_and_commit(uint32_t round, const kernels::TrainState& start,
                                           const RoundPlan& plan, uint64_t* commit_height) {
        std::vector<pb::Transaction> claims;
        for (uint32_t k = 0; k < spec.units_per_round; ++k)
            claims.push_back(sim.claim_tx(plan.solvers[k], task, round, k));
        sim.block(claims);
        std::vector<UnitWork> work;
        std::vector<pb::Transaction> commits;
        for (uint32_t k = 0; k < spec.units_per_round; ++k) {
            work.push_back(sim.train(spec, task, round, k, start));
            auto it = plan.forged.find(k);
            const auto& leaves = it != plan.forged.end() ? it->second : work.back().leaves;
            commits.push_back(sim.commit_tx(plan.solvers[k], task, round, k, spec, leaves, work.back().last_loss));
        }
        sim.block(commits);
        *commit_height = sim.height();
        return work;
    }

    // A round in flight: its commit height, the leaves each unit committed, the true leaves.
    struct Active {
        uint32_t round = 0;
        uint64_t commit = 0;
        std::vector<std::vector<Hash256>> committed, honest;
        RoundPlan plan;
    };
    Active active(uint32_t round, uint64_t c, const std::vector<UnitWork>& work, const RoundPlan& plan) {
        Active a{round, c, {}, {}, plan};
        for (uint32_t k = 0; k < work.size(); ++k) {
            a.honest.push_back(work[k].leaves);
            auto f = plan.forged.find(k);
            a.committed.push_back(f != plan.forged.end() ? f->second : work[k].leaves);
        }
        return a;
    }

    // The audit and open transactions every party of `a` sends in the block at height h.
    void act(const Active& ar, uint64_t h, std::vector<pb::Transaction>& txs) {
        for (uint32_t k = 0; k < ar.committed.size(); ++k) {
            const pb::Unit u = sim.unit(task, ar.round, k);
            if (u.commit_height() != ar.commit) continue;  // reset since
            // A late answer to a drawn verifier's data challenge moves the unit's phases.
            const UnitWindows w = unit_windows(ar.commit, P(), u.window_delay());
            for (const auto& a : u.audits()) {
                const Address v = detail::to_address(a.verifier());
                auto b = ar.plan.verifiers.count(v) ? ar.plan.verifiers.at(v) : Verifier::kHonest;
                if (b == Verifier::kAbsent) continue;
                // Honest and silent verifiers replay; the lazy one copies the solver's claims
                // (here: it is handed the committed leaves); the liar reports garbage.
                std::vector<Hash256> digests = Sim::audit_digests(
                    a, spec, b == Verifier::kLazyCopy ? ar.committed[k] : ar.honest[k]);
                if (b == Verifier::kLiar) digests.front()[0] ^= 1;
                if (h == w.commit_end) txs.push_back(sim.audit_commit_tx(v, task, ar.round, k, digests));
                if (h == w.reveal_end && b != Verifier::kSilentReveal)
                    txs.push_back(sim.audit_reveal_tx(v, task, ar.round, k, digests));
            }
            if (h == w.open_end && !ar.plan.unopened.count(k))
                txs.push_back(sim.open_tx(ar.plan.solvers[k], task, ar.round, k, ar.committed[k]));
        }
    }

    // Mines blocks up to `until`, every party of every active round acting; `extra(h, txs)` adds
    // scenario transactions.
    void drive(uint64_t until, const std::vector<Active>& rounds,
               const std::function<void(uint64_t, std::vector<pb::Transaction>&)>& extra = {}) {
        while (sim.height() < until) {
            const uint64_t h = sim.height() + 1;
            std::vector<pb::Transaction> txs;
            for (const auto& ar : rounds) act(ar, h, txs);
            if (extra) extra(h, txs);
            sim.block(txs, miner);
        }
    }

    void audit_open_finalise(uint32_t round, uint64_t c, const std::vector<UnitWork>& work,
                             const RoundPlan& plan) {
        drive(unit_windows(c, P()).final_at, {active(round, c, work, plan)});
    }

    std::vector<UnitWork> run_round(uint32_t round, const kernels::TrainState& start,
                                    const RoundPlan& plan) {
        uint64_t c = 0;
        auto work = claim_and_commit(round, start, plan, &c);
        audit_open_finalise(round, c, work, plan);
        return work;
    }
};

inline uint64_t ledger_sum(const std::vector<pb::LedgerEntry>& l, const std::string& code) {
    uint64_t s = 0;
    for (const auto& e : l)
        if (e.code() == code) s += e.amount();
    return s;
}

inline const verifier::TraceFault kFault{3, 5, 20};  // after step 3: leaves 2..4 wrong

inline pb::Transaction proof_commit_tx(Sim& sim, const Address& prover, const verifier::FraudProof& p) {
    const Hash256 c = verifier::fraud_proof_commitment(p, ByteSpan(prover.data(), prover.size()));
    return sim.tx(prover, [&](auto& t) { t.mutable_proof_commit()->set_commitment(c.data(), 32); });
}

inline pb::Transaction fraud_tx(Sim& sim, const Address& prover, const Hash256& task, uint32_t r,
                         uint32_t k, const verifier::FraudProof& p) {
    const Bytes b = verifier::encode_fraud_proof(p);
    return sim.tx(prover, [&](auto& t) {
        *t.mutable_fraud_proof()->mutable_unit() = ref(task, r, k);
        t.mutable_fraud_proof()->set_leaf_index(p.leaf);
        t.mutable_fraud_proof()->set_proof(b.data(), b.size());
    });
}

// A DataChallenge on chunk `chunk` of the state at `leaf` of unit (round, unit).
inline pb::Transaction data_challenge_tx(Sim& sim, const Address& who, const Hash256& task,
                                         uint32_t round, uint32_t unit, uint32_t leaf, uint64_t chunk,
                                         pb::DataKind kind = pb::DATA_CHECKPOINT) {
    return sim.tx(who, [&](auto& t) {
        auto* c = t.mutable_data_challenge();
        *c->mutable_unit() = ref(task, round, unit);
        c->set_leaf(leaf);
        c->set_chunk_index(chunk);
        c->set_kind(kind);
    });
}

// The DataResponse that answers it: the chunk of `state` and its proof to the state's blob root.
inline pb::Transaction data_response_tx(Sim& sim, const Address& who, const Hash256& task,
                                        uint32_t round, uint32_t unit, uint32_t leaf,
                                        const Bytes& state, uint64_t chunk) {
    auto proof = verifier::make_chunk_proof(state, chunk);
    REQUIRE(proof.ok());
    const Hash256 root = blob_root(state);
    return sim.tx(who, [&](auto& t) {
        auto* r = t.mutable_data_response();
        *r->mutable_unit() = ref(task, round, unit);
        r->set_leaf(leaf);
        r->set_chunk_index(chunk);
        r->set_blob_root(root.data(), 32);
        r->set_blob_size(proof->blob_size);
        r->set_chunks_root(proof->chunks_root.data(), 32);
        r->set_chunk(proof->chunk.data(), proof->chunk.size());
        for (const auto& h : proof->path) r->add_proof(h.data(), 32);
    });
}

// The first wrong leaf of an opened trace and its proof, as any whistleblower finds it.
inline verifier::WrongLeaf find_fraud_in(World& w, uint32_t r, uint32_t k,
                                         const std::vector<Hash256>& leaves,
                                         const std::vector<kernels::TrainState>& prev_finals = {}) {
    auto f = verifier::find_first_wrong_leaf(w.sim.backend(), kernels::Exec{}, w.spec, fixture(),
                                             verifier::UnitRef{w.task, r, k}, leaves, prev_finals);
    REQUIRE(f.ok());
    REQUIRE(f->has_value());
    return **f;
}

inline verifier::WrongLeaf find_fraud(World& w, uint32_t r, uint32_t k,
                                      const std::vector<kernels::TrainState>& prev_finals = {}) {
    const pb::Unit u = w.sim.unit(w.task, r, k);
    std::vector<Hash256> leaves;
    for (const auto& l : u.leaves()) leaves.push_back(detail::to_hash(l));
    return find_fraud_in(w, r, k, leaves, prev_finals);
}

inline uint64_t flops_pay(const World& w, Sim& sim) {
    return sim.task(w.task).unit_flops() * P().pool_rate_per_tflop / 1'000'000'000'000ull;
}

// Round 0 with unit 1 committed from a corrupt trace (kFault); `plan` sets verifier behaviour.
struct ForgedRound {
    UnitWork h0, h1, bad;
    uint64_t commit = 0;
    World::Active active;
};
inline ForgedRound forged_round0(World& w, RoundPlan plan) {
    ForgedRound f;
    plan.solvers = w.solvers;
    const auto start = w.start_of(0, {});
    w.sim.block({w.sim.claim_tx(w.solvers[0], w.task, 0, 0), w.sim.claim_tx(w.solvers[1], w.task, 0, 1)});
    f.h0 = w.sim.train(w.spec, w.task, 0, 0, start);
    f.h1 = w.sim.train(w.spec, w.task, 0, 1, start);
    f.bad = w.sim.train(w.spec, w.task, 0, 1, start, kFault);
    plan.forged[1] = f.bad.leaves;
    w.sim.block({w.sim.commit_tx(w.solvers[0], w.task, 0, 0, w.spec, f.h0.leaves),
                 w.sim.commit_tx(w.solvers[1], w.task, 0, 1, w.spec, f.bad.leaves)});
    f.commit = w.sim.height();
    f.active = w.active(0, f.commit, {f.h0, f.h1}, plan);
    return f;
}

}  // namespace step::consensus::market_test
