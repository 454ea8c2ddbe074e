// The solver agent's pass: open what is due, answer challenges, hand a unit to the trainer
// (agent_train.h, on its own thread) and commit it once trained, claim the next unit when it has
// none in training and the unit fits before CLAIM_TIMEOUT. Trained states are uploaded to the
// node's blob store (so verifiers and the next round can fetch them) and kept in the state dir.
// What it has promised survives a kill: a claim is written to the state dir before it is sent,
// training resumes from its last checkpoint, and the leaves and states it must open and serve
// are on disk before the commitment leaves.
#include <algorithm>
#include <bit>
#include <chrono>
#include <filesystem>
#include <utility>

#include "common/merkle.h"
#include "common/rpc_methods.h"
#include "consensus/proto/chain.pb.h"
#include "verifier/errors.h"
#include "verifier/proofs.h"
#include "wallet/agent_core.h"
#include "wallet/agent_deviation.h"
#include "wallet/agent_events.h"
#include "wallet/agent_train.h"
#include "wallet/agent_worker.h"
#include "wallet/blob_transfer.h"
#include "wallet/errors.h"
#include "wallet/secure_file.h"

namespace step::wallet::agent {
namespace {

using nlohmann::json;

Result<std::vector<Hash256>> read_leaves(const std::string& path) {
    auto text = read_small_file(path, 64u << 20);
    if (!text.ok()) return text.status();
    std::vector<Hash256> leaves;
    size_t at = 0;
    while (at < text->size()) {
        size_t nl = text->find('\n', at);
        if (nl == std::string::npos) nl = text->size();
        auto h = hash_from_hex(text->substr(at, nl - at));
        if (!h) return Status::error(codes::kStateCorrupt, path + " holds a line that is not a leaf");
        leaves.push_back(*h);
        at = nl + 1;
    }
    return leaves;
}

UnitKey key_of(const UnitView& u) {
    return {u.round, u.unit};
}

// Names one claim of a unit (a unit reopened and claimed again is another claim).
std::string commit_tag(const TaskInfo& t, const UnitView& u) {
    return "committed:" + unit_tag(t, u.round, u.unit, u.claim_height);
}

// Names a withheld final state whose recomputation gave another leaf (recompute-mismatch).
std::string recompute_failed_tag(const Hash256& final_leaf) {
    return "recompute-failed:" + to_hex(final_leaf);
}

constexpr char kUnitFinalText[] = "unit final: pay and bond released";

// A deviation's trace (agent_deviation.h) in place of train_unit's, on the background thread.
Result<TrainedUnit> deviant_trace(const Deviation& dev, const UnitTraining& job, const TaskInfo& t,
                                  UnitKey key) {
    const auto t0 = std::chrono::steady_clock::now();
    auto trace = dev.build_trace(TraceJob{*job.backend, job.exec, t, *job.data, key, job.start});
    if (!trace.ok()) return trace.status();
    return keep_trace(job, *trace,
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

class SolverRole final : public AgentRole {
public:
    explicit SolverRole(AgentCore& core) : core_(core) {}
    Status poll(bool* idle) override;
    void stop() override { job_.stop(); }

private:
    // The answers, openings and final notes due on our units; sets `training` when one of ours
    // is claimed and not yet committed.
    void tend_own_units(const std::vector<WorkableTask>& tasks, uint64_t height, bool* training);
    void open_trace(const TaskInfo& t, const UnitView& u, const std::string& tag);
    // Takes the background job's result when it is done: commits a trained unit that is still
    // ours to commit, or notes a measured step rate.
    void collect_job(const std::vector<WorkableTask>& tasks);
    // Starts training the first unit we claimed and have not committed; false when there is none.
    bool train_claimed(const std::vector<WorkableTask>& tasks);
    Status start_training(const TaskInfo& t, const UnitView& u, const UnitMap& units);
    // Training unit u from its round's start state, its progress in the unit's `progress_ext` file.
    Result<UnitTraining> unit_job(const TaskInfo& t, const UnitView& u, const UnitMap& units,
                                  const std::string& progress_ext);
    // Cancels a training whose unit is no longer ours to commit (its claim timed out).
    void drop_stale_job(const std::vector<WorkableTask>& tasks);
    Status commit_trained(const TaskInfo& t, const UnitView& u, const TrainedUnit& trained);
    // Forgets a pending claim another solver won, or that stayed off chain for a few blocks.
    void drop_lost_claim(const std::vector<WorkableTask>& tasks, uint64_t height);
    void claim_next(const std::vector<WorkableTask>& tasks, uint64_t height);
    // Whether a unit of `t` fits before CLAIM_TIMEOUT at our step rate; starts measuring the rate
    // (and says no) while it is unknown.
    bool fits(const TaskInfo& t);
    // Before a claim of a unit of `round`: recomputes a final state of the round before that its
    // solver withheld and nobody serves (finals_to_recompute). True while one is missing (its
    // recomputation started, or the node is still looking for it): the claim waits.
    bool recover_withheld_finals(const TaskInfo& t, uint32_t round, const UnitMap& units);
    Status start_recompute(const TaskInfo& t, const UnitView& u, const UnitMap& units);
    // The recomputed state checked against the committed final leaf and uploaded to the node.
    Status publish_recomputed(const TaskInfo& t, UnitKey key, const Hash256& final_leaf,
                              const TrainedUnit& trained);
    Status answer_challenge(const TaskInfo& t, const UnitView& u, const ChallengeView& c);
    // Logs `final` for our units of tasks that closed since the last pass (they leave listtasks).
    void report_closed_tasks(const std::vector<std::string>& open_ids);

    // The claim sent and not yet seen on chain: written to the state dir before it is sent, so a
    // restarted solver does not claim a second unit while it is pending.
    struct PendingClaim {
        std::string task;
        uint32_t round = 0, unit = 0;
        uint64_t sent_at = 0;
    };
    std::string claim_path() const { return core_.config().state_dir + "/claim.json"; }
    Status save_claim(const PendingClaim& c) const;
    void load_claim();
    void forget_claim();

    // What the background job is doing: training a unit (its claim height names the claim),
    // recomputing another solver's withheld final state (the committed final leaf it must give),
    // or measuring a task's step rate.
    struct JobOutput {
        std::optional<TrainedUnit> trained;
        double steps_per_s = 0;
    };
    struct InFlight {
        TaskInfo task;
        UnitKey unit{};
        uint64_t claim_height = 0;
        bool measuring = false;
        std::optional<Hash256> recompute_of;
    };

    AgentCore& core_;
    std::set<std::string> done_;  // actions taken and events logged, by tag (once each)
    std::optional<PendingClaim> pending_claim_;
    bool claim_loaded_ = false;
    uint64_t claim_refused_at_ = UINT64_MAX;  // height of the last refused claim: retry next block
    bool retry_refused_claim_ = false;        // a claim was just lost: one refusal is retried at once
    std::map<std::string, TaskInfo> worked_on_;  // open tasks we acted in, by id
    std::set<Hash256> withheld_;  // states a deviation keeps back, by committed leaf
    std::map<std::string, double> steps_per_s_;  // by task: measured, then from each training
    Background<JobOutput> job_;
    std::optional<InFlight> in_flight_;  // set exactly while job_ is busy
};

Status SolverRole::poll(bool* idle) {
    if (!claim_loaded_) load_claim();
    auto h = core_.height();
    if (!h.ok()) return h.status();
    auto ids = core_.open_task_ids();
    if (!ids.ok()) return ids.status();
    report_closed_tasks(*ids);
    auto tasks = core_.workable_tasks(*ids);
    if (!tasks.ok()) return tasks.status();
    bool training = false;  // a unit of ours is claimed (its claim on chain or pending)
    tend_own_units(*tasks, *h, &training);
    collect_job(*tasks);
    drop_stale_job(*tasks);
    // One unit in training at a time; the job runs while later passes open and answer.
    if (job_.busy() || train_claimed(*tasks)) {
        *idle = false;
        return Status();
    }
    drop_lost_claim(*tasks, *h);
    if (!training && !pending_claim_ && claim_refused_at_ != *h) claim_next(*tasks, *h);
    *idle = tasks->empty() && !job_.busy();
    return Status();
}

void SolverRole::tend_own_units(const std::vector<WorkableTask>& tasks, uint64_t height,
                                bool* training) {
    const std::string& me = core_.address();
    for (const auto& [t, units] : tasks) {
        for (const auto& [key, u] : units) {
            if (u.solver != me) continue;
            worked_on_[t.id_hex] = t;
            const std::string tag = unit_tag(t, key.first, key.second, u.commit_height);
            for (const ChallengeView& c : responses_due(u, me, height)) {
                const std::string answered = "answered:" + tag + ":" + std::to_string(c.leaf) +
                                             ":" + std::to_string(c.chunk) + "@" +
                                             std::to_string(c.height);
                if (done_.count(answered)) continue;
                Status s = answer_challenge(t, u, c);
                if (s.ok())
                    done_.insert(answered);
                else
                    core_.log_error("data response", &t, key_of(u), s);
            }
            if (open_due(u, me, height) && done_.insert("opened:" + tag).second)
                open_trace(t, u, tag);
            if (u.status == UnitStatus::kFinal && done_.insert("final:" + tag).second)
                core_.log(agent_events::kFinal, &t, key, json::object(), kUnitFinalText);
            if (commit_due(u, me)) *training = true;
        }
    }
}

void SolverRole::open_trace(const TaskInfo& t, const UnitView& u, const std::string& tag) {
    const UnitKey key = key_of(u);
    auto leaves = read_leaves(core_.unit_path(t, u.round, u.unit, ".leaves"));
    if (!leaves.ok()) {
        core_.log_error("open", &t, key, leaves.status());
        return;
    }
    pb::Transaction tx;
    auto* o = tx.mutable_open_trace();
    set_ref(o->mutable_unit(), t, u.round, u.unit);
    for (const Hash256& l : *leaves) o->add_leaves(l.data(), l.size());
    auto txid = core_.send(tx);
    if (!txid.ok()) {
        done_.erase("opened:" + tag);  // try again next pass, still in the window
        core_.log_error("open", &t, key, txid.status());
        return;
    }
    core_.log(agent_events::kOpened, &t, key, {{"txid", *txid}, {"leaves", leaves->size()}},
              "opened the trace (" + std::to_string(leaves->size()) + " leaves), tx " + *txid);
}

void SolverRole::collect_job(const std::vector<WorkableTask>& tasks) {
    auto result = job_.take();
    if (!result) return;
    const InFlight f = std::move(*in_flight_);
    in_flight_.reset();
    const UnitKey key = f.unit;
    if (!result->ok()) {
        if (!result->status().is(codes::kCancelled))
            core_.log_error(f.measuring ? "measure step rate" : "train", &f.task,
                            f.measuring ? std::nullopt : std::optional(key), result->status());
        return;
    }
    if (f.measuring) {
        steps_per_s_[f.task.id_hex] = (*result)->steps_per_s;
        return;
    }
    const TrainedUnit& trained = *(*result)->trained;
    if (trained.steps_trained > 0 && trained.seconds > 0)
        steps_per_s_[f.task.id_hex] = static_cast<double>(trained.steps_trained) / trained.seconds;
    if (f.recompute_of) {
        Status s = publish_recomputed(f.task, key, *f.recompute_of, trained);
        if (!s.ok()) core_.log_error("recompute", &f.task, key, s);
        return;
    }
    for (const auto& [t, units] : tasks) {
        if (t.id_hex != f.task.id_hex) continue;
        auto it = units.find(key);
        // The claim may have timed out meanwhile: the unit is no longer ours to commit.
        if (it == units.end() || !commit_due(it->second, core_.address()) ||
            it->second.claim_height != f.claim_height)
            return;
        Status s = commit_trained(t, it->second, trained);
        if (!s.ok()) core_.log_error("commit", &t, key, s);
    }
}

void SolverRole::drop_stale_job(const std::vector<WorkableTask>& tasks) {
    if (!in_flight_ || in_flight_->measuring || in_flight_->recompute_of) return;
    for (const auto& [t, units] : tasks) {
        if (t.id_hex != in_flight_->task.id_hex) continue;
        auto it = units.find(in_flight_->unit);
        if (it != units.end() && commit_due(it->second, core_.address()) &&
            it->second.claim_height == in_flight_->claim_height)
            return;
    }
    job_.cancel();  // collect_job drops its result
}

bool SolverRole::train_claimed(const std::vector<WorkableTask>& tasks) {
    for (const auto& [t, units] : tasks)
        for (const auto& [key, u] : units) {
            if (!commit_due(u, core_.address()) || done_.count(commit_tag(t, u))) continue;
            if (pending_claim_ && pending_claim_->task == t.id_hex &&
                pending_claim_->round == key.first && pending_claim_->unit == key.second)
                forget_claim();
            Status s = start_training(t, u, units);
            if (!s.ok()) core_.log_error("train and commit", &t, key, s);
            return true;
        }
    return false;
}

Result<UnitTraining> SolverRole::unit_job(const TaskInfo& t, const UnitView& u,
                                          const UnitMap& units, const std::string& progress_ext) {
    auto ds = core_.require_dataset(t);
    if (!ds.ok()) return ds.status();
    auto start = core_.start_state(t, u.round, units);
    if (!start.ok()) return start.status();
    UnitTraining job;
    job.spec = t.spec;
    job.shape = t.shape;
    job.unit = verifier::UnitRef{t.id, u.round, u.unit};
    job.start = std::move(*start);
    job.data = *ds;
    job.backend = &core_.backend();
    job.exec = core_.exec();
    job.state_dir = core_.config().state_dir;
    job.progress_path = core_.unit_path(t, u.round, u.unit, progress_ext);
    return job;
}

Status SolverRole::start_training(const TaskInfo& t, const UnitView& u, const UnitMap& units) {
    auto job = unit_job(t, u, units, ".progress");
    if (!job.ok()) return job.status();
    in_flight_ = InFlight{t, key_of(u), u.claim_height, false, std::nullopt};
    job_.start([job = std::move(*job), dev = core_.config().deviation, t,
                key = key_of(u)](const std::atomic<bool>& stop) -> Result<JobOutput> {
        auto trained = dev && dev->build_trace ? deviant_trace(*dev, job, t, key) : train_unit(job, stop);
        if (!trained.ok()) return trained.status();
        return JobOutput{std::move(*trained), 0};
    });
    return Status();
}

Status SolverRole::commit_trained(const TaskInfo& t, const UnitView& u,
                                  const TrainedUnit& trained) {
    const UnitKey key = key_of(u);
    const uint64_t steps = t.spec.steps_per_unit;
    json fields = {{"seconds", trained.seconds}, {"steps", steps}, {"loss", trained.last_loss}};
    std::string text = "trained " + std::to_string(steps) + " steps in " +
                       std::to_string(trained.seconds) + " s, last loss " +
                       std::to_string(trained.last_loss);
    if (trained.resumed_from > 0) {
        fields["resumed_from"] = trained.resumed_from;
        text += " (resumed from leaf " + std::to_string(trained.resumed_from) + ")";
    }
    core_.log(agent_events::kTrained, &t, key, fields, text);

    // Keep the leaves (for OpenTrace, also after a restart); every state we must serve is in the
    // state dir already (agent_train.h).
    std::string leaves_text;
    for (const Hash256& l : trained.leaves) leaves_text += to_hex(l) + "\n";
    STEP_TRY(atomic_write_file(core_.unit_path(t, u.round, u.unit, ".leaves"), leaves_text, 0600,
                               WriteMode::kReplace));
    const std::vector<uint32_t> served = served_leaves(t.shape);
    const Deviation* dev = core_.config().deviation.get();
    uint64_t uploaded_chunks = 0;
    for (uint32_t leaf : served) {
        withheld_.erase(trained.leaves[leaf]);
        if (dev && dev->withhold_state && dev->withhold_state(t, key, leaf)) {
            withheld_.insert(trained.leaves[leaf]);
            continue;
        }
        auto file = read_small_file(core_.state_path(trained.leaves[leaf]), rpc::kMaxBlobBytes);
        if (!file.ok()) return file.status();
        if (dev && dev->publish_first_chunk_only && dev->publish_first_chunk_only(t, key, leaf)) {
            auto up = upload_chunk(core_.rpc(), Bytes(file->begin(), file->end()), 0);
            if (!up.ok()) return up.status();
            uploaded_chunks += *up ? 1 : 0;
            continue;
        }
        auto up = upload_blob(core_.rpc(), Bytes(file->begin(), file->end()));
        if (!up.ok()) return up.status();
        uploaded_chunks += up->uploaded;
    }
    core_.log(agent_events::kUploaded, &t, key,
              {{"blobs", served.size()}, {"chunks", uploaded_chunks}},
              "uploaded " + std::to_string(served.size()) + " state blobs (" +
                  std::to_string(uploaded_chunks) + " new chunks)");

    pb::Transaction tx;
    auto* c = tx.mutable_commit_unit();
    set_ref(c->mutable_unit(), t, u.round, u.unit);
    c->set_trace_root(trained.root.data(), trained.root.size());
    c->set_leaf0(trained.leaves.front().data(), 32);
    c->set_final_leaf(trained.leaves.back().data(), 32);
    const uint32_t per = t.shape.leaves_per_checkpoint;
    for (size_t i = per; i < trained.leaves.size(); i += per)
        c->add_checkpoint_leaves(trained.leaves[i].data(), 32);
    c->set_reported_loss(std::bit_cast<uint32_t>(trained.last_loss));
    auto txid = core_.send(tx);
    if (!txid.ok()) return txid.status();
    done_.insert(commit_tag(t, u));  // in the mempool: do not train it again
    core_.log(agent_events::kCommitted, &t, key,
              {{"txid", *txid}, {"trace_root", to_hex(trained.root)}},
              "committed trace root " + to_hex(trained.root).substr(0, 16) + ", tx " + *txid);
    return Status();
}

void SolverRole::drop_lost_claim(const std::vector<WorkableTask>& tasks, uint64_t height) {
    if (!pending_claim_) return;
    // Another solver's claim won (the unit is someone else's now), or ours is still not on
    // chain after a few blocks (dropped): look for another unit.
    bool lost = height > pending_claim_->sent_at + 3;
    for (const auto& [t, units] : tasks) {
        if (t.id_hex != pending_claim_->task) continue;
        auto it = units.find({pending_claim_->round, pending_claim_->unit});
        if (it != units.end() && it->second.status != UnitStatus::kOpen &&
            it->second.solver != core_.address()) {
            lost = true;
            // Our losing ClaimUnit still waits in the node's mempool, where the next claim we
            // send is checked after it: that claim is refused ("no longer applies"), and the
            // refusal drops both from the mempool. The claim after it then goes through.
            retry_refused_claim_ = true;
        }
    }
    if (lost) forget_claim();
}

bool SolverRole::fits(const TaskInfo& t) {
    auto rate = steps_per_s_.find(t.id_hex);
    if (rate == steps_per_s_.end()) {
        // Measure first (off the loop, like training); a later pass decides.
        auto ds = core_.require_dataset(t);
        if (!ds.ok()) return false;
        in_flight_ = InFlight{t, {}, 0, true, std::nullopt};
        job_.start([spec = t.spec, data = *ds, backend = &core_.backend(), exec = core_.exec(),
                    id = t.id](const std::atomic<bool>&) -> Result<JobOutput> {
            auto rate = measure_step_rate(*backend, exec, spec, *data, id);
            if (!rate.ok()) return rate.status();
            return JobOutput{std::nullopt, *rate};
        });
        return false;
    }
    const double block_s = core_.block_seconds();
    if (claim_fits(t.spec.steps_per_unit, rate->second, block_s, core_.params().claim_timeout))
        return true;
    if (done_.insert("too-slow:" + t.id_hex).second)
        core_.log(agent_events::kSkipped, &t, std::nullopt,
                  {{"reason", std::string(codes::kUnitTooLong.name)},
                   {"steps_per_s", rate->second},
                   {"block_seconds", block_s}},
                  "a unit of " + std::to_string(t.spec.steps_per_unit) + " steps at " +
                      std::to_string(rate->second) + " steps/s does not fit in CLAIM_TIMEOUT (" +
                      std::to_string(core_.params().claim_timeout) + " blocks of " +
                      std::to_string(block_s) + " s): not claiming");
    return false;
}

void SolverRole::claim_next(const std::vector<WorkableTask>& tasks, uint64_t height) {
    const Deviation* dev = core_.config().deviation.get();
    for (const auto& [t, units] : tasks) {
        auto c = dev && dev->claim_target ? dev->claim_target(t, units)
                                          : first_claimable(t.rounds, units);
        if (!c || !fits(t) || recover_withheld_finals(t, c->first, units)) {
            if (job_.busy()) return;  // measuring or recomputing
            continue;
        }
        const PendingClaim claim{t.id_hex, c->first, c->second, height};
        // Saved before it is sent: a restarted solver must know of a claim in flight.
        if (Status s = save_claim(claim); !s.ok()) return core_.log_error("claim", &t, *c, s);
        pending_claim_ = claim;
        pb::Transaction tx;
        set_ref(tx.mutable_claim_unit()->mutable_unit(), t, c->first, c->second);
        auto txid = core_.send(tx);
        if (!txid.ok()) {
            // Refused (e.g. insufficient-bond): say so once per block, not once per poll; once
            // after a lost claim, try again at the next pass (see drop_lost_claim).
            forget_claim();
            if (!std::exchange(retry_refused_claim_, false)) claim_refused_at_ = height;
            core_.log_error("claim", &t, *c, txid.status());
            continue;
        }
        core_.log(agent_events::kClaimed, &t, *c, {{"txid", *txid}}, "claim sent, tx " + *txid);
        return;
    }
}

bool SolverRole::recover_withheld_finals(const TaskInfo& t, uint32_t round, const UnitMap& units) {
    for (uint32_t k : finals_to_recompute(round, t.rounds.units_per_round, units)) {
        const UnitView& u = units.at({round - 1, k});
        if (done_.count(recompute_failed_tag(u.final_leaf))) return true;  // it would fail again
        if (std::filesystem::exists(core_.state_path(u.final_leaf)))
            continue;  // ours, or recomputed
        // Another solver may have recomputed and uploaded it: then the node serves it.
        auto served =
            find_state_blob(core_.rpc(), t.id, u.round, k, t.shape.last_leaf, u.final_leaf);
        if (served.ok()) continue;
        if (!served.status().is(codes::kStateUnavailable)) {
            if (!served.status().is(codes::kStateFetching))
                core_.log_error("recompute", &t, key_of(u), served.status());
            return true;
        }
        Status s = start_recompute(t, u, units);
        if (!s.ok()) core_.log_error("recompute", &t, key_of(u), s);
        return true;
    }
    return false;
}

Status SolverRole::start_recompute(const TaskInfo& t, const UnitView& u, const UnitMap& units) {
    auto job = unit_job(t, u, units, ".recompute");
    if (!job.ok()) return job.status();
    in_flight_ = InFlight{t, key_of(u), 0, false, u.final_leaf};
    // The honest training path, whatever deviation this agent runs: the state must be the one
    // committed.
    job_.start([job = std::move(*job)](const std::atomic<bool>& stop) -> Result<JobOutput> {
        auto trained = train_unit(job, stop);
        if (!trained.ok()) return trained.status();
        return JobOutput{std::move(*trained), 0};
    });
    return Status();
}

Status SolverRole::publish_recomputed(const TaskInfo& t, UnitKey key, const Hash256& final_leaf,
                                      const TrainedUnit& trained) {
    if (trained.leaves.back() != final_leaf) {
        done_.insert(recompute_failed_tag(final_leaf));
        std::error_code ec;  // not the committed state: never serve it
        std::filesystem::remove(core_.state_path(trained.leaves.back()), ec);
        return Status::error(codes::kRecomputeMismatch,
                             "unit " + std::to_string(key.first) + "/" +
                                 std::to_string(key.second) + " trained again ends at leaf " +
                                 to_hex(trained.leaves.back()) + ", not the committed " +
                                 to_hex(final_leaf));
    }
    auto file = read_small_file(core_.state_path(final_leaf), rpc::kMaxBlobBytes);
    if (!file.ok()) return file.status();
    auto up = upload_blob(core_.rpc(), Bytes(file->begin(), file->end()));
    if (!up.ok()) return up.status();
    core_.log(agent_events::kRecomputed, &t, key,
              {{"seconds", trained.seconds}, {"chunks", up->uploaded}},
              "recomputed the final state its solver withheld (" +
                  std::to_string(trained.steps_trained) + " steps in " +
                  std::to_string(trained.seconds) + " s, unpaid), checked it against the " +
                  "committed final leaf and uploaded it (" + std::to_string(up->uploaded) +
                  " new chunks)");
    return Status();
}

Status SolverRole::save_claim(const PendingClaim& c) const {
    const json j = {
        {"task_id", c.task}, {"round", c.round}, {"unit", c.unit}, {"sent_at", c.sent_at}};
    return atomic_write_file(claim_path(), j.dump(), 0600, WriteMode::kReplace);
}

void SolverRole::load_claim() {
    claim_loaded_ = true;
    auto text = read_small_file(claim_path(), 4096);
    if (!text.ok()) return;
    const json j = json::parse(*text, nullptr, false);
    auto task = json_string(j, "task_id");
    auto round = json_u64(j, "round");
    auto unit = json_u64(j, "unit");
    auto sent_at = json_u64(j, "sent_at");
    if (!task.ok() || !round.ok() || !unit.ok() || !sent_at.ok()) return forget_claim();
    pending_claim_ =
        PendingClaim{*task, static_cast<uint32_t>(*round), static_cast<uint32_t>(*unit), *sent_at};
}

void SolverRole::forget_claim() {
    pending_claim_.reset();
    std::error_code ec;
    std::filesystem::remove(claim_path(), ec);  // gone already is fine
}

void SolverRole::report_closed_tasks(const std::vector<std::string>& open_ids) {
    for (auto it = worked_on_.begin(); it != worked_on_.end();) {
        if (std::find(open_ids.begin(), open_ids.end(), it->first) != open_ids.end()) {
            ++it;
            continue;
        }
        const TaskInfo& t = it->second;
        for (uint32_t r = 0; r < t.rounds.rounds; ++r)
            for (uint32_t k = 0; k < t.rounds.units_per_round; ++k) {
                auto u = core_.unit(t, r, k);
                if (!u.ok() || u->solver != core_.address() || u->status != UnitStatus::kFinal)
                    continue;
                if (done_.insert("final:" + unit_tag(t, r, k, u->commit_height)).second)
                    core_.log(agent_events::kFinal, &t, std::make_pair(r, k), json::object(), kUnitFinalText);
            }
        core_.log(agent_events::kTaskClosed, &t, std::nullopt, json::object(), "task closed");
        it = worked_on_.erase(it);
    }
}

Status SolverRole::answer_challenge(const TaskInfo& t, const UnitView& u, const ChallengeView& c) {
    auto leaves = read_leaves(core_.unit_path(t, u.round, u.unit, ".leaves"));
    if (!leaves.ok()) return leaves.status();
    if (c.leaf >= leaves->size())
        return Status::error(verifier::codes::kBadLeafIndex, "challenge names leaf " + std::to_string(c.leaf));
    const Hash256& committed = (*leaves)[c.leaf];
    if (withheld_.count(committed)) return Status();  // a deviation (agent_deviation.h)
    auto file = read_small_file(core_.state_path(committed), rpc::kMaxBlobBytes);
    if (!file.ok()) return file.status();
    const Bytes bytes(file->begin(), file->end());
    auto proof = verifier::make_chunk_proof(bytes, c.chunk);
    if (!proof.ok()) return proof.status();
    const Hash256 root = blob_root(bytes);
    pb::Transaction tx;
    auto* r = tx.mutable_data_response();
    set_ref(r->mutable_unit(), t, u.round, u.unit);
    r->set_leaf(c.leaf);
    r->set_kind(c.kind == DataKind::kFinalState ? pb::DATA_FINAL_STATE : pb::DATA_CHECKPOINT);
    r->set_chunk_index(c.chunk);
    r->set_blob_root(root.data(), root.size());
    r->set_blob_size(proof->blob_size);
    r->set_chunks_root(proof->chunks_root.data(), proof->chunks_root.size());
    r->set_chunk(proof->chunk.data(), proof->chunk.size());
    for (const Hash256& p : proof->path) r->add_proof(p.data(), p.size());
    auto txid = core_.send(tx);
    if (!txid.ok()) return txid.status();
    const std::string kind(data_kind_name(c.kind));
    core_.log(agent_events::kAnswered, &t, key_of(u),
              {{"txid", *txid}, {"kind", kind}, {"leaf", c.leaf}, {"chunk", c.chunk}},
              "answered a " + kind + " challenge on leaf " + std::to_string(c.leaf) + " chunk " +
                  std::to_string(c.chunk) + ", tx " + *txid);
    return Status();
}

}  // namespace

std::unique_ptr<AgentRole> make_solver(AgentCore& core) {
    return std::make_unique<SolverRole>(core);
}

}  // namespace step::wallet::agent
