// The whistleblower agent (docs/market.md "Whistleblowers"): it watches every opened, not yet
// final trace of the open tasks whose dataset it can get, drawn for or not, and replays
// checkpoint segments of them within its compute budget (--cpu-share of one core): first the
// segments a disagreeing audit covered, then the rest of those units, then segments drawn at
// random. A segment that replays to a different leaf is proven with ProofCommit then FraudProof
// (the shared Prover, agent_proof.h), unless the proof would lose. The replays run off the poll
// loop (agent_worker.h), one segment at a time, so proofs in hand are committed and revealed
// while a segment replays.
#include <algorithm>
#include <chrono>
#include <random>

#include "consensus/keys.h"
#include "verifier/audit.h"
#include "verifier/errors.h"
#include "verifier/whistle.h"
#include "wallet/agent_core.h"
#include "wallet/agent_deviation.h"
#include "wallet/agent_events.h"
#include "wallet/agent_proof.h"
#include "wallet/agent_worker.h"
#include "wallet/errors.h"

namespace step::wallet::agent {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

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
    double seconds = 0;                         // the replay's, spent from the budget
};

// What one segment's replay reads: the state at checkpoint leaf `c` (fetched, or the round's
// start state) and the opened leaves. The job owns these copies; the dataset and the backend
// are left alone by the poll thread while it runs.
struct SegmentJob {
    kernels::TaskSpec spec;
    verifier::UnitRef unit;
    std::vector<Hash256> leaves;
    const kernels::Dataset* data = nullptr;
    kernels::Backend* backend = nullptr;
    kernels::Exec exec;
    uint32_t c = 0;
    Bytes start;
    SegmentResult out;  // first_leaf, last_leaf; a proof already when leaf 0 is wrong
    TaskInfo task;      // for the deviation seam
    std::shared_ptr<const Deviation> deviation;
};

// Runs on the background thread: replays leaves (c, last_leaf] from the start state with
// run_audit (which checks it against leaf c first) and proves the first that differs.
Result<SegmentResult> replay_segment(const SegmentJob& j, const std::atomic<bool>& stop) {
    SegmentResult out = j.out;
    if (out.proof) return out;
    if (j.deviation && j.deviation->before_segment_replay)
        j.deviation->before_segment_replay(j.task, UnitKey{j.unit.round, j.unit.unit}, stop);
    if (stop.load()) return Status::error(codes::kCancelled, "segment replay stopped");
    const auto t0 = Clock::now();
    auto work = verifier::run_audit(*j.backend, j.exec, j.spec, *j.data, j.unit, out.last_leaf,
                                    j.start, j.leaves[j.c]);
    if (!work.ok()) return work.status();
    for (uint32_t leaf = j.c + 1; leaf <= out.last_leaf; ++leaf) {
        if (work->digests[leaf - j.c - 1] == j.leaves[leaf]) continue;
        // Leaf - 1 replayed right (or is the checked checkpoint): its state is the pre-state.
        auto proof = verifier::build_segment_proof(j.spec, *j.data, j.unit, j.leaves, leaf,
                                                   work->pre_state_of(leaf));
        if (!proof.ok()) return proof.status();
        out.proof = std::move(*proof);
        break;
    }
    out.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return out;
}

class WhistleRole final : public AgentRole {
public:
    explicit WhistleRole(AgentCore& core)
        : core_(core),
          prover_(core),
          budget_(core.config().cpu_share, kMaxReplayCredit),
          last_pass_(Clock::now()),
          rng_(std::random_device{}()) {}
    Status poll(bool* idle) override;
    void stop() override { job_.stop(); }

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
    // Starts the replay of the next segment (next_replay) when the budget allows.
    void start_replay(std::vector<Target>& targets, std::vector<WatchedUnit>& views);
    // The job replaying `segment` of x, its start state fetched (node calls stay here).
    Result<SegmentJob> prepare(const Target& x, uint32_t segment);
    Result<Bytes> segment_start(const Target& x, uint32_t c,
                                std::optional<verifier::FraudProof>* leaf0);
    // Takes a finished replay: logs it, and keeps a proof it found for tend_units to offer.
    void collect_replay();
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

