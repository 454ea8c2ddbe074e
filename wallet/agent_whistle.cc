// The whistleblower agent (docs/market.md "Whistleblowers"): it watches every opened, not yet
// final trace of the open tasks whose dataset it can get, drawn for or not, and replays
// checkpoint segments of them within its compute budget (--cpu-share of one core): first the
// segments a disagreeing audit covered, then the rest of those units, then segments drawn at
// random. A segment that replays to a different leaf is proven with ProofCommit then FraudProof
// (the shared Prover, agent_proof.h), unless the proof would lose.
#include <algorithm>
#include <chrono>
#include <random>

#include "consensus/keys.h"
#include "verifier/audit.h"
#include "verifier/errors.h"
#include "verifier/whistle.h"
#include "wallet/agent_core.h"
#include "wallet/agent_events.h"
#include "wallet/agent_proof.h"

namespace step::wallet::agent {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// One pass replays at most this long before it reads the chain again: proofs it holds must
// still be committed and revealed inside the unit's few blocks.
constexpr auto kPassReplayTime = std::chrono::seconds(1);
// Replay time saved up while there is nothing to replay, in seconds (ReplayBudget's cap).
constexpr double kMaxReplayCredit = 60.0;
// Blocks after open_end that a verifier whose audit disagreed has to prove the unit before a
// whistleblower commits to a proof of it (whistle_due).
constexpr uint64_t kVerifierGraceBlocks = 2;

// What one segment's replay found.
struct SegmentResult {
    uint32_t first_leaf = 0;  // the leaves compared with the opened trace: first..last
    uint32_t last_leaf = 0;
    std::optional<verifier::FraudProof> proof;  // set when a leaf differs
};

class WhistleRole final : public AgentRole {
public:
    explicit WhistleRole(AgentCore& core)
        : core_(core),
          prover_(core),
          budget_(core.config().cpu_share, kMaxReplayCredit),
          last_pass_(Clock::now()),
          rng_(std::random_device{}()) {}
    Status poll(bool* idle) override;

private:
    // An opened unit this pass may replay.
    struct Target {
        const TaskInfo* task;
        const UnitView* unit;
        const UnitMap* units;
        std::string tag;
    };
    // Proofs held (advanced) or found (offered); the units left to replay in `targets`/`views`.
    void tend_units(const std::vector<WorkableTask>& tasks, std::vector<Target>* targets,
                    std::vector<WatchedUnit>* views);
    void replay_within_budget(std::vector<Target>& targets, std::vector<WatchedUnit>& views);
    Result<SegmentResult> replay_segment(const Target& x, uint32_t segment);
    Result<Bytes> segment_start(const Target& x, uint32_t c,
                                std::optional<verifier::FraudProof>* leaf0);
    // Commits to a found proof when whistle_due says so and no other prover's commitment to it
    // is pending.
    void offer_proof(const TaskInfo& t, const UnitView& u, const verifier::FraudProof& proof);
    void leave(const TaskInfo& t, const UnitView& u, const std::string& why);

