// Scenario driver for the market tests: a real chain (apply_block over MemoryKv), real keys,
// real kernels on a small MLP and the MNIST fixture. Every block it connects is checked for the
// supply invariant (balances + bonds + escrows + pool == minted - burned).
#pragma once

#include <catch2/catch.hpp>

#include <functional>
#include <map>
#include <memory>
#include <set>

#include "common/merkle.h"
#include "consensus/canonical.h"
#include "consensus/market.h"
#include "consensus/market_state.h"
#include "consensus/supply.h"
#include "consensus/task_spec.h"
#include "kernels/backend.h"
#include "kernels/data.h"
#include "kernels/run.h"
#include "kernels/state.h"
#include "verifier/trace.h"
#include "tests/unit/consensus/test_chain.h"
#include "tests/support/status_check.h"

namespace step::consensus::market_test {

using testing::addr_of;
using testing::seed_of;

inline const Params& P() { return devnet_params(); }

inline const kernels::Dataset& fixture() {
    static const kernels::Dataset ds = *kernels::load_records(
        std::string(STEP_SOURCE_DIR) + "/tests/fixtures/mnist-train-500.rec",
        *kernels::record_format("mnist-u8"));
    return ds;
}

// mlp{784,16,10}, B = 8, U = 8 steps per unit, L = 2, C = 4 (n = 4 leaves, checkpoint every 2
// leaves), K = 2 units per round, 2 rounds, V = 2 verifiers x Q = 2 leaves.
inline kernels::TaskSpec small_spec() {
    kernels::TaskSpec s;
    s.model = *kernels::parse_model_spec("mlp{784,16,10}", kernels::Activation::kRelu);
    s.optimizer.kind = kernels::OptimizerKind::kSgd;
    s.optimizer.lr = 0.05f;
    s.optimizer.momentum = 0.5f;
    s.batch = 8;
    s.steps = 16;
    s.seed = 7;
    s.units_per_round = 2;
    s.steps_per_unit = 8;
    s.leaf_interval = 2;
    s.checkpoint_interval = 4;
    s.audit_verifiers = 2;
    s.audit_leaves = 2;
    s.budget = 4 * kCoin;
    s.unit_bond = 3 * kCoin;
    return s;
}

inline pb::TaskSpec small_spec_proto(const kernels::TaskSpec& s = small_spec()) {
    return spec_to_proto(s, kernels::dataset_root(fixture()), fixture().count());
}

template <class M>
M read_record(const KvRead& kv, const Bytes& key) {
    auto v = kv.get(key);
    if (!v) return M();
    auto m = detail::decode_message<M>(*v, "record");
    REQUIRE(m.ok());
    return *m;
}

inline pb::UnitRef ref(const Hash256& task, uint32_t round, uint32_t unit) {
    pb::UnitRef r;
    r.set_task_id(task.data(), task.size());
    r.set_round(round);
    r.set_unit(unit);
    return r;
}

// A unit's honest work, computed with the real kernels.
struct UnitWork {
    kernels::TrainState final_state;
    std::vector<Hash256> leaves;  // 0..n
    float last_loss = 0;
    std::vector<verifier::Checkpoint> checkpoints;
};

class Sim {
public:
    Sim() : chain_(P()), backend_(kernels::make_cpu_backend(kernels::Exec{})) {}

    testing::TestChain& chain() { return chain_; }
    kernels::Backend& backend() { return *backend_; }
    const MemoryKv& kv() const { return chain_.kv(); }
    uint64_t height() const { return chain_.tip().height; }

    Address party(uint8_t n) {
        const Address a = addr_of(n);
        keys_[a] = seed_of(n);
        return a;
    }

    // A signed tx from `who` with the next free nonce (counting txs queued for this block).
    pb::Transaction tx(const Address& who, const std::function<void(pb::Transaction&)>& set) {
        pb::Transaction t = testing::base_tx(chain_.account(who).nonce + queued_[who]++, P().min_fee, P());
        set(t);
        sign_transaction(t, keys_.at(who));
        return t;
    }

