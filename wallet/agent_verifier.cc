// The verifier agent's pass: for every committed unit that assigned it an audit, replay each
// sampled leaf from the checkpoint before it (fetched from the blob store, or the round's start
// state for leaf 0), commit to the digests in the commit window and reveal them in the reveal
// window. The replays run off the poll loop (agent_worker.h), one audit at a time, so reveals
// of other units go on meanwhile; so does the whole-unit replay that finds a fraud proof's leaf.
// The salt and digests are written to the state dir (atomically: secure_file.h) before the
// commitment is sent, so a restarted agent can still reveal.
#include <chrono>

#include "common/rpc_methods.h"
#include "consensus/errors.h"
#include "consensus/keys.h"
#include "consensus/market.h"
#include "consensus/proto/chain.pb.h"
#include "verifier/audit.h"
#include "verifier/errors.h"
#include "verifier/whistle.h"
#include "wallet/agent_core.h"
#include "wallet/agent_deviation.h"
#include "wallet/agent_events.h"
#include "wallet/agent_proof.h"
#include "wallet/agent_worker.h"
#include "wallet/errors.h"
#include "wallet/secure_file.h"

namespace step::wallet::agent {
namespace {

using nlohmann::json;

std::string audit_tag(const TaskInfo& t, const UnitView& u) {
    return unit_tag(t, u.round, u.unit, u.commit_height);
}

struct SavedAudit {
    Hash256 salt{};
    std::vector<Hash256> digests;
};

Result<SavedAudit> read_audit(const std::string& path) {
    auto text = read_small_file(path, 16u << 20);
    if (!text.ok()) return text.status();
    const json j = json::parse(*text, nullptr, false);
    SavedAudit a;
    auto salt = j.is_object() && j.contains("salt") && j["salt"].is_string()
                    ? hash_from_hex(j["salt"].get<std::string>())
                    : std::nullopt;
    if (!salt || !j.contains("digests") || !j["digests"].is_array())
        return Status::error(codes::kStateCorrupt, path + " is not a saved audit");
    a.salt = *salt;
    for (const json& d : j["digests"]) {
        auto h = d.is_string() ? hash_from_hex(d.get<std::string>()) : std::nullopt;
        if (!h) return Status::error(codes::kStateCorrupt, path + " holds a bad digest");
        a.digests.push_back(*h);
    }
    return a;
}

// What an audit's replay reads: for each sampled leaf, the checkpoint before it and the leaf
// that commits to that checkpoint. The job owns these copies.
struct AuditReplay {
    kernels::TaskSpec spec;
    verifier::TraceShape shape;
    verifier::UnitRef unit;
    const kernels::Dataset* data = nullptr;
    kernels::Backend* backend = nullptr;
    kernels::Exec exec;
    struct Piece {
        uint32_t sampled = 0;
        Bytes checkpoint;
        Hash256 committed{};
    };
    std::vector<Piece> pieces;
};

struct Replayed {
    std::map<uint32_t, Hash256> digests;  // leaf -> digest of our replay
    double seconds = 0;
};

// Runs on the background thread: every piece's replay (run_audit checks each checkpoint
// against its committed leaf first). Error "cancelled" when stopped between pieces.
Result<Replayed> replay_audit(const AuditReplay& job, const std::atomic<bool>& stop) {
    Replayed out;
    const auto t0 = std::chrono::steady_clock::now();
    for (const AuditReplay::Piece& p : job.pieces) {
        if (stop.load()) return Status::error(codes::kCancelled, "audit replay stopped");
        auto work = verifier::run_audit(*job.backend, job.exec, job.spec, *job.data, job.unit,
                                        p.sampled, p.checkpoint, p.committed);
        const uint32_t c = job.shape.checkpoint_before(p.sampled);
        if (!work.ok() && checkpoint_disproves_trace(work.status())) {
            // No state reaches the committed checkpoint honestly: digests no state has make the
            // reveal disagree, and the fraud is proven once the trace is opened.
            for (uint32_t leaf = c + 1; leaf <= p.sampled; ++leaf) out.digests[leaf] = Hash256{};
            continue;
        }
        if (!work.ok()) return work.status();
        for (size_t i = 0; i < work->digests.size(); ++i)
            out.digests[c + 1 + static_cast<uint32_t>(i)] = work->digests[i];
    }
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return out;
}

// What the whole-unit replay that finds a fraud proof's leaf reads (find_first_wrong_leaf's
// inputs). The job owns these copies; the dataset and backend are left alone by the poll
// thread while it runs.
struct ProofSearch {
    kernels::TaskSpec spec;
    verifier::UnitRef unit;
    std::vector<Hash256> leaves;
    std::vector<kernels::TrainState> previous_finals;
    const kernels::Dataset* data = nullptr;
    kernels::Backend* backend = nullptr;
    kernels::Exec exec;
    TaskInfo task;  // for the deviation seam
    std::shared_ptr<const Deviation> deviation;
};

// Runs on the background thread: the first wrong leaf of the opened trace with its proof, or
// nullopt when every leaf replays right. Error "cancelled" when stopped first.
Result<std::optional<verifier::WrongLeaf>> search_proof(const ProofSearch& job,
                                                        const std::atomic<bool>& stop) {
    if (job.deviation && job.deviation->before_proof_search)
        job.deviation->before_proof_search(job.task, UnitKey{job.unit.round, job.unit.unit}, stop);
    if (stop.load()) return Status::error(codes::kCancelled, "fraud proof search stopped");
    return verifier::find_first_wrong_leaf(*job.backend, job.exec, job.spec, *job.data, job.unit,
                                           job.leaves, job.previous_finals);
}

class VerifierRole final : public AgentRole {
public:
    explicit VerifierRole(AgentCore& core) : core_(core), prover_(core) {}
    Status poll(bool* idle) override;
    void stop() override {
        replay_.stop();
        search_.stop();
    }

private:
    // The audit step, fraud proof and verdict note due on one unit that drew us.
    void tend_audit(const TaskInfo& t, const UnitView& u, const AuditView& a, const UnitMap& units,
                    uint64_t height);
    // True once the step's transaction is sent; false while its replay is pending.
    Result<bool> audit_unit(const TaskInfo& t, const UnitView& u, AuditStep step,
                            const UnitMap& units);
    // Our audit's commitment: sent again as saved, or made from a finished replay (the salt and
    // digests saved first), or its replay started when the background thread is free.
    Result<bool> commit_audit(const TaskInfo& t, const UnitView& u, const AuditView& a,
                              const std::string& path, const UnitMap& units);
    Status start_replay(const TaskInfo& t, const UnitView& u, const AuditView& a,
                        const UnitMap& units);
    // Takes a finished replay's digests (or logs its failure).
    void collect_replay();
    // Saves a fresh salt and the digests (before sending: a commitment whose salt is lost can
    // never be revealed), then commits to them.
    Status save_and_commit(const TaskInfo& t, const UnitView& u, const AuditView& a,
                           const std::string& path, const std::vector<Hash256>& digests,
                           double replay_seconds);
    Status send_audit_commit(const TaskInfo& t, const UnitView& u, const AuditView& a,
                             const Hash256& salt, const std::vector<Hash256>& digests,
                             double replay_seconds);
    // ProofCommit, then (once it is in a block) FraudProof for the first wrong leaf of an opened
    // trace our audit disagreed with (the Prover keeps it across restarts); the leaf is found
    // by a whole-unit replay on the background thread first.
    Status prove_fraud(const TaskInfo& t, const UnitView& u, const UnitMap& units);
    Status start_search(const TaskInfo& t, const UnitView& u, const UnitMap& units);
    // Takes a finished search's proof (or logs that there is none, or its failure).
    void collect_search();
    // The audit replays and the proof search share the backend: one of them runs at a time.
    bool worker_busy() const { return replay_.busy() || search_.busy(); }

