// The solver agent's pass: open what is due, train and commit what it claimed, claim the next
// unit when it has none in training. Trained states are uploaded to the node's blob store (so
// verifiers and the next round can fetch them) and kept in the state dir.
#include <algorithm>
#include <chrono>
#include <fstream>

#include "common/merkle.h"
#include "common/rpc_methods.h"
#include "consensus/proto/chain.pb.h"
#include "verifier/proofs.h"
#include "wallet/agent_core.h"
#include "wallet/agent_deviation.h"
#include "wallet/agent_events.h"
#include "wallet/blob_transfer.h"
#include "wallet/secure_file.h"
#include "verifier/errors.h"
#include "wallet/errors.h"

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

constexpr char kUnitFinalText[] = "unit final: pay and bond released";

class SolverRole final : public AgentRole {
public:
    explicit SolverRole(AgentCore& core) : core_(core) {}
    Status poll(bool* idle) override;

private:
    // The answers, openings and final notes due on our units; sets `training` when one of ours
    // is claimed and not yet committed.
    void tend_own_units(const std::vector<WorkableTask>& tasks, uint64_t height, bool* training);
    void open_trace(const TaskInfo& t, const UnitView& u, const std::string& tag);
    // Trains and commits the first unit we claimed; false when there is none.
    bool train_claimed(const std::vector<WorkableTask>& tasks);
    // Forgets a pending claim another solver won, or that stayed off chain for a few blocks.
    void drop_lost_claim(const std::vector<WorkableTask>& tasks, uint64_t height);
    void claim_next(const std::vector<WorkableTask>& tasks, uint64_t height);
    Status solve_unit(const TaskInfo& t, const UnitView& u, const UnitMap& units);
    Status answer_challenge(const TaskInfo& t, const UnitView& u, const ChallengeView& c);
    // Logs `final` for our units of tasks that closed since the last pass (they leave listtasks).
    void report_closed_tasks(const std::vector<std::string>& open_ids);

    AgentCore& core_;
    std::set<std::string> done_;  // actions taken and events logged, by tag (once each)
    // The claim sent and not yet seen on chain: (task, round, unit) and the height.
    struct PendingClaim {
        std::string task;
        uint32_t round = 0, unit = 0;
        uint64_t sent_at = 0;
    };
    std::optional<PendingClaim> pending_claim_;
    uint64_t claim_refused_at_ = UINT64_MAX;  // height of the last refused claim: retry next block
    std::map<std::string, TaskInfo> worked_on_;  // open tasks we acted in, by id
    std::set<Hash256> withheld_;  // states a deviation keeps back, by committed leaf
};

Status SolverRole::poll(bool* idle) {
    auto h = core_.height();
    if (!h.ok()) return h.status();
    auto ids = core_.open_task_ids();
    if (!ids.ok()) return ids.status();
    report_closed_tasks(*ids);
    auto tasks = core_.workable_tasks(*ids);
    if (!tasks.ok()) return tasks.status();
    bool training = false;  // a unit of ours is claimed (its claim on chain or pending)
    tend_own_units(*tasks, *h, &training);
    // Train and commit what we claimed (one unit at a time), then consider a new claim.
    if (train_claimed(*tasks)) {
        *idle = false;
        return Status();  // the chain moved while we trained: look again
    }
    drop_lost_claim(*tasks, *h);
    if (!training && !pending_claim_ && claim_refused_at_ != *h) claim_next(*tasks, *h);
    *idle = tasks->empty();
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

bool SolverRole::train_claimed(const std::vector<WorkableTask>& tasks) {
    for (const auto& [t, units] : tasks)
        for (const auto& [key, u] : units) {
            if (!commit_due(u, core_.address()) || done_.count(commit_tag(t, u))) continue;
            if (pending_claim_ && pending_claim_->task == t.id_hex &&
                pending_claim_->round == key.first && pending_claim_->unit == key.second)
                pending_claim_.reset();
            Status s = solve_unit(t, u, units);
            if (!s.ok()) core_.log_error("train and commit", &t, key, s);
            return true;
        }
    return false;
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
            it->second.solver != core_.address())
            lost = true;
    }
    if (lost) pending_claim_.reset();
}