    // Mines one block holding exactly `txs` (each must be valid), then checks the invariant.
    BlockApplied block(const std::vector<pb::Transaction>& txs, const Address& miner = Address{}) {
        queued_.clear();
        auto a = assemble_block(kv(), chain_.tip(), txs, miner, chain_.tip().timestamp + P().block_time_s, P());
        REQUIRE(a.ok());
        for (const auto& [id, why] : a->skipped) FAIL_CHECK("tx skipped: " << why.to_string());
        REQUIRE(a->skipped.empty());
        testing::mine(a->block, P());
        auto r = chain_.connect(a->block);
        REQUIRE(r.ok());
        check_invariant();
        return *r;
    }

    // Mines one block of whichever of `txs` are valid (assemble_block skips the rest); checks
    // the invariant; returns the block.
    pb::Block block_any(const std::vector<pb::Transaction>& txs, const Address& miner = Address{}) {
        queued_.clear();
        auto a = assemble_block(kv(), chain_.tip(), txs, miner, chain_.tip().timestamp + P().block_time_s, P());
        REQUIRE(a.ok());
        for (const auto& [id, why] : a->skipped) ++skip_codes[why.code()];
        testing::mine(a->block, P());
        REQUIRE(chain_.connect(a->block).ok());
        check_invariant();
        return a->block;
    }

    // Tries `t` alone against the tip's state: the error it is rejected with (ok when valid).
    Status reject_code(const pb::Transaction& t) {
        queued_.clear();
        auto s = check_transaction_against(kv(), t, P(), height() + 1);
        return s;
    }

    void clear_queue() { queued_.clear(); }
    std::map<std::string, int> skip_codes;  // block_any's refusals by code

    void check_invariant() {
        Status s = check_supply(kv().data());
        INFO(s.to_string());
        REQUIRE(s.ok());
    }

    void mine_to(const Address& miner, int blocks) {
        for (int i = 0; i < blocks; ++i) block({}, miner);
    }

    // Funds: mines `blocks` blocks to each party, then bonds.
    void fund_and_bond(const Address& who, int blocks, pb::BondRole role, uint64_t bond) {
        mine_to(who, blocks);
        if (bond) block({tx(who, [&](auto& t) {
            t.mutable_bond()->set_role(role);
            t.mutable_bond()->set_amount(bond);
        })});
    }

    Hash256 submit(const Address& owner, const kernels::TaskSpec& s) {
        const uint64_t nonce = chain_.account(owner).nonce;
        const Bytes spec = encode_task_spec(small_spec_proto(s));
        block({tx(owner, [&](auto& t) {
            t.mutable_submit_task()->set_spec(spec.data(), spec.size());
            t.mutable_submit_task()->set_budget(s.budget);
            t.mutable_submit_task()->set_unit_bond(s.unit_bond);
        })});
        return task_id_for(owner, nonce);
    }

    pb::Task task(const Hash256& id) { return read_record<pb::Task>(kv(), task_key(id)); }
    pb::Unit unit(const Hash256& id, uint32_t r, uint32_t k) {
        return read_record<pb::Unit>(kv(), unit_key(id, r, k));
    }
    std::vector<pb::LedgerEntry> ledger(const Address& a) {
        auto l = read_record<pb::Ledger>(kv(), account_ledger_key(a));
        return {l.entries().begin(), l.entries().end()};
    }
    std::vector<pb::LedgerEntry> task_ledger(const Hash256& id) {
        auto l = read_record<pb::Ledger>(kv(), task_ledger_key(id));
        return {l.entries().begin(), l.entries().end()};
    }
    AccountState account(const Address& a) { return chain_.account(a); }
    ChainTotals totals() { return *read_totals(kv()); }

    // Honest training of unit k of round r from `start`.
    UnitWork train(const kernels::TaskSpec& s, const Hash256& task, uint32_t round, uint32_t k,
                   const kernels::TrainState& start,
                   const std::optional<verifier::TraceFault>& fault = std::nullopt) {
        auto r = verifier::build_trace(*backend_, kernels::Exec{}, s, fixture(),
                                       verifier::UnitRef{task, round, k}, start, fault);
        REQUIRE(r.ok());
        REQUIRE(r->leaves.size() == s.steps_per_unit / s.leaf_interval + 1);
        return {r->final_state, r->leaves, 0.25f + static_cast<float>(round * 2 + k), r->checkpoints};
    }

