// The market agents' decisions, kept free of the node and the clock so unit tests can call them:
// given a unit record as getunit shows it, my address and the chain height, which transaction
// is due. A transaction sent while the tip is at height h lands at h + 1 at the earliest, so a
// window (a, b] of block heights is open for sending while a <= h < b.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/bytes.h"
#include "common/status.h"
#include "consensus/params.h"

namespace step::wallet::agent {

// The names getunit gives (common/rpc_methods.h) as values the agents compare; kUnknown for a
// name this wallet does not know (a newer node's), on which no agent acts.
enum class UnitStatus { kUnknown, kOpen, kClaimed, kCommitted, kOpened, kFinal, kCancelled };
enum class Verdict { kUnknown, kNone, kAgreed, kDisagreed, kMissed };
enum class DataKind { kUnknown, kCheckpoint, kFinalState, kDataset };

// The getunit names of these values, for logs.
std::string_view unit_status_name(UnitStatus s);
std::string_view verdict_name(Verdict v);
std::string_view data_kind_name(DataKind k);

struct AuditView {
    std::string verifier;          // step1... address
    std::vector<uint32_t> leaves;  // sampled leaves
    bool committed = false;
    bool revealed = false;
    Verdict verdict = Verdict::kNone;
};

// A pending DataChallenge on one of the unit's blobs (getunit `data_challenges`).
struct ChallengeView {
    DataKind kind = DataKind::kUnknown;
    uint32_t leaf = 0;
    uint64_t chunk = 0;
    uint64_t height = 0;    // when it was posted
    uint64_t deadline = 0;  // height + DA_WINDOW: a response must land by this block
};

struct UnitView {
    uint32_t round = 0;
    uint32_t unit = 0;
    UnitStatus status = UnitStatus::kUnknown;
    std::string solver;  // "" when unclaimed
    uint64_t claim_height = 0;
    uint64_t commit_height = 0;
    std::optional<consensus::UnitWindows> windows;  // committed units only (getunit's)
    Hash256 leaf0{};
    Hash256 final_leaf{};
    std::vector<Hash256> checkpoint_leaves;  // leaves C/L, 2C/L, ..., U/L
    std::vector<Hash256> leaves;             // every leaf, once opened
    std::vector<AuditView> audits;
    std::vector<ChallengeView> challenges;

    const AuditView* audit_of(const std::string& address) const;
};

// A getunit answer (docs/rpc.md) read into a UnitView; rpc-bad-response on a malformed one.
Result<UnitView> parse_unit(const nlohmann::json& j);

// committed, opened or final: the unit's commitments (final leaf, checkpoints) are on chain.
bool has_commit(const UnitView& u);

// What a task's rounds look like to a solver deciding what to claim.
struct RoundsView {
    uint32_t rounds = 0;
    uint32_t units_per_round = 0;
    uint32_t finalised_rounds = 0;
    uint32_t pipeline_depth = 0;  // PIPELINE_DEPTH
};
// The rounds whose units can still move (claimable or in flight): [finalised, finalised+depth)
// capped at the task's rounds.
std::pair<uint32_t, uint32_t> live_rounds(const RoundsView& t);

// The first unit a ClaimUnit would be accepted for (docs/protocol.md "Life of a unit" step 1):
// open, every unit of the previous round committed, the round inside the pipeline. `units`
// maps (round, unit) to the unit records the caller read (at least the live rounds and the
// round before them); a unit missing from it counts as not committed.
std::optional<std::pair<uint32_t, uint32_t>> first_claimable(
    const RoundsView& t, const std::map<std::pair<uint32_t, uint32_t>, UnitView>& units);

// The solver's OpenTrace is due: its unit is committed (not yet opened) and the tip is inside
// [reveal_end, open_end).
bool open_due(const UnitView& u, const std::string& me, uint64_t height);
// The solver must train and commit: its claim is on chain and not yet committed.
bool commit_due(const UnitView& u, const std::string& me);

// The challenges on the solver's own unit it must still answer with a DataResponse: checkpoint
// and final-state challenges while the tip is below their deadline (the unit may be final: its
// final state stays owed while the next round depends on it).
std::vector<ChallengeView> responses_due(const UnitView& u, const std::string& me, uint64_t height);

// A verifier whose revealed audit disagreed with the opened trace must prove the fraud before
// finality or lose its audit bond: true while the unit is opened and its verdict is `disagreed`.
bool proof_due(const UnitView& u, const std::string& me);

enum class AuditStep { kNothing, kCommit, kReveal };
// For the verifier `me`: AuditCommit while [assign, commit_end) and not committed; AuditReveal
// while [commit_end, reveal_end), committed and not revealed; otherwise nothing.
AuditStep audit_due(const UnitView& u, const std::string& me, uint64_t height);

// The committed leaf a checkpoint at leaf `c` (a multiple of `per_checkpoint`) must hash to:
// leaf 0 for c = 0, else checkpoint_leaves[c / per_checkpoint - 1]; nullopt when out of range.
std::optional<Hash256> checkpoint_leaf(const UnitView& u, uint32_t c, uint32_t per_checkpoint);

// The digests an audit reveals, in the order consensus expects (consensus audit_digest_leaves),
// looked up in `replayed` (leaf -> digest of the verifier's own replay). missing-digest when the
// replay did not cover a needed leaf.
Result<std::vector<Hash256>> audit_digests(const std::vector<uint32_t>& sampled,
                                           uint32_t per_checkpoint,
                                           const std::map<uint32_t, Hash256>& replayed);

}  // namespace step::wallet::agent
