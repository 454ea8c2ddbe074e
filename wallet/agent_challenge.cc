// Missing data is challenged (docs/market.md "Agents"): an agent that cannot fetch a checkpoint
// or final state it needs (a verifier's or whistleblower's replay, a solver's next round) raises
// the DataChallenge itself. The solver must publish a chunk within DA_WINDOW or lose its bond,
// and the audits that needed the data are excused (docs/protocol.md "Data availability").
#include <nlohmann/json.hpp>

#include "consensus/market_state.h"
#include "consensus/proto/chain.pb.h"
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
// The chunk challenged: every state has a chunk 0, and answering it costs the solver as much
// as any other (it proves it holds the blob it committed to).
constexpr uint64_t kChallengedChunk = 0;

pb::DataKind to_proto(DataKind k) {
    return k == DataKind::kFinalState ? pb::DATA_FINAL_STATE : pb::DATA_CHECKPOINT;
}

// A challenge this agent saved (before sending it).
struct SavedChallenge {
    bool confirmed = false;  // seen pending on chain
    uint64_t sent_at = 0;    // tip height when it was (last) sent
};

// The challenge saved at `path`, nullopt when there is none. A file that does not read as one
// counts as confirmed: an agent never challenges the same blob twice.
std::optional<SavedChallenge> read_challenge(const std::string& path) {
    auto text = read_small_file(path, 4096);
    if (!text.ok()) return std::nullopt;
    const json j = json::parse(*text, nullptr, false);
    if (!j.is_object() || !j.contains("confirmed") || !j["confirmed"].is_boolean() ||
        !j.contains("sent_at") || !j["sent_at"].is_number_unsigned())
        return SavedChallenge{true, 0};
    return SavedChallenge{j["confirmed"].get<bool>(), j["sent_at"].get<uint64_t>()};
}

Status write_challenge(const std::string& path, DataKind kind, uint32_t leaf,
                       const SavedChallenge& c) {
    const json j = {{"kind", data_kind_name(kind)},
                    {"leaf", leaf},
                    {"chunk", kChallengedChunk},
                    {"sent_at", c.sent_at},
                    {"confirmed", c.confirmed}};
    return atomic_write_file(path, j.dump(), 0600, WriteMode::kReplace);
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
    // Named by the committed leaf: one challenge per commitment, across restarts.
    const std::string path = unit_path(m.task, m.round, m.unit,
                                       "-" + to_hex(m.committed_leaf).substr(0, 16) + ".challenge");
    const std::optional<SavedChallenge> saved = read_challenge(path);
    const bool still_committed = has_commit(*u) && committed && *committed == m.committed_leaf;
    bool pending = false;
    for (const ChallengeView& c : u->challenges)
        pending = pending || (c.leaf == m.leaf && c.chunk == kChallengedChunk);
    if (saved && saved->confirmed && !pending) {
        // Settled: a unit that no longer commits to the blob was reset for it; a final unit's
        // solver was slashed for it; otherwise the solver answered.
        bool withheld = !still_committed;
        for (const std::string& code : u->settlement_codes)
            withheld = withheld || (u->status == UnitStatus::kFinal &&
                                    code == consensus::reasons::kFinalStateWithheld);
        const char* outcome =
            withheld ? agent_events::kOutcomeWithheld : agent_events::kOutcomeAnswered;
        log(agent_events::kChallengeSettled, &m.task, UnitKey{m.round, m.unit},
            {{"leaf", m.leaf}, {"outcome", outcome}},
            std::string("data challenge on leaf ") + std::to_string(m.leaf) +
                " settled: " + outcome);
        return true;
    }
    if (!still_committed) return true;  // reset or finalised meanwhile: nothing owed to us
    if (saved && pending) {
        if (!saved->confirmed)
            STEP_TRY(write_challenge(path, kind, m.leaf, SavedChallenge{true, saved->sent_at}));
        return false;
    }
    if (saved && poll_height_ < saved->sent_at + kChallengeResendBlocks) return false;
    if (!saved && !challenge_due(*u, kind, m.leaf, kChallengedChunk, m.first_failed, poll_height_,
                                 params().da_window, kChallengeGraceBlocks))
        return false;
    STEP_TRY(send_challenge(m, kind, path));
    return false;
}

Status AgentCore::send_challenge(const MissingData& m, DataKind kind, const std::string& path) {
    // Saved before sending: a restarted agent finds it and never bonds twice for one blob.
    const json saved = {{"kind", data_kind_name(kind)},
                        {"leaf", m.leaf},
                        {"chunk", kChallengedChunk},
                        {"sent_at", poll_height_},
                        {"confirmed", false}};
    STEP_TRY(atomic_write_file(path, saved.dump(), 0600, WriteMode::kReplace));
    pb::Transaction tx;
    auto* c = tx.mutable_data_challenge();
    set_ref(c->mutable_unit(), m.task, m.round, m.unit);
    c->set_kind(to_proto(kind));
    c->set_leaf(m.leaf);
    c->set_chunk_index(kChallengedChunk);
    auto txid = send(tx);
    if (!txid.ok()) return txid.status();
    log(agent_events::kDataChallenged, &m.task, UnitKey{m.round, m.unit},
        {{"kind", data_kind_name(kind)},
         {"leaf", m.leaf},
         {"chunk", kChallengedChunk},
         {"txid", *txid}},
        "cannot fetch leaf " + std::to_string(m.leaf) +
            "'s state: challenged its solver to publish it, tx " + *txid);
    return Status();
}

}  // namespace step::wallet::agent
