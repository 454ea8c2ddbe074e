// The solver agent's pass: open what is due, train and commit what it claimed, claim the next
// unit when it has none in training. Trained states are uploaded to the node's blob store (so
// verifiers and the next round can fetch them) and kept in the state dir.
#include <chrono>
#include <fstream>

#include "common/merkle.h"
#include "consensus/proto/chain.pb.h"
#include "node/rpc_methods.h"
#include "verifier/proofs.h"
#include "wallet/agent.h"
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

std::pair<uint32_t, uint32_t> key_of(const UnitView& u) { return {u.round, u.unit}; }

// Names one claim of a unit (a unit reopened and claimed again is another claim).
std::string commit_tag(const TaskInfo& t, const UnitView& u) {
    return "committed:" + t.id_hex + "-" + std::to_string(u.round) + "-" + std::to_string(u.unit) + "@" +
           std::to_string(u.claim_height);
}

}  // namespace

Status Agent::solver_poll(bool* idle) {
    auto h = height();
    if (!h.ok()) return h.status();
    auto ids = open_task_ids();
    if (!ids.ok()) return ids.status();
    report_closed_tasks(*ids);
    bool training = false;  // a unit of ours is claimed (its claim on chain or pending)
    auto workable = workable_tasks(*ids);
    if (!workable.ok()) return workable.status();
    const auto& tasks = *workable;
    const bool any_task = !tasks.empty();
    for (const auto& [task_info, units] : tasks) {
        const TaskInfo* t = &task_info;
        for (const auto& [key, u] : units) {
            if (u.solver != address_) continue;
            worked_on_[t->id_hex] = *t;
            const std::string tag = t->id_hex + "-" + std::to_string(key.first) + "-" + std::to_string(key.second) +
                                    "@" + std::to_string(u.commit_height);
            for (const ChallengeView& c : responses_due(u, address_, *h)) {
                const std::string answered = "answered:" + tag + ":" + std::to_string(c.leaf) + ":" +
                                             std::to_string(c.chunk) + "@" + std::to_string(c.height);
                if (reported_.count(answered)) continue;
                Status s = answer_challenge(*t, u, c);
                if (s.ok()) reported_.insert(answered);
                else log_error("data response", t, key_of(u), s);
            }
            if (open_due(u, address_, *h) && reported_.insert("opened:" + tag).second) {
                auto leaves = read_leaves(unit_path(*t, key.first, key.second, ".leaves"));
                if (!leaves.ok()) {
                    log_error("open", t, key, leaves.status());
                    continue;
                }
                pb::Transaction tx;
                auto* o = tx.mutable_open_trace();
                set_ref(o->mutable_unit(), *t, key.first, key.second);
                for (const Hash256& l : *leaves) o->add_leaves(l.data(), l.size());
                auto txid = send(tx);
                if (!txid.ok()) {
                    reported_.erase("opened:" + tag);  // try again next pass, still in the window
                    log_error("open", t, key, txid.status());
                } else {
                    log("opened", t, key, {{"txid", *txid}, {"leaves", leaves->size()}},
                        "opened the trace (" + std::to_string(leaves->size()) + " leaves), tx " + *txid);
                }
            }
            if (u.status == "final" && reported_.insert("final:" + tag).second)
                log("final", t, key, json::object(), "unit final: pay and bond released");
            if (commit_due(u, address_)) training = true;
        }
    }
    // Train and commit what we claimed (one unit at a time), then consider a new claim.
    for (const auto& [t, units] : tasks)
        for (const auto& [key, u] : units)
            if (commit_due(u, address_) && !reported_.count(commit_tag(t, u))) {
                if (pending_claim_ && pending_claim_->task == t.id_hex && pending_claim_->round == key.first &&
                    pending_claim_->unit == key.second)
                    pending_claim_.reset();
                Status s = solve_unit(t, u, units);
                if (!s.ok()) log_error("train and commit", &t, key, s);
                *idle = false;
                return Status();  // the chain moved while we trained: look again
            }
    if (pending_claim_) {
        // Another solver's claim won (the unit is someone else's now), or ours is still not on
        // chain after a few blocks (dropped): look for another unit.
        bool lost = *h > pending_claim_->sent_at + 3;
        for (const auto& [t, units] : tasks) {
            if (t.id_hex != pending_claim_->task) continue;
            auto it = units.find({pending_claim_->round, pending_claim_->unit});
            if (it != units.end() && it->second.status != "open" && it->second.solver != address_) lost = true;
        }
        if (lost) pending_claim_.reset();
    }
    if (!training && !pending_claim_ && claim_refused_at_ != *h) {
        for (const auto& [t, units] : tasks) {
            auto c = first_claimable(t.rounds, units);
            if (!c) continue;
            pb::Transaction tx;
            set_ref(tx.mutable_claim_unit()->mutable_unit(), t, c->first, c->second);
            auto txid = send(tx);
            if (!txid.ok()) {
                // Refused (e.g. insufficient-bond): say so once per block, not once per poll.
                claim_refused_at_ = *h;
                log_error("claim", &t, *c, txid.status());
                continue;
            }
            pending_claim_ = PendingClaim{t.id_hex, c->first, c->second, *h};
            log("claimed", &t, *c, {{"txid", *txid}}, "claim sent, tx " + *txid);
            break;
        }
    }
    *idle = !any_task;
    return Status();
}