    pb::Transaction commit_tx(const Address& solver, const Hash256& task, uint32_t r, uint32_t k,
                              const kernels::TaskSpec& s, const std::vector<Hash256>& leaves,
                              float loss = 0) {
        const uint64_t cp = s.checkpoint_interval / s.leaf_interval;
        return tx(solver, [&](auto& t) {
            auto* c = t.mutable_commit_unit();
            *c->mutable_unit() = ref(task, r, k);
            const Hash256 root = merkle_root(leaves);
            c->set_trace_root(root.data(), 32);
            c->set_leaf0(leaves.front().data(), 32);
            c->set_final_leaf(leaves.back().data(), 32);
            for (uint64_t i = cp; i < leaves.size(); i += cp) c->add_checkpoint_leaves(leaves[i].data(), 32);
            c->set_reported_loss(std::bit_cast<uint32_t>(loss));
        });
    }

    pb::Transaction claim_tx(const Address& solver, const Hash256& task, uint32_t r, uint32_t k) {
        return tx(solver, [&](auto& t) { *t.mutable_claim_unit()->mutable_unit() = ref(task, r, k); });
    }

    pb::Transaction open_tx(const Address& solver, const Hash256& task, uint32_t r, uint32_t k,
                            const std::vector<Hash256>& leaves) {
        return tx(solver, [&](auto& t) {
            auto* o = t.mutable_open_trace();
            *o->mutable_unit() = ref(task, r, k);
            for (const auto& l : leaves) o->add_leaves(l.data(), 32);
        });
    }

    // The digests an audit reveals, taken from `leaves` (the verifier's own replay).
    static std::vector<Hash256> audit_digests(const pb::Audit& a, const kernels::TaskSpec& s,
                                              const std::vector<Hash256>& leaves) {
        std::vector<Hash256> out;
        for (uint32_t i : audit_digest_leaves({a.leaves().begin(), a.leaves().end()},
                                              s.checkpoint_interval / s.leaf_interval))
            out.push_back(leaves[i]);
        return out;
    }

    pb::Transaction audit_commit_tx(const Address& v, const Hash256& task, uint32_t r, uint32_t k,
                                    const std::vector<Hash256>& digests) {
        const pb::Unit u = unit(task, r, k);
        std::vector<uint32_t> sampled;
        for (const auto& a : u.audits())
            if (detail::to_address(a.verifier()) == v) sampled.assign(a.leaves().begin(), a.leaves().end());
        const Task_ t_ = task_of(task);
        const Bytes c = audit_commitments(salt_of(v), v, sampled, t_.cp, digests);
        return tx(v, [&](auto& t) {
            *t.mutable_audit_commit()->mutable_unit() = ref(task, r, k);
            t.mutable_audit_commit()->set_commitment(c.data(), c.size());
        });
    }

    pb::Transaction audit_reveal_tx(const Address& v, const Hash256& task, uint32_t r, uint32_t k,
                                    const std::vector<Hash256>& digests) {
        const Hash256 salt = salt_of(v);
        return tx(v, [&](auto& t) {
            auto* a = t.mutable_audit_reveal();
            *a->mutable_unit() = ref(task, r, k);
            a->set_salt(salt.data(), salt.size());
            for (const auto& d : digests) a->add_digests(d.data(), 32);
        });
    }

    static Hash256 salt_of(const Address& v) {
        Hash256 s{};
        std::copy(v.begin(), v.end(), s.begin());
        s[31] = 0x5a;
        return s;
    }
    struct Task_ {
        uint64_t cp;
    };
    Task_ task_of(const Hash256& id) {
        const pb::Task t = task(id);
        return {t.spec().checkpoint_interval() / t.spec().leaf_interval()};
    }

private:
    testing::TestChain chain_;
    std::unique_ptr<kernels::Backend> backend_;
    std::map<Address, SecretSeed> keys_;
    std::map<Address, uint64_t> queued_;
};

}  // namespace step::consensus::market_test