void SolverRole::claim_next(const std::vector<WorkableTask>& tasks, uint64_t height) {
    const Deviation* dev = core_.config().deviation.get();
    for (const auto& [t, units] : tasks) {
        auto c = dev && dev->claim_target ? dev->claim_target(t, units)
                                          : first_claimable(t.rounds, units);
        if (!c) continue;
        pb::Transaction tx;
        set_ref(tx.mutable_claim_unit()->mutable_unit(), t, c->first, c->second);
        auto txid = core_.send(tx);
        if (!txid.ok()) {
            // Refused (e.g. insufficient-bond): say so once per block, not once per poll.
            claim_refused_at_ = height;
            core_.log_error("claim", &t, *c, txid.status());
            continue;
        }
        pending_claim_ = PendingClaim{t.id_hex, c->first, c->second, height};
        core_.log(agent_events::kClaimed, &t, *c, {{"txid", *txid}}, "claim sent, tx " + *txid);
        return;
    }
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

Status SolverRole::solve_unit(const TaskInfo& t, const UnitView& u, const UnitMap& units) {
    const UnitKey key{u.round, u.unit};
    auto ds = core_.require_dataset(t);
    if (!ds.ok()) return ds.status();
    auto start = core_.start_state(t, u.round, units);
    if (!start.ok()) return start.status();
    const auto t0 = std::chrono::steady_clock::now();
    const Deviation* dev = core_.config().deviation.get();
    auto trace =
        dev && dev->build_trace
            ? dev->build_trace(TraceJob{core_.backend(), core_.exec(), t, **ds, key, *start})
            : verifier::build_trace(core_.backend(), core_.exec(), t.spec, **ds,
                                    verifier::UnitRef{t.id, u.round, u.unit}, *start);
    if (!trace.ok()) return trace.status();
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    core_.log(agent_events::kTrained, &t, key,
              {{"seconds", secs}, {"steps", t.spec.steps_per_unit}, {"loss", trace->last_loss}},
              "trained " + std::to_string(t.spec.steps_per_unit) + " steps in " +
                  std::to_string(secs) + " s, last loss " + std::to_string(trace->last_loss));

    // Keep the leaves (for OpenTrace, also after a restart) and every state we must serve.
    std::string leaves_text;
    for (const Hash256& l : trace->leaves) leaves_text += to_hex(l) + "\n";
    STEP_TRY(atomic_write_file(core_.unit_path(t, u.round, u.unit, ".leaves"), leaves_text, 0600,
                               WriteMode::kReplace));
    std::vector<std::pair<uint32_t, Bytes>> states;
    for (const auto& cp : trace->checkpoints) states.emplace_back(cp.leaf, cp.bytes);
    if (!t.shape.is_checkpoint(t.shape.last_leaf))
        states.emplace_back(t.shape.last_leaf, kernels::state_to_bytes(trace->final_state));
    uint64_t uploaded_chunks = 0;
    for (const auto& [leaf, bytes] : states) {
        const Hash256& committed = trace->leaves[leaf];
        STEP_TRY(atomic_write_file(core_.state_path(committed),
                                   std::string(bytes.begin(), bytes.end()), 0600,
                                   WriteMode::kReplace));
        withheld_.erase(committed);
        if (dev && dev->withhold_state && dev->withhold_state(t, key, leaf)) {
            withheld_.insert(committed);
            continue;
        }
        auto up = upload_blob(core_.rpc(), bytes);
        if (!up.ok()) return up.status();
        uploaded_chunks += up->uploaded;
    }
    core_.log(agent_events::kUploaded, &t, key, {{"blobs", states.size()}, {"chunks", uploaded_chunks}},
              "uploaded " + std::to_string(states.size()) + " state blobs (" +
                  std::to_string(uploaded_chunks) + " new chunks)");

    pb::Transaction tx;
    auto* c = tx.mutable_commit_unit();
    set_ref(c->mutable_unit(), t, u.round, u.unit);
    c->set_trace_root(trace->root.data(), trace->root.size());
    c->set_leaf0(trace->leaves.front().data(), 32);
    c->set_final_leaf(trace->leaves.back().data(), 32);
    const uint32_t per = t.shape.leaves_per_checkpoint;
    for (size_t i = per; i < trace->leaves.size(); i += per)
        c->add_checkpoint_leaves(trace->leaves[i].data(), 32);
    c->set_reported_loss(std::bit_cast<uint32_t>(trace->last_loss));
    auto txid = core_.send(tx);
    if (!txid.ok()) return txid.status();
    done_.insert(commit_tag(t, u));  // in the mempool: do not train it again
    core_.log(agent_events::kCommitted, &t, key, {{"txid", *txid}, {"trace_root", to_hex(trace->root)}},
              "committed trace root " + to_hex(trace->root).substr(0, 16) + ", tx " + *txid);
    return Status();
}

}  // namespace

std::unique_ptr<AgentRole> make_solver(AgentCore& core) {
    return std::make_unique<SolverRole>(core);
}

}  // namespace step::wallet::agent
