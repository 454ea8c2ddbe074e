// Random sequences of valid and invalid market transactions: the supply invariant holds after
// every block, and an independent replay of the blocks (apply_block, not the template builder)
// reaches the same state, key for key.
#include <random>

#include "tests/unit/market/scenario.h"

namespace step::consensus::market_test {

TEST_CASE("Property: random market traffic conserves supply and replays to the same root",
          "[market]") {
    for (uint64_t seed : {1u, 2u, 3u}) {
        INFO("seed " << seed);
        World w;
        Sim& sim = w.sim;
        std::mt19937_64 rng(seed);
        auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
        // Honest leaves of every unit (round 1 from the honest round-0 mean).
        std::vector<std::vector<UnitWork>> honest(2);
        for (uint32_t k = 0; k < 2; ++k) honest[0].push_back(sim.train(w.spec, w.task, 0, k, w.start_of(0, {})));
        for (uint32_t k = 0; k < 2; ++k) honest[1].push_back(sim.train(w.spec, w.task, 1, k, w.start_of(1, honest[0])));
        std::vector<Address> everyone = w.solvers;
        everyone.insert(everyone.end(), w.verifiers.begin(), w.verifiers.end());
        everyone.push_back(w.owner);
        std::vector<Hash256> record_hashes;
        for (uint64_t i = 0; i < fixture().count(); ++i)
            record_hashes.push_back(kernels::record_hash(
                ByteSpan(fixture().record(i), static_cast<size_t>(fixture().format.record_bytes))));
        std::vector<pb::Block> blocks;
        size_t generated = 0, included = 0;
        for (int b = 0; b < 60; ++b) {
            std::vector<pb::Transaction> txs;
            const int n = 1 + static_cast<int>(pick(4));
            std::set<Address> senders;
            for (int i = 0; i < n; ++i) {
                const uint32_t r = static_cast<uint32_t>(pick(3));  // round 2 does not exist
                const uint32_t k = static_cast<uint32_t>(pick(2));
                // Mostly the unit's own solver; sometimes anyone (wrong party).
                const Address who = pick(4) ? w.solvers[k] : everyone[pick(everyone.size())];
                // One transaction per sender a block: a refused one would orphan its successors'
                // nonces and starve the traffic.
                if (senders.count(who)) continue;
                senders.insert(who);
                const auto& leaves = honest[r < 2 ? r : 0][k].leaves;
                std::vector<Hash256> forged = leaves;
                forged[1 + pick(forged.size() - 1)][0] ^= 1;
                const auto& use = pick(4) == 0 ? forged : leaves;
                // Three times in four the unit's next step (by the right or a random party,
                // with honest or forged data); otherwise any action at all.
                const pb::Unit cur = sim.unit(w.task, r < 2 ? r : 0, k);
                size_t action = pick(8);
                if (pick(4) && r < 2) {
                    const uint64_t h = sim.height() + 1;
                    const UnitWindows uw = unit_windows(cur.commit_height(), P());
                    if (cur.status() == pb::UNIT_OPEN) action = 0;
                    else if (cur.status() == pb::UNIT_CLAIMED) action = 2;
                    else if (cur.status() == pb::UNIT_COMMITTED && h > uw.reveal_end) action = 3;
                    else if (cur.status() == pb::UNIT_COMMITTED) action = 4;
                }
                switch (action) {
                    case 0: case 1: txs.push_back(sim.claim_tx(who, w.task, r, k)); break;
                    case 2: txs.push_back(sim.commit_tx(who, w.task, r, k, w.spec, use)); break;
                    case 3: txs.push_back(sim.open_tx(who, w.task, r, k, use)); break;
                    case 4: {
                        const pb::Unit u = sim.unit(w.task, r, k);
                        for (const auto& a : u.audits()) {
                            const Address v = detail::to_address(a.verifier());
                            if (senders.count(v)) continue;
                            senders.insert(v);
                            auto d = Sim::audit_digests(a, w.spec, use);
                            txs.push_back(pick(2) ? sim.audit_commit_tx(v, w.task, r, k, d)
                                                  : sim.audit_reveal_tx(v, w.task, r, k, d));
                        }
                        break;
                    }
                    case 5: {
                        // Checkpoints, final states (of final units too) and, late in the run
                        // (a withheld dataset cancels the task), dataset records: some in range.
                        const size_t kind = pick(b >= 40 ? 3 : 2);
                        txs.push_back(sim.tx(who, [&](auto& t) {
                            auto* c = t.mutable_data_challenge();
                            if (kind == 2) {
                                c->mutable_unit()->set_task_id(w.task.data(), 32);
                                c->set_kind(pb::DATA_DATASET);
                                c->set_record(pick(600));
                                return;
                            }
                            *c->mutable_unit() = ref(w.task, r, k);
                            c->set_leaf(static_cast<uint32_t>(pick(5)));
                            c->set_kind(kind ? pb::DATA_FINAL_STATE : pb::DATA_CHECKPOINT);
                        }));
                        break;
                    }
                    case 6:
                        if (pick(6) == 0)
                            txs.push_back(sim.tx(who, [&](auto& t) { t.mutable_cancel_task()->set_task_id(w.task.data(), 32); }));
                        break;
                    default: break;  // an empty slot: time passes
                }
            }
            // Half the time somebody serves one pending dataset record (with its true path).
            const pb::Task task_now = sim.task(w.task);
            if (task_now.data_challenges_size() > 0 && pick(2)) {
                const std::string& key = task_now.data_challenges(0);
                uint64_t rec = 0;
                for (size_t i = 33; i < 41; ++i) rec = (rec << 8) | static_cast<uint8_t>(key[i]);
                const Address who = everyone[pick(everyone.size())];
                if (!senders.count(who)) {
                    senders.insert(who);
                    const auto& ds = fixture();
                    const auto path = merkle_proof(record_hashes, static_cast<size_t>(rec));
                    txs.push_back(sim.tx(who, [&](auto& t) {
                        auto* d = t.mutable_data_response();
                        d->mutable_unit()->set_task_id(w.task.data(), 32);
                        d->set_kind(pb::DATA_DATASET);
                        d->set_record(rec);
                        d->set_record_bytes(ds.record(rec), static_cast<size_t>(ds.format.record_bytes));
                        for (const auto& h : path) d->add_proof(h.data(), 32);
                    }));
                }
            }
            generated += txs.size();
            blocks.push_back(sim.block_any(txs, w.miner));  // checks the invariant
            included += static_cast<size_t>(blocks.back().transactions_size());
        }
        // Traffic was mixed: some market transactions got in, others were refused.
        for (const auto& [code, n] : sim.skip_codes) UNSCOPED_INFO(code << " x" << n);
        CHECK(included > 8);  // claims, commits, audits, opens got through (bonds run dry as solvers are slashed)
        CHECK(included < generated);
        // An independent node: a second World builds the same deterministic prefix (funding,
        // bonds, submission), then connects the random blocks through apply_block.
        World w2;
        for (const auto& blk : blocks) REQUIRE(w2.sim.chain().connect(blk).ok());
        CHECK(w2.sim.chain().tip().state_root == sim.chain().tip().state_root);
        CHECK(w2.sim.kv().data() == sim.kv().data());
        w2.sim.check_invariant();
    }
}

}  // namespace step::consensus::market_test
