// Missing data is challenged (docs/market.md "Agents"): an agent that cannot fetch a checkpoint
// or final state it needs (a verifier's or whistleblower's replay, a solver's next round) raises
// a DataChallenge on every chunk its node lacks, all at once. The solver must publish each
// within DA_WINDOW or lose its bond; every answered chunk lands in every node's blob store, and
// a late answer moves the deadline of the auditor or claimant that asked (docs/protocol.md
// "Data availability").
#include <nlohmann/json.hpp>

#include <set>

#include "common/merkle.h"
#include "common/rpc_methods.h"
#include "consensus/errors.h"
#include "consensus/market_state.h"
#include "consensus/proto/chain.pb.h"
#include "kernels/spec.h"
#include "kernels/state.h"
#include "wallet/agent_core.h"
#include "wallet/agent_events.h"
#include "wallet/errors.h"
#include "wallet/secure_file.h"

namespace step::wallet::agent {
namespace {

using nlohmann::json;

// A state neither the node nor its peers hold is challenged at once (a fetch still under way is
// state-fetching, not noted): on devnet the challenge must expire inside the verifier's
// 2-block commit and reveal windows for its audit to be excused, and a needless challenge costs
// DA_BOND, what a missed audit window costs anyway.
constexpr uint64_t kChallengeGraceBlocks = 0;
// A challenge saved but not on chain after this many blocks was lost (a restart between the
// save and the send, or a dropped transaction) and is sent again.
constexpr uint64_t kChallengeResendBlocks = 3;
pb::DataKind to_proto(DataKind k) {
    return k == DataKind::kFinalState ? pb::DATA_FINAL_STATE : pb::DATA_CHECKPOINT;
}

// A challenge this agent saved (before sending it).
struct SavedChallenge {
    bool confirmed = false;  // seen pending on chain (or refused as already public)
    uint64_t sent_at = 0;    // tip height when it was (last) sent
    bool settled = false;    // its settlement was logged
};

// The challenge saved at `path`, nullopt when there is none. A file that does not read as one
// counts as confirmed and settled: an agent never challenges the same chunk twice.
std::optional<SavedChallenge> read_challenge(const std::string& path) {
    auto text = read_small_file(path, 4096);
    if (!text.ok()) return std::nullopt;
    const json j = json::parse(*text, nullptr, false);
    if (!j.is_object() || !j.contains("confirmed") || !j["confirmed"].is_boolean() ||
        !j.contains("sent_at") || !j["sent_at"].is_number_unsigned())
        return SavedChallenge{true, 0, true};
    return SavedChallenge{j["confirmed"].get<bool>(), j["sent_at"].get<uint64_t>(),
                          j.value("settled", false)};
}

Status write_challenge(const std::string& path, DataKind kind, uint32_t leaf, uint64_t chunk,
                       const SavedChallenge& c) {
    const json j = {{"kind", data_kind_name(kind)},
                    {"leaf", leaf},
                    {"chunk", chunk},
                    {"sent_at", c.sent_at},
                    {"confirmed", c.confirmed},
                    {"settled", c.settled}};
    return atomic_write_file(path, j.dump(), 0600, WriteMode::kReplace);
}

// The chunks of the blob `committed_leaf` names that the node lacks: nullopt when it holds none
// of it, findblob's `missing` when it holds part (answered chunks), empty when it holds it all.
Result<std::optional<std::vector<uint64_t>>> node_lacks(const RpcClient& rpc, const TaskInfo& t,
                                                        uint32_t round, uint32_t k, uint32_t leaf,
                                                        const Hash256& committed_leaf) {
    using Missing = std::optional<std::vector<uint64_t>>;
    auto r = rpc.call(rpc::kFindBlob,
                      {{"task_id", t.id_hex}, {"round", round}, {"unit", k}, {"leaf", leaf}},
                      RpcAuth::kNone);
    if (!r.ok()) {
        if (r.status().category() == ErrorCategory::kNotFound) return Missing();
        return r.status();
    }
    auto root = hash_from_hex(r->value("blob_root", std::string()));
    // A fetch under way that has no root yet, or a node naming a blob that is not the one
    // committed: nothing it holds can be trusted to be part of the state.
    if (!root || kernels::leaf_digest(t.id, round, k, leaf, *root) != committed_leaf)
        return Missing();
    if (r->value("complete", false)) return Missing(std::vector<uint64_t>{});
    if (!r->contains("missing") || !(*r)["missing"].is_array()) return Missing();
    std::vector<uint64_t> missing;
    for (const auto& i : (*r)["missing"])
        if (i.is_number_unsigned()) missing.push_back(i.get<uint64_t>());
    return Missing(std::move(missing));
}

}  // namespace

void AgentCore::note_missing(const TaskInfo& t, uint32_t round, uint32_t k, uint32_t leaf,
                             const Hash256& committed_leaf, bool missing) {
    const std::lock_guard<std::mutex> lock(missing_mu_);
    const std::string key = to_hex(committed_leaf);
    if (!missing) {
        missing_.erase(key);
        return;
    }
    missing_.try_emplace(key, MissingData{t, round, k, leaf, committed_leaf, poll_height_});
}

void AgentCore::challenge_missing_data() {
    std::vector<MissingData> list;
    {
        const std::lock_guard<std::mutex> lock(missing_mu_);
        for (const auto& [key, m] : missing_) list.push_back(m);
    }
    for (const MissingData& m : list) {
        auto done = tend_missing(m);
        if (!done.ok()) {
            log_error("data challenge", &m.task, UnitKey{m.round, m.unit}, done.status());
        } else if (*done) {
            const std::lock_guard<std::mutex> lock(missing_mu_);
            missing_.erase(to_hex(m.committed_leaf));
        }
    }
}

Result<bool> AgentCore::tend_missing(const MissingData& m) {
    auto u = unit(m.task, m.round, m.unit);
    if (!u.ok()) return u.status();
    const bool final_state = m.leaf == m.task.shape.last_leaf;
    const DataKind kind = final_state ? DataKind::kFinalState : DataKind::kCheckpoint;
    const std::optional<Hash256> committed =
        final_state ? std::optional(u->final_leaf)
                    : checkpoint_leaf(*u, m.leaf, m.task.shape.leaves_per_checkpoint);
    const bool still_committed = has_commit(*u) && committed && *committed == m.committed_leaf;
    auto bytes = kernels::state_bytes(m.task.spec);
    if (!bytes.ok()) return bytes.status();
    const uint64_t chunks = blob_chunk_count(*bytes);
    std::set<uint64_t> wanted;
    if (still_committed) {
        auto lacks = node_lacks(rpc_, m.task, m.round, m.unit, m.leaf, m.committed_leaf);
        if (!lacks.ok()) return lacks.status();
        for (uint64_t i : chunks_to_challenge(chunks, *lacks)) wanted.insert(i);
    }
    std::set<uint64_t> pending;
    for (const ChallengeView& c : u->challenges)
        if (c.leaf == m.leaf) pending.insert(c.chunk);
    bool any_saved = false, any_open = false;
    std::vector<std::pair<uint64_t, SavedChallenge>> unlogged;  // by chunk
    for (uint64_t i = 0; i < chunks; ++i) {
        const std::string path = challenge_path(m, i);
        const std::optional<SavedChallenge> saved = read_challenge(path);
        if (!saved) {
            if (wanted.count(i) && !pending.count(i) &&
                challenge_due(*u, kind, m.leaf, i, m.first_failed, poll_height_, params().da_window,
                              kChallengeGraceBlocks)) {
                STEP_TRY(send_challenge(m, kind, path, i));
                any_open = true;
            }
            continue;
        }
        any_saved = true;
        if (pending.count(i)) {
            if (!saved->confirmed)
                STEP_TRY(write_challenge(path, kind, m.leaf, i, {true, saved->sent_at, false}));
            any_open = true;
        } else if (!saved->confirmed) {
            // Not on chain: lost with a restart or dropped, sent again after a while.
            if (still_committed && poll_height_ >= saved->sent_at + kChallengeResendBlocks)
                STEP_TRY(send_challenge(m, kind, path, i));
            any_open = still_committed;
        } else if (!saved->settled) {
            unlogged.emplace_back(i, *saved);
        }
    }
    if (any_open) return false;
    if (!unlogged.empty()) {
        log_settled(m, *u, still_committed);
        for (const auto& [i, c] : unlogged)
            STEP_TRY(
                write_challenge(challenge_path(m, i), kind, m.leaf, i, {true, c.sent_at, true}));
        return true;
    }
    // Reset or finalised meanwhile (nothing owed to us), or every chunk challenged settled.
    return !still_committed || any_saved;
}

std::string AgentCore::challenge_path(const MissingData& m, uint64_t chunk) const {
    // Named by the committed leaf: one challenge per chunk of a commitment, across restarts
    // (chunk 0 keeps the name of the time agents challenged only chunk 0).
    const std::string leaf = "-" + to_hex(m.committed_leaf).substr(0, 16);
    const std::string part = chunk == 0 ? "" : "-" + std::to_string(chunk);
    return unit_path(m.task, m.round, m.unit, leaf + part + ".challenge");
}

void AgentCore::log_settled(const MissingData& m, const UnitView& u, bool still_committed) {
    // A unit that no longer commits to the blob was reset for it; a final unit's solver was
    // slashed for it; otherwise the solver answered.
    bool withheld = !still_committed;
    for (const std::string& code : u.settlement_codes)
        withheld = withheld || (u.status == UnitStatus::kFinal &&
                                code == consensus::reasons::kFinalStateWithheld);
    const char* outcome =
        withheld ? agent_events::kOutcomeWithheld : agent_events::kOutcomeAnswered;
    log(agent_events::kChallengeSettled, &m.task, UnitKey{m.round, m.unit},
        {{"leaf", m.leaf}, {"outcome", outcome}},
        std::string("data challenge on leaf ") + std::to_string(m.leaf) + " settled: " + outcome);
}

Status AgentCore::send_challenge(const MissingData& m, DataKind kind, const std::string& path,
                                 uint64_t chunk) {
    // Saved before sending: a restarted agent finds it and never bonds twice for one chunk.
    STEP_TRY(write_challenge(path, kind, m.leaf, chunk, {false, poll_height_, false}));
    pb::Transaction tx;
    auto* c = tx.mutable_data_challenge();
    set_ref(c->mutable_unit(), m.task, m.round, m.unit);
    c->set_kind(to_proto(kind));
    c->set_leaf(m.leaf);
    c->set_chunk_index(chunk);
    auto txid = send(tx);
    // Answered meanwhile (every node stores it now): nothing to challenge, nothing to log.
    if (!txid.ok() && txid.status().is(consensus::codes::kChunkPublic))
        return write_challenge(path, kind, m.leaf, chunk, {true, poll_height_, true});
    if (!txid.ok()) return txid.status();
    log(agent_events::kDataChallenged, &m.task, UnitKey{m.round, m.unit},
        {{"kind", data_kind_name(kind)}, {"leaf", m.leaf}, {"chunk", chunk}, {"txid", *txid}},
        "cannot fetch leaf " + std::to_string(m.leaf) + "'s state: challenged its solver to " +
            "publish chunk " + std::to_string(chunk) + ", tx " + *txid);
    return Status();
}

}  // namespace step::wallet::agent