    Background<SegmentResult> job_;
    struct InFlight {
        TaskInfo task;
        UnitKey unit{};
        std::string tag;
        uint32_t segment = 0;
    };
    std::optional<InFlight> in_flight_;  // set exactly while job_ is busy
};

Status WhistleRole::poll(bool* idle) {
    auto tasks = core_.begin_pass();
    if (!tasks.ok()) return tasks.status();
    const auto now = Clock::now();
    budget_.elapse(std::chrono::duration<double>(now - last_pass_).count());
    last_pass_ = now;
    collect_replay();
    std::vector<Target> targets;
    std::vector<WatchedUnit> views;
    tend_units(*tasks, &targets, &views);
    if (!job_.busy()) start_replay(targets, views);
    *idle = tasks->empty() && !job_.busy();
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

void WhistleRole::start_replay(std::vector<Target>& targets, std::vector<WatchedUnit>& views) {
    while (budget_.allows()) {
        const auto pick = next_replay(views, rng_());
        if (!pick) return;
        const Target& x = targets[pick->unit];
        views[pick->unit].replayed.insert(pick->segment);  // not again this pass, whatever comes
        auto job = prepare(x, pick->segment);
        if (!job.ok()) {
            core_.log_error("replay", x.task, UnitKey{x.unit->round, x.unit->unit}, job.status());
            continue;
        }
        in_flight_ = InFlight{*x.task, UnitKey{x.unit->round, x.unit->unit}, x.tag, pick->segment};
        job_.start([job = std::move(*job)](const std::atomic<bool>& stop) {
            return replay_segment(job, stop);
        });
        return;
    }
}

void WhistleRole::collect_replay() {
    auto result = job_.take();
    if (!result) return;
    const InFlight f = std::move(*in_flight_);
    in_flight_.reset();
    if (!result->ok()) {
        // Replayed again on a later pass while the unit stays opened.
        if (!result->status().is(codes::kCancelled))
            core_.log_error("replay", &f.task, f.unit, result->status());
        return;
    }
    const SegmentResult& r = **result;
    budget_.spend(r.seconds);
    replayed_[f.tag].insert(f.segment);
    const json wrong = r.proof ? json(r.proof->leaf) : json(nullptr);
    core_.log(agent_events::kReplayed, &f.task, f.unit,
              {{"first_leaf", r.first_leaf},
               {"last_leaf", r.last_leaf},
               {"seconds", r.seconds},
               {"wrong_leaf", wrong}},
              "replayed leaves " + std::to_string(r.first_leaf) + ".." +
                  std::to_string(r.last_leaf) + " in " + std::to_string(r.seconds) + " s: " +
                  (r.proof ? "leaf " + std::to_string(r.proof->leaf) + " is wrong" : "all match"));
    if (!r.proof) return;
    const size_t bytes = verifier::encode_fraud_proof(*r.proof).size();
    core_.log(agent_events::kFraudFound, &f.task, f.unit,
              {{"leaf", r.proof->leaf}, {"bytes", bytes}},
              "built the fraud proof of leaf " + std::to_string(r.proof->leaf) + " (" +
                  std::to_string(bytes) + " bytes)");
    found_[f.tag] = *r.proof;  // offered by tend_units, this pass
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

Result<SegmentJob> WhistleRole::prepare(const Target& x, uint32_t segment) {
    const TaskInfo& t = *x.task;
    const UnitView& u = *x.unit;
    auto ds = core_.require_dataset(t);
    if (!ds.ok()) return ds.status();
    const uint32_t per = t.shape.leaves_per_checkpoint;
    SegmentJob j{t.spec,
                 verifier::UnitRef{t.id, u.round, u.unit},
                 u.leaves,
                 *ds,
                 &core_.backend(),
                 core_.exec(),
                 segment * per,
                 {},
                 {},
                 t,
                 core_.config().deviation};
    j.out.first_leaf = j.c == 0 ? 0u : j.c + 1;
    j.out.last_leaf = std::min(j.c + per, t.shape.last_leaf);
    auto bytes = segment_start(x, j.c, &j.out.proof);
    if (!bytes.ok()) return bytes.status();
    j.start = std::move(*bytes);
    return j;
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