    AgentCore& core_;
    Prover prover_;
    std::set<std::string> done_;      // audit steps taken and verdicts logged, by tag (once each)
    std::set<std::string> searched_;  // units replayed whole for a proof, by tag (once each)

    Background<Replayed> replay_;
    struct InFlight {
        TaskInfo task;
        UnitKey unit{};
        std::string tag;
    };
    std::optional<InFlight> in_flight_;         // set exactly while replay_ is busy
    std::map<std::string, Replayed> replayed_;  // the finished replay by audit tag, until committed

    Background<std::optional<verifier::WrongLeaf>> search_;
    std::optional<InFlight> searching_;                  // set exactly while search_ is busy
    std::map<std::string, verifier::FraudProof> found_;  // searched proofs by tag, until committed
};

Status VerifierRole::poll(bool* idle) {
    auto tasks = core_.begin_pass();
    if (!tasks.ok()) return tasks.status();
    collect_replay();
    collect_search();
    for (const auto& [t, units] : *tasks)
        for (const auto& [key, u] : units)
            if (const AuditView* a = u.audit_of(core_.address()))
                tend_audit(t, u, *a, units, core_.poll_height());
    *idle = tasks->empty() && !worker_busy();
    return Status();
}

void VerifierRole::collect_replay() {
    auto result = replay_.take();
    if (!result) return;
    const InFlight f = std::move(*in_flight_);
    in_flight_.reset();
    // One replay at a time, each taken on the pass after it ends: an older one left here is of
    // a unit whose commit window closed meanwhile.
    replayed_.clear();
    if (result->ok())
        replayed_[f.tag] = std::move(**result);
    else if (!result->status().is(codes::kCancelled))
        core_.log_error("audit replay", &f.task, f.unit, result->status());
}

void VerifierRole::tend_audit(const TaskInfo& t, const UnitView& u, const AuditView& a,
                              const UnitMap& units, uint64_t height) {
    const UnitKey key{u.round, u.unit};
    const std::string tag = audit_tag(t, u);
    const AuditStep step = audit_due(u, core_.address(), height);
    const std::string done_key =
        (step == AuditStep::kCommit ? "audit-commit:" : "audit-reveal:") + tag;
    const Deviation* dev = core_.config().deviation.get();
    if (step != AuditStep::kNothing && !done_.count(done_key) &&
        (!dev || !dev->take_audit_step || dev->take_audit_step(t, u, step))) {
        auto sent = audit_unit(t, u, step, units);
        if (!sent.ok())
            core_.log_error(step == AuditStep::kCommit ? "audit commit" : "audit reveal", &t, key,
                            sent.status());
        else if (*sent)
            done_.insert(done_key);
    }
    if (proof_due(u, core_.address())) {
        Status s = prove_fraud(t, u, units);
        if (!s.ok()) core_.log_error("fraud proof", &t, key, s);
    }
    if (a.verdict != Verdict::kNone && done_.insert("verdict:" + tag).second) {
        const std::string verdict(verdict_name(a.verdict));
        core_.log(agent_events::kVerdict, &t, key, {{"verdict", verdict}},
                  "audit verdict: " + verdict +
                      (a.verdict == Verdict::kAgreed ? " (audit fee paid)" : ""));
    }
}

Status VerifierRole::prove_fraud(const TaskInfo& t, const UnitView& u, const UnitMap& units) {
    if (prover_.stage(t, u) != Prover::Stage::kNone) return prover_.advance(t, u);
    const std::string tag = audit_tag(t, u);
    if (auto f = found_.find(tag); f != found_.end()) {
        const verifier::FraudProof proof = std::move(f->second);
        found_.erase(f);
        return prover_.commit(t, u, proof);
    }
    if (searched_.count(tag) || worker_busy()) return Status();
    return start_search(t, u, units);
}

Status VerifierRole::start_search(const TaskInfo& t, const UnitView& u, const UnitMap& units) {
    auto ds = core_.require_dataset(t);
    if (!ds.ok()) return ds.status();
    // The previous finals are fetched here (node calls stay on the poll thread).
    auto previous_finals = core_.previous_finals(t, u.round, units);
    if (!previous_finals.ok()) return previous_finals.status();
    ProofSearch job{t.spec,
                    verifier::UnitRef{t.id, u.round, u.unit},
                    u.leaves,
                    std::move(*previous_finals),
                    *ds,
                    &core_.backend(),
                    core_.exec(),
                    t,
                    core_.config().deviation};
    searching_ = InFlight{t, UnitKey{u.round, u.unit}, audit_tag(t, u)};
    search_.start(
        [job = std::move(job)](const std::atomic<bool>& stop) { return search_proof(job, stop); });
    return Status();
}

void VerifierRole::collect_search() {
    auto result = search_.take();
    if (!result) return;
    const InFlight f = std::move(*searching_);
    searching_.reset();
    if (!result->ok()) {
        // Searched again on a later pass while the unit is still opened.
        if (!result->status().is(codes::kCancelled))
            core_.log_error("fraud proof", &f.task, f.unit, result->status());
        return;
    }
    searched_.insert(f.tag);
    if (!result->value().has_value()) {
        core_.log(agent_events::kNoFraud, &f.task, f.unit, json::object(),
                  "the opened trace replays right although our audit disagreed: nothing to prove");
        return;
    }
    // Committed by this pass's prove_fraud, which reads the unit afresh.
    found_[f.tag] = std::move(result->value()->proof);
}

Result<bool> VerifierRole::audit_unit(const TaskInfo& t, const UnitView& u, AuditStep step,
                                      const UnitMap& units) {
    const AuditView* a = u.audit_of(core_.address());
    const std::string path =
        core_.unit_path(t, u.round, u.unit, "-c" + std::to_string(u.commit_height) + ".audit");
    if (step == AuditStep::kCommit) return commit_audit(t, u, *a, path, units);
    auto saved = read_audit(path);
    if (!saved.ok()) return saved.status();
    pb::Transaction tx;
    auto* r = tx.mutable_audit_reveal();
    set_ref(r->mutable_unit(), t, u.round, u.unit);
    r->set_salt(saved->salt.data(), saved->salt.size());
    for (const Hash256& d : saved->digests) r->add_digests(d.data(), d.size());
    auto txid = core_.send(tx);
    if (!txid.ok()) return txid.status();
    core_.log(agent_events::kRevealed, &t, UnitKey{u.round, u.unit},
              {{"txid", *txid}, {"digests", saved->digests.size()}},
              "revealed " + std::to_string(saved->digests.size()) + " digests, tx " + *txid);
    return true;
}

Result<bool> VerifierRole::commit_audit(const TaskInfo& t, const UnitView& u, const AuditView& a,
                                        const std::string& path, const UnitMap& units) {
    // A commitment saved by an earlier run (stopped before its transaction landed) is sent
    // again as it was: a new salt would leave a commitment on chain that no reveal matches.
    if (auto saved = read_audit(path); saved.ok()) {
        STEP_TRY(send_audit_commit(t, u, a, saved->salt, saved->digests, 0));
        return true;
    }
    const Deviation* dev = core_.config().deviation.get();
    if (auto lazy = dev && dev->audit_digests ? dev->audit_digests(t, u, a) : std::nullopt) {
        STEP_TRY(save_and_commit(t, u, a, path, *lazy, 0));
        return true;
    }
    auto done = replayed_.find(audit_tag(t, u));
    if (done == replayed_.end()) {
        if (!worker_busy()) STEP_TRY(start_replay(t, u, a, units));
        return false;  // a later pass commits once the replay is done
    }
    const Replayed replayed = std::move(done->second);
    replayed_.erase(done);
    auto digests = audit_digests(a.leaves, t.shape.leaves_per_checkpoint, replayed.digests);
    if (!digests.ok()) return digests.status();
    STEP_TRY(save_and_commit(t, u, a, path, *digests, replayed.seconds));
    return true;
}

Status VerifierRole::save_and_commit(const TaskInfo& t, const UnitView& u, const AuditView& a,
                                     const std::string& path, const std::vector<Hash256>& digests,
                                     double replay_seconds) {
    const Seed salt_seed = random_seed();
    Hash256 salt;
    std::copy(salt_seed.bytes().begin(), salt_seed.bytes().end(), salt.begin());
    // Saved before sending: a commitment on chain whose salt is lost can never be revealed.
    json saved = {{"salt", to_hex(salt)}, {"digests", json::array()}};
    for (const Hash256& d : digests) saved["digests"].push_back(to_hex(d));
    STEP_TRY(atomic_write_file(path, saved.dump(), 0600, WriteMode::kReplace));
    return send_audit_commit(t, u, a, salt, digests, replay_seconds);
}

Status VerifierRole::start_replay(const TaskInfo& t, const UnitView& u, const AuditView& a,
                                  const UnitMap& units) {
    auto ds = core_.require_dataset(t);
    if (!ds.ok()) return ds.status();
    AuditReplay job{t.spec, t.shape,          verifier::UnitRef{t.id, u.round, u.unit},
                    *ds,    &core_.backend(), core_.exec(),
                    {}};
    const uint32_t per = t.shape.leaves_per_checkpoint;
    // The checkpoints are fetched here (node calls stay on the poll thread); only the replays
    // go to the background.
    for (uint32_t s : a.leaves) {
        if (s == 0 || s > t.shape.last_leaf)
            return Status::error(verifier::codes::kBadLeafIndex,
                                 "sampled leaf " + std::to_string(s) + " is outside the trace");
        const uint32_t c = t.shape.checkpoint_before(s);
        auto committed = checkpoint_leaf(u, c, per);
        if (!committed)
            return Status::error(consensus::codes::kBadCommit,
                                 "the unit lacks checkpoint leaf " + std::to_string(c));
        Bytes bytes;
        if (c == 0) {
            auto start = core_.start_state(t, u.round, units);
            if (!start.ok()) return start.status();
            bytes = kernels::state_to_bytes(*start);
        } else {
            auto fetched = core_.fetch_state(t, u.round, u.unit, c, *committed);
            if (!fetched.ok()) return fetched.status();
            bytes = std::move(*fetched);
        }
        job.pieces.push_back({s, std::move(bytes), *committed});
    }
    in_flight_ = InFlight{t, UnitKey{u.round, u.unit}, audit_tag(t, u)};
    replay_.start(
        [job = std::move(job)](const std::atomic<bool>& stop) { return replay_audit(job, stop); });
    return Status();
}

Status VerifierRole::send_audit_commit(const TaskInfo& t, const UnitView& u, const AuditView& a,
                                       const Hash256& salt, const std::vector<Hash256>& digests,
                                       double replay_seconds) {
    auto me = consensus::decode_address(core_.address());
    if (!me.ok()) return me.status();
    const Bytes commitment =
        consensus::audit_commitments(salt, *me, a.leaves, t.shape.leaves_per_checkpoint, digests);
    pb::Transaction tx;
    auto* c = tx.mutable_audit_commit();
    set_ref(c->mutable_unit(), t, u.round, u.unit);
    c->set_commitment(commitment.data(), commitment.size());
    auto txid = core_.send(tx);
    if (!txid.ok()) return txid.status();
    json sampled = a.leaves;
    core_.log(agent_events::kAudited, &t, UnitKey{u.round, u.unit},
              {{"txid", *txid}, {"leaves", sampled}, {"seconds", replay_seconds}},
              "replayed leaves " + sampled.dump() + " in " + std::to_string(replay_seconds) +
                  " s, committed, tx " + *txid);
    return Status();
}

}  // namespace

std::unique_ptr<AgentRole> make_verifier(AgentCore& core) {
    return std::make_unique<VerifierRole>(core);
}

}  // namespace step::wallet::agent
