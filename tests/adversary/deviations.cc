#include "tests/adversary/deviations.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <thread>

#include "common/merkle.h"
#include "common/rpc_methods.h"
#include "consensus/encoding.h"
#include "consensus/errors.h"
#include "consensus/keys.h"
#include "consensus/market.h"
#include "consensus/proto/chain.pb.h"
#include "consensus/transaction.h"
#include "kernels/state.h"
#include "verifier/errors.h"
#include "verifier/fraud_proof.h"
#include "verifier/trace.h"
#include "verifier/whistle.h"
#include "wallet/agent_core.h"
#include "wallet/agent_events.h"
#include "wallet/agent_logic.h"

namespace step::adversary {
namespace {

using wallet::agent::AgentCore;
using wallet::agent::AuditStep;
using wallet::agent::AuditView;
using wallet::agent::Deviation;
using wallet::agent::TaskInfo;
using wallet::agent::TraceJob;
using wallet::agent::UnitKey;
using wallet::agent::UnitMap;
using wallet::agent::UnitStatus;
using wallet::agent::UnitView;
using wallet::agent::WorkableTask;

// True the first time only: a deviation that cheats once, then works honestly (so the task can
// still finish and the deviant's payoff is comparable with an honest run's).
class Once {
public:
    bool take() { return !spent_.exchange(true); }

private:
    std::atomic<bool> spent_{false};
};

verifier::UnitRef ref_of(const TraceJob& j) {
    return verifier::UnitRef{j.task.id, j.unit.first, j.unit.second};
}

Result<verifier::UnitTrace> honest_trace(const TraceJob& j) {
    return verifier::build_trace(j.backend, j.exec, j.task.spec, j.data, ref_of(j), j.start);
}

// The honest trace with leaf `leaf` (hidden: not a checkpoint) replaced: the states and
// checkpoints stay honest, so audits can run and only one that covers the leaf disagrees.
std::shared_ptr<Deviation> forge_leaf(uint32_t leaf) {
    auto once = std::make_shared<Once>();
    auto d = std::make_shared<Deviation>();
    d->build_trace = [once, leaf](const TraceJob& j) -> Result<verifier::UnitTrace> {
        auto tr = honest_trace(j);
        if (!tr.ok() || !once->take()) return tr;
        if (leaf == 0 || leaf >= j.task.shape.last_leaf || j.task.shape.is_checkpoint(leaf))
            return Status::error(verifier::codes::kBadLeafIndex,
                                 "forge-leaf needs a hidden leaf, not " + std::to_string(leaf));
        tr->leaves[leaf][0] ^= 0x01;
        tr->root = merkle_root(tr->leaves);
        return tr;
    };
    return d;
}

// Trains up to leaf `upto` only; every later leaf, checkpoint and the final state repeat the
// parameters reached there, so most of the unit's compute is saved. With `restamp` each copy
// carries the step counter its leaf should have, so it looks like a state of that leaf (an
// auditor replays from it and finds the next leaf wrong); without, a checkpoint is a state of
// another step, from which no audit can replay.
std::shared_ptr<Deviation> skip_work(uint32_t upto, bool restamp) {
    auto once = std::make_shared<Once>();
    auto d = std::make_shared<Deviation>();
    d->build_trace = [once, upto, restamp](const TraceJob& j) -> Result<verifier::UnitTrace> {
        if (!once->take()) return honest_trace(j);
        const verifier::TraceShape& shape = j.task.shape;
        const verifier::UnitRef ref = ref_of(j);
        verifier::UnitTrace tr;
        tr.leaves.push_back(verifier::trace_leaf(ref, 0, j.start, j.exec));
        tr.checkpoints.push_back({0, kernels::state_to_bytes(j.start)});
        auto keep = [&](uint32_t leaf, const kernels::TrainState& s, const Hash256& digest) {
            tr.leaves.push_back(digest);
            if (shape.is_checkpoint(leaf))
                tr.checkpoints.push_back({leaf, kernels::state_to_bytes(s)});
        };
        kernels::TrainState at = j.start;
        const uint32_t trained = std::min(upto, shape.last_leaf);
        if (trained > 0) {
            auto s = verifier::replay_leaves(j.backend, j.exec, j.task.spec, j.data, ref, j.start,
                                             0, trained, keep);
            if (!s.ok()) return s.status();
            at = std::move(*s);
        }
        for (uint32_t leaf = trained + 1; leaf <= shape.last_leaf; ++leaf) {
            if (restamp) at.step = verifier::leaf_step(shape, j.unit.first, leaf);
            keep(leaf, at, verifier::trace_leaf(ref, leaf, at, j.exec));
        }
        tr.final_state = at;
        tr.root = merkle_root(tr.leaves);
        return tr;
    };
    return d;
}

// Keeps back the first state `pick` chooses: neither uploaded nor served when challenged.
std::shared_ptr<Deviation> withhold(std::function<bool(const TaskInfo&, UnitKey, uint32_t)> pick) {
    auto once = std::make_shared<Once>();
    auto d = std::make_shared<Deviation>();
    d->withhold_state = [once, pick](const TaskInfo& t, UnitKey unit, uint32_t leaf) {
        return pick(t, unit, leaf) && once->take();
    };
    return d;
}

// Publishes only chunk 0 of every state `pick` chooses and answers each challenge on the rest:
// the withholding a one-chunk challenge could not catch.
std::shared_ptr<Deviation> withhold_partial(
    std::function<bool(const TaskInfo&, UnitKey, uint32_t)> pick) {
    auto d = std::make_shared<Deviation>();
    d->publish_first_chunk_only = std::move(pick);
    return d;
}

// A checkpoint between leaf 0 and the final state: what audits of the later leaves start from.
bool middle_checkpoint(const TaskInfo& t, UnitKey, uint32_t leaf) {
    return leaf != 0 && leaf != t.shape.last_leaf && t.shape.is_checkpoint(leaf);
}

// The final state of a unit whose round has a successor: the next round's start needs it.
bool final_state_owed(const TaskInfo& t, UnitKey unit, uint32_t leaf) {
    return leaf == t.shape.last_leaf && unit.first + 1 < t.rounds.rounds;
}

// withhold(final_state_owed), and it claims no unit of a later round: the round its state is
// owed to waits for another solver, by which time the withheld unit is final.
std::shared_ptr<Deviation> withhold_final_and_leave() {
    auto d = withhold(final_state_owed);
    d->claim_target = [](const TaskInfo& t, const UnitMap& units) -> std::optional<UnitKey> {
        auto c = wallet::agent::first_claimable(t.rounds, units);
        if (c && c->first > 0) return std::nullopt;
        return c;
    };
    return d;
}

// Reveals, for every leaf its audit covers, the next leaf the solver committed (a checkpoint
// or the final leaf) instead of replaying: right on the committed leaves, a guess on the
// hidden ones.
std::shared_ptr<Deviation> lazy_audit() {
    auto d = std::make_shared<Deviation>();
    d->audit_digests = [](const TaskInfo& t, const UnitView& u,
                          const AuditView& a) -> std::optional<std::vector<Hash256>> {
        const uint32_t per = t.shape.leaves_per_checkpoint;
        std::vector<Hash256> digests;
        for (uint32_t leaf : consensus::audit_digest_leaves(a.leaves, per)) {
            const uint32_t next = (leaf + per - 1) / per * per;
            auto committed = wallet::agent::checkpoint_leaf(u, next, per);
            digests.push_back(committed ? *committed : Hash256{});
        }
        return digests;
    };
    return d;
}

std::shared_ptr<Deviation> never_reveal() {
    auto d = std::make_shared<Deviation>();
    d->take_audit_step = [](const TaskInfo&, const UnitView&, AuditStep step) {
        return step != AuditStep::kReveal;
    };
    return d;
}

std::shared_ptr<Deviation> withhold_dataset() {
    auto d = std::make_shared<Deviation>();
    d->withhold_record = [](const TaskInfo&, uint64_t) { return true; };
    return d;
}

// Claims the first unit as if no other solver held one: it races for units others claimed
// (refused once theirs is in a block; in the same block the fee decides) instead of taking a
// free one.
std::shared_ptr<Deviation> race() {
    auto d = std::make_shared<Deviation>();
    d->claim_target = [](const TaskInfo& t, const UnitMap& units) {
        UnitMap as_if_free = units;
        for (auto& [key, u] : as_if_free)
            if (u.status == UnitStatus::kClaimed) u.status = UnitStatus::kOpen;
        return wallet::agent::first_claimable(t.rounds, as_if_free);
    };
    return d;
}

// A fraud proof this prover committed to and reveals once the commitment is in a block.
struct PendingProof {
    TaskInfo task;
    UnitKey unit;
    Bytes proof;  // encode_fraud_proof
    uint32_t leaf = 0;
    uint64_t committed_at = 0;  // tip height when the ProofCommit was sent
    bool revealed = false;
};

// Sends ProofCommit(H(proof, me)) with PROOF_BOND; false when the node refused it.
bool commit_proof(AgentCore& core, PendingProof& p) {
    auto me = consensus::decode_address(core.address());
    auto proof = verifier::decode_fraud_proof(p.proof);
    if (!me.ok() || !proof.ok()) return false;
    const Hash256 c = verifier::fraud_proof_commitment(*proof, ByteSpan(me->data(), me->size()));
    pb::Transaction tx;
    tx.mutable_proof_commit()->set_commitment(c.data(), c.size());
    auto txid = core.send(tx);
    if (!txid.ok()) {
        core.log_error("proof commit", &p.task, p.unit, txid.status());
        return false;
    }
    p.committed_at = core.poll_height();
    core.log(wallet::agent_events::kProofCommitted, &p.task, p.unit,
             {{"txid", *txid}, {"leaf", p.leaf}},
             "committed to a proof of leaf " + std::to_string(p.leaf));
    return true;
}

// Sends the FraudProof of a commitment made in an earlier block (once; a refusal is logged).
// The commitment may land a block after the tip it was sent at (a block came during that
// pass): refused for that, the proof is sent again on the next pass.
void reveal_proof(AgentCore& core, PendingProof& p) {
    if (p.revealed || core.poll_height() <= p.committed_at) return;
    pb::Transaction tx;
    auto* f = tx.mutable_fraud_proof();
    wallet::agent::set_ref(f->mutable_unit(), p.task, p.unit.first, p.unit.second);
    f->set_leaf_index(p.leaf);
    f->set_proof(p.proof.data(), p.proof.size());
    auto txid = core.send(tx);
    p.revealed = txid.ok() || !txid.status().is(consensus::codes::kNoProofCommit);
    if (!txid.ok()) return core.log_error("fraud proof", &p.task, p.unit, txid.status());
    core.log(wallet::agent_events::kProved, &p.task, p.unit, {{"txid", *txid}, {"leaf", p.leaf}},
             "sent a proof of leaf " + std::to_string(p.leaf));
}

// Proves leaf 1 of the first opened unit of another solver wrong, although it is right: the
// segment replayed from the true start state (what any prover can build for any leaf).
Result<PendingProof> false_proof(AgentCore& core, const WorkableTask& w, const UnitView& u) {
    auto ds = core.require_dataset(w.task);
    if (!ds.ok()) return ds.status();
    auto start = core.start_state(w.task, u.round, w.units);
    if (!start.ok()) return start.status();
    const verifier::UnitRef ref{w.task.id, u.round, u.unit};
    auto proof = verifier::build_segment_proof(w.task.spec, **ds, ref, u.leaves, 1, *start);
    if (!proof.ok()) return proof.status();
    return PendingProof{w.task, {u.round, u.unit}, verifier::encode_fraud_proof(*proof), 1, 0,
                        false};
}

std::shared_ptr<Deviation> prove_right_leaf() {
    auto pending = std::make_shared<std::optional<PendingProof>>();
    auto d = std::make_shared<Deviation>();
    d->after_pass = [pending](AgentCore& core) {
        if (*pending) return reveal_proof(core, **pending);
        auto ids = core.open_task_ids();
        if (!ids.ok()) return;
        auto tasks = core.workable_tasks(*ids);
        if (!tasks.ok()) return;
        for (const WorkableTask& w : *tasks)
            for (const auto& [key, u] : w.units) {
                if (u.status != UnitStatus::kOpened || u.solver == core.address()) continue;
                auto p = false_proof(core, w, u);
                if (!p.ok()) return core.log_error("false proof", &w.task, key, p.status());
                if (commit_proof(core, *p)) *pending = std::move(*p);
                return;
            }
    };
    return d;
}

// Copies every fraud proof another prover revealed in a block, under its own commitment.
std::shared_ptr<Deviation> copy_proofs() {
    struct Copier {
        std::optional<uint64_t> scanned;  // blocks up to this height are read
        std::vector<PendingProof> copies;
    };
    auto state = std::make_shared<Copier>();
    auto d = std::make_shared<Deviation>();
    d->after_pass = [state](AgentCore& core) {
        auto tip = core.height();
        auto me = consensus::decode_address(core.address());
        if (!tip.ok() || !me.ok()) return;
        if (!state->scanned) state->scanned = *tip;
        for (uint64_t h = *state->scanned + 1; h <= *tip; ++h) {
            auto b = core.rpc().call(rpc::kGetBlock, {{"height", h}}, wallet::RpcAuth::kNone);
            if (!b.ok()) return;
            auto bytes = from_hex(b->value("hex", std::string()));
            if (!bytes) return;
            auto block = consensus::decode_block(*bytes);
            if (!block.ok()) return;
            state->scanned = h;
            for (const pb::Transaction& tx : block->transactions()) {
                if (!tx.has_fraud_proof() || consensus::tx_sender(tx) == *me) continue;
                const auto& f = tx.fraud_proof();
                const std::string& id = f.unit().task_id();
                auto t = wallet::agent::fetch_task(
                    core.rpc(), core.params(),
                    to_hex(ByteSpan(reinterpret_cast<const uint8_t*>(id.data()), id.size())));
                if (!t.ok()) continue;
                PendingProof p{*t,
                               {f.unit().round(), f.unit().unit()},
                               Bytes(f.proof().begin(), f.proof().end()),
                               f.leaf_index(),
                               0,
                               false};
                if (commit_proof(core, p)) state->copies.push_back(std::move(p));
            }
        }
        for (PendingProof& p : state->copies) reveal_proof(core, p);
    };
    return d;
}

// Not a deviation but a slow machine: its fraud-proof search holds the background thread until
// the file `until` exists, after writing `until`.held so the test knows it is held.
void hold_until(const std::string& until, const std::atomic<bool>& stop) {
    std::ofstream(until + ".held") << "held\n";
    while (!stop.load() && !std::filesystem::exists(until))
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

std::shared_ptr<Deviation> hold_proof_search(std::string until) {
    auto d = std::make_shared<Deviation>();
    d->before_proof_search = [until](const TaskInfo&, UnitKey, const std::atomic<bool>& stop) {
        hold_until(until, stop);
    };
    return d;
}

// The same for a whistleblower: its replays of every unit but the first it replays wait.
std::shared_ptr<Deviation> hold_replays(std::string until) {
    auto first = std::make_shared<std::optional<UnitKey>>();  // touched by one job at a time
    auto d = std::make_shared<Deviation>();
    d->before_segment_replay = [until, first](const TaskInfo&, UnitKey unit,
                                              const std::atomic<bool>& stop) {
        if (!*first) *first = unit;
        if (unit != **first) hold_until(until, stop);
    };
    return d;
}

}  // namespace

const std::vector<DeviationInfo>& deviation_list() {
    static const std::vector<DeviationInfo> list = {
        {"forge-leaf", "solver", "forges hidden leaf --leaf of its first unit"},
        {"skip-work", "solver", "trains its first unit up to leaf --leaf only"},
        {"skip-work-stale", "solver",
         "the same, its copied states keeping the step they were trained to"},
        {"withhold-checkpoint", "solver", "keeps back its first unit's middle checkpoint"},
        {"withhold-final", "solver", "keeps back its first final state a later round needs"},
        {"withhold-final-leave", "solver",
         "keeps back its first final state a later round needs, claims no unit of a later round"},
        {"withhold-partial", "solver",
         "publishes chunk 0 only of each middle checkpoint, answers every challenge"},
        {"lazy-audit", "verifier", "reveals the solver's committed leaves without replaying"},
        {"never-reveal", "verifier", "commits to its audits and never reveals them"},
        {"withhold-dataset", "owner", "answers no dataset challenge"},
        {"race", "solver", "claims the first unit even when another solver holds it"},
        {"false-proof", "verifier", "proves a right leaf of the first opened unit wrong"},
        {"copy-proof", "verifier", "copies every fraud proof other provers reveal"},
        {"hold-proof-search", "verifier",
         "a slow machine: holds its fraud-proof search until the file --until exists"},
        {"hold-replays", "whistleblower",
         "a slow machine: holds its replays of every unit but the first it replays until the "
         "file --until exists"},
    };
    return list;
}

std::shared_ptr<const Deviation> make_deviation(std::string_view name, uint32_t leaf,
                                                const std::string& until) {
    if (name == "forge-leaf") return forge_leaf(leaf);
    if (name == "skip-work") return skip_work(leaf, true);
    if (name == "skip-work-stale") return skip_work(leaf, false);
    if (name == "withhold-checkpoint") return withhold(middle_checkpoint);
    if (name == "withhold-final") return withhold(final_state_owed);
    if (name == "withhold-final-leave") return withhold_final_and_leave();
    if (name == "withhold-partial") return withhold_partial(middle_checkpoint);
    if (name == "lazy-audit") return lazy_audit();
    if (name == "never-reveal") return never_reveal();
    if (name == "withhold-dataset") return withhold_dataset();
    if (name == "race") return race();
    if (name == "false-proof") return prove_right_leaf();
    if (name == "copy-proof") return copy_proofs();
    if (name == "hold-proof-search" && !until.empty()) return hold_proof_search(until);
    if (name == "hold-replays" && !until.empty()) return hold_replays(until);
    return nullptr;
}

}  // namespace step::adversary