    AgentCore& core_;
    Prover prover_;
    ReplayBudget budget_;
    Clock::time_point last_pass_;
    std::mt19937_64 rng_;
    std::map<std::string, std::set<uint32_t>> replayed_;  // segments replayed, by unit tag
    std::map<std::string, verifier::FraudProof> found_;   // proofs not yet committed, by tag
    std::set<std::string> left_;                          // proofs given up, by tag
};

Status WhistleRole::poll(bool* idle) {
    auto tasks = core_.begin_pass();
    if (!tasks.ok()) return tasks.status();
    const auto now = Clock::now();
    budget_.elapse(std::chrono::duration<double>(now - last_pass_).count());
    last_pass_ = now;
    std::vector<Target> targets;
    std::vector<WatchedUnit> views;
    tend_units(*tasks, &targets, &views);
    replay_within_budget(targets, views);
    *idle = tasks->empty();
    return Status();
}

void WhistleRole::tend_units(const std::vector<WorkableTask>& tasks, std::vector<Target>* targets,
                             std::vector<WatchedUnit>* views) {
    std::set<std::string> seen;
    for (const auto& [t, units] : tasks)
        for (const auto& [key, u] : units) {
            if (u.status != UnitStatus::kOpened || u.leaves.size() != t.shape.leaf_count())
                continue;
            const std::string tag = unit_tag(t, u.round, u.unit, u.commit_height);
            seen.insert(tag);
            if (prover_.stage(t, u) != Prover::Stage::kNone) {
                if (Status s = prover_.advance(t, u); !s.ok())
                    core_.log_error("fraud proof", &t, key, s);
                continue;
            }
            if (left_.count(tag)) continue;
            if (auto f = found_.find(tag); f != found_.end()) {
                offer_proof(t, u, f->second);
                continue;
            }
            const uint32_t per = t.shape.leaves_per_checkpoint;
            WatchedUnit w;
            w.segments = (t.shape.last_leaf + per - 1) / per;
            for (const AuditView& a : u.audits)
                if (a.verdict == Verdict::kDisagreed) {
                    w.disagreed = true;
                    for (uint32_t seg : segments_of(a.leaves, per)) w.hot_segments.push_back(seg);
                }
            w.replayed = replayed_[tag];
            targets->push_back(Target{&t, &u, &units, tag});
            views->push_back(std::move(w));
        }
    // Units that were proven, reset or finalised are forgotten.
    std::erase_if(replayed_, [&](const auto& e) { return !seen.count(e.first); });
    std::erase_if(found_, [&](const auto& e) { return !seen.count(e.first); });
}

void WhistleRole::replay_within_budget(std::vector<Target>& targets,
                                       std::vector<WatchedUnit>& views) {
    const auto pass_end = Clock::now() + kPassReplayTime;
    while (budget_.allows() && Clock::now() < pass_end) {
        const auto pick = next_replay(views, rng_());
        if (!pick) return;
        const Target& x = targets[pick->unit];
        const UnitKey key{x.unit->round, x.unit->unit};
        const auto t0 = Clock::now();
        auto r = replay_segment(x, pick->segment);
        const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
        budget_.spend(secs);
        views[pick->unit].replayed.insert(
            pick->segment);  // not again this pass, whatever came of it
        if (!r.ok()) {
            core_.log_error("replay", x.task, key, r.status());
            continue;
        }
        replayed_[x.tag].insert(pick->segment);
        const json wrong = r->proof ? json(r->proof->leaf) : json(nullptr);
        core_.log(
            agent_events::kReplayed, x.task, key,
            {{"first_leaf", r->first_leaf},
             {"last_leaf", r->last_leaf},
             {"seconds", secs},
             {"wrong_leaf", wrong}},
            "replayed leaves " + std::to_string(r->first_leaf) + ".." +
                std::to_string(r->last_leaf) + " in " + std::to_string(secs) + " s: " +
                (r->proof ? "leaf " + std::to_string(r->proof->leaf) + " is wrong" : "all match"));
        if (!r->proof) continue;
        const size_t bytes = verifier::encode_fraud_proof(*r->proof).size();
        core_.log(agent_events::kFraudFound, x.task, key,
                  {{"leaf", r->proof->leaf}, {"bytes", bytes}},
                  "built the fraud proof of leaf " + std::to_string(r->proof->leaf) + " (" +
                      std::to_string(bytes) + " bytes)");
        views[pick->unit].segments = 0;  // one proof per unit: nothing more to replay there
        found_[x.tag] = *r->proof;
        offer_proof(*x.task, *x.unit, *r->proof);
    }
}

Result<Bytes> WhistleRole::segment_start(const Target& x, uint32_t c,
                                         std::optional<verifier::FraudProof>* leaf0) {
    const TaskInfo& t = *x.task;
    const UnitView& u = *x.unit;
    if (c > 0) return core_.fetch_state(t, u.round, u.unit, c, u.leaves[c]);
    // Segment 0 starts from the round's start state, which leaf 0 commits to.
    auto finals = core_.previous_finals(t, u.round, *x.units);
    if (!finals.ok()) return finals.status();
    auto start = verifier::round_start_state(t.spec, u.round, *finals, core_.exec());
    if (!start.ok()) return start.status();
    if (verifier::trace_leaf(verifier::UnitRef{t.id, u.round, u.unit}, 0, *start, core_.exec()) !=
        u.leaves[0])
        *leaf0 = verifier::build_leaf0_proof(u.leaves, *finals);
    return kernels::state_to_bytes(*start);
}

Result<SegmentResult> WhistleRole::replay_segment(const Target& x, uint32_t segment) {
    const TaskInfo& t = *x.task;
    const UnitView& u = *x.unit;
    auto ds = core_.require_dataset(t);
    if (!ds.ok()) return ds.status();
    const uint32_t per = t.shape.leaves_per_checkpoint;
    const uint32_t c = segment * per;
    SegmentResult out{c == 0 ? 0u : c + 1, std::min(c + per, t.shape.last_leaf), std::nullopt};
    auto bytes = segment_start(x, c, &out.proof);
    if (!bytes.ok()) return bytes.status();
    if (out.proof) return out;
    const verifier::UnitRef ref{t.id, u.round, u.unit};
    auto work = verifier::run_audit(core_.backend(), core_.exec(), t.spec, **ds, ref, out.last_leaf,
                                    *bytes, u.leaves[c]);
    if (!work.ok()) return work.status();
    for (uint32_t j = c + 1; j <= out.last_leaf; ++j) {
        if (work->digests[j - c - 1] == u.leaves[j]) continue;
        // Leaf j - 1 replayed right (or is the checked checkpoint): its state is the pre-state.
        auto proof =
            verifier::build_segment_proof(t.spec, **ds, ref, u.leaves, j, work->pre_state_of(j));
        if (!proof.ok()) return proof.status();
        out.proof = std::move(*proof);
        break;
    }
    return out;
}

void WhistleRole::offer_proof(const TaskInfo& t, const UnitView& u,
                              const verifier::FraudProof& proof) {
    const UnitKey key{u.round, u.unit};
    switch (whistle_due(u, core_.poll_height(), kVerifierGraceBlocks)) {
        case WhistleStep::kWait:
            return;
        case WhistleStep::kTooLate:
            return leave(t, u, "too few blocks are left before the unit is final");
        case WhistleStep::kCommit:
            break;
    }
    // A disagreeing verifier proves the same first wrong leaf with the same bytes: its earlier
    // commitment would win the copy contest and ours would be refused, its bond kept.
    for (const AuditView& a : u.audits) {
        if (a.verdict != Verdict::kDisagreed) continue;
        auto pending = prover_.commitment_pending(proof, a.verifier);
        if (!pending.ok()) return core_.log_error("fraud proof", &t, key, pending.status());
        if (*pending)
            return leave(t, u, "verifier " + a.verifier + " committed to this proof first");
    }
    Status s = prover_.commit(t, u, proof);
    if (!s.ok()) core_.log_error("proof commit", &t, key, s);
    if (prover_.stage(t, u) != Prover::Stage::kNone)
        found_.erase(unit_tag(t, u.round, u.unit, u.commit_height));
}

void WhistleRole::leave(const TaskInfo& t, const UnitView& u, const std::string& why) {
    const std::string tag = unit_tag(t, u.round, u.unit, u.commit_height);
    found_.erase(tag);
    if (!left_.insert(tag).second) return;
    core_.log(agent_events::kProofLeft, &t, UnitKey{u.round, u.unit}, {{"why", why}},
              "not proving: " + why);
}

}  // namespace

std::unique_ptr<AgentRole> make_whistleblower(AgentCore& core) {
    return std::make_unique<WhistleRole>(core);
}

}  // namespace step::wallet::agent