Status Agent::answer_challenge(const TaskInfo& t, const UnitView& u, const ChallengeView& c) {
    auto leaves = read_leaves(unit_path(t, u.round, u.unit, ".leaves"));
    if (!leaves.ok()) return leaves.status();
    if (c.leaf >= leaves->size()) return Status::error(verifier::codes::kBadLeafIndex, "challenge names leaf " + std::to_string(c.leaf));
    const Hash256& committed = (*leaves)[c.leaf];
    auto file = read_small_file(cfg_.state_dir + "/" + to_hex(committed) + ".state", rpc::kMaxBlobBytes);
    if (!file.ok()) return file.status();
    const Bytes bytes(file->begin(), file->end());
    auto proof = verifier::make_chunk_proof(bytes, c.chunk);
    if (!proof.ok()) return proof.status();
    const Hash256 root = blob_root(bytes);
    pb::Transaction tx;
    auto* r = tx.mutable_data_response();
    set_ref(r->mutable_unit(), t, u.round, u.unit);
    r->set_leaf(c.leaf);
    r->set_kind(c.kind == "final-state" ? pb::DATA_FINAL_STATE : pb::DATA_CHECKPOINT);
    r->set_chunk_index(c.chunk);
    r->set_blob_root(root.data(), root.size());
    r->set_blob_size(proof->blob_size);
    r->set_chunks_root(proof->chunks_root.data(), proof->chunks_root.size());
    r->set_chunk(proof->chunk.data(), proof->chunk.size());
    for (const Hash256& p : proof->path) r->add_proof(p.data(), p.size());
    auto txid = send(tx);
    if (!txid.ok()) return txid.status();
    log("answered", &t, key_of(u), {{"txid", *txid}, {"kind", c.kind}, {"leaf", c.leaf}, {"chunk", c.chunk}},
        "answered a " + c.kind + " challenge on leaf " + std::to_string(c.leaf) + " chunk " + std::to_string(c.chunk) +
            ", tx " + *txid);
    return Status();
}

Status Agent::solve_unit(const TaskInfo& t, const UnitView& u, const std::map<UnitKey, UnitView>& units) {
    const UnitKey key{u.round, u.unit};
    const kernels::Dataset* ds = dataset_for(t);
    if (ds == nullptr) return Status::error(codes::kDatasetMismatch, "--data does not hold the task's dataset");
    auto start = start_state(t, u.round, units);
    if (!start.ok()) return start.status();
    const auto t0 = std::chrono::steady_clock::now();
    auto trace = verifier::build_trace(*backend_, exec_, t.spec, *ds, verifier::UnitRef{t.id, u.round, u.unit}, *start);
    if (!trace.ok()) return trace.status();
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    log("trained", &t, key,
        {{"seconds", secs}, {"steps", t.spec.steps_per_unit}, {"loss", trace->last_loss}},
        "trained " + std::to_string(t.spec.steps_per_unit) + " steps in " + std::to_string(secs) +
            " s, last loss " + std::to_string(trace->last_loss));

    // Keep the leaves (for OpenTrace, also after a restart) and every state we must serve.
    std::string leaves_text;
    for (const Hash256& l : trace->leaves) leaves_text += to_hex(l) + "\n";
    STEP_TRY(atomic_write_file(unit_path(t, u.round, u.unit, ".leaves"), leaves_text, 0600, WriteMode::kReplace));
    std::vector<std::pair<uint32_t, Bytes>> states;
    for (const auto& cp : trace->checkpoints) states.emplace_back(cp.leaf, cp.bytes);
    if (!t.shape.is_checkpoint(t.shape.last_leaf))
        states.emplace_back(t.shape.last_leaf, kernels::state_to_bytes(trace->final_state));
    uint64_t uploaded_chunks = 0;
    for (const auto& [leaf, bytes] : states) {
        const Hash256& committed = trace->leaves[leaf];
        STEP_TRY(atomic_write_file(cfg_.state_dir + "/" + to_hex(committed) + ".state",
                                   std::string(bytes.begin(), bytes.end()), 0600, WriteMode::kReplace));
        auto up = upload_blob(rpc_, bytes);
        if (!up.ok()) return up.status();
        uploaded_chunks += up->uploaded;
    }
    log("uploaded", &t, key, {{"blobs", states.size()}, {"chunks", uploaded_chunks}},
        "uploaded " + std::to_string(states.size()) + " state blobs (" + std::to_string(uploaded_chunks) +
            " new chunks)");

    pb::Transaction tx;
    auto* c = tx.mutable_commit_unit();
    set_ref(c->mutable_unit(), t, u.round, u.unit);
    c->set_trace_root(trace->root.data(), trace->root.size());
    c->set_leaf0(trace->leaves.front().data(), 32);
    c->set_final_leaf(trace->leaves.back().data(), 32);
    const uint32_t per = t.shape.leaves_per_checkpoint;
    for (size_t i = per; i < trace->leaves.size(); i += per) c->add_checkpoint_leaves(trace->leaves[i].data(), 32);
    c->set_reported_loss(std::bit_cast<uint32_t>(trace->last_loss));
    auto txid = send(tx);
    if (!txid.ok()) return txid.status();
    reported_.insert(commit_tag(t, u));  // in the mempool: do not train it again
    log("committed", &t, key, {{"txid", *txid}, {"trace_root", to_hex(trace->root)}},
        "committed trace root " + to_hex(trace->root).substr(0, 16) + ", tx " + *txid);
    return Status();
}

}  // namespace step::wallet::agent
