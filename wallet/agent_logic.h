// The market agents' decisions, kept free of the node and the clock so unit tests can call them:
// given a unit record as getunit shows it, my address and the chain height, which transaction
// is due. A transaction sent while the tip is at height h lands at h + 1 at the earliest, so a
// window (a, b] of block heights is open for sending while a <= h < b.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
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
    std::vector<std::string> settlement_codes;  // getunit `settlements`' codes, in order

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

// The units of round `round - 1` whose final state a solver that wants to claim a unit of
// `round` recomputes first (docs/market.md "Agents"): final units settled final-state-withheld,
// whose solver was slashed for keeping back a state nobody else holds. A final state is
// deterministic (its unit trained again from the round's start state gives it bit for bit, and
// the committed final leaf checks it), and without it no unit of `round` can start. The
// recomputing solver trains that unit unpaid; the rule is simply to do so whenever it wants a
// unit of `round`, which then pays it (and every later round of the task can go on). Ascending.
std::vector<uint32_t> finals_to_recompute(
    uint32_t round, uint32_t units_per_round,
    const std::map<std::pair<uint32_t, uint32_t>, UnitView>& units);

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

// Whether run_audit's error on a checkpoint the verifier fetched by its committed leaf (so the
// bytes are the ones the solver committed to) shows that the solver committed to no honest state
// of that leaf: bytes that are no state of the task's model (kernels bad-state, state-mismatch)
// or a state at another step (start-step). Such a trace is wrong whatever the replay would
// give, so the audit must disagree (and the fraud be proven), not miss its window.
bool checkpoint_disproves_trace(const Status& audit_error);

// The digests an audit reveals, in the order consensus expects (consensus audit_digest_leaves),
// looked up in `replayed` (leaf -> digest of the verifier's own replay). missing-digest when the
// replay did not cover a needed leaf.
Result<std::vector<Hash256>> audit_digests(const std::vector<uint32_t>& sampled,
                                           uint32_t per_checkpoint,
                                           const std::map<uint32_t, Hash256>& replayed);

// The whistleblower's choices (docs/market.md "Whistleblowers"). It replays an opened trace one
// checkpoint segment at a time: segment i covers leaves (i*C/L, min((i+1)*C/L, U/L)], replayed
// from the checkpoint at i*C/L (segment 0 also checks leaf 0, the round's start state).
struct WatchedUnit {
    uint32_t segments = 0;               // ceil((U/L) / (C/L))
    bool disagreed = false;              // a revealed audit disagreed with the opened trace
    std::vector<uint32_t> hot_segments;  // the segments holding a disagreeing audit's leaves
    std::set<uint32_t> replayed;         // segments replayed already (or failed this pass)
};
// The segments that hold `sampled` leaves (each leaf s >= 1 in segment (s-1) / (C/L)).
std::vector<uint32_t> segments_of(const std::vector<uint32_t>& sampled, uint32_t per_checkpoint);

struct ReplayPick {
    size_t unit = 0;  // index into the watched units
    uint32_t segment = 0;
};
// The next segment to replay, or nullopt when every segment is replayed: first the hot
// segments of disagreed units (in the units' order), then the other segments of disagreed
// units, then one drawn uniformly (by `draw`, any 64-bit value) among every unreplayed segment
// of the other units. A fraud a verifier's reveal exposed is proven first; elsewhere a forged
// leaf is found with probability (segments replayed) / (segments) per unit.
std::optional<ReplayPick> next_replay(const std::vector<WatchedUnit>& units, uint64_t draw);

// The whistleblower's compute budget, as a share of one core: replay time is paid for by wall
// time, `share` seconds of replay for each second that passes, saved up to `max_credit` seconds
// (an agent idle for a day does not then replay for hours at full speed). A replay may start
// while the credit is positive; its cost is charged after it (so one replay may overdraw).
class ReplayBudget {
public:
    ReplayBudget(double share, double max_credit) : share_(share), max_credit_(max_credit) {}
    void elapse(double wall_seconds);
    void spend(double replay_seconds) { credit_ -= replay_seconds; }
    bool allows() const { return credit_ > 0; }
    double credit() const { return credit_; }

private:
    double share_;
    double max_credit_;
    double credit_ = 0;
};

enum class WhistleStep { kWait, kCommit, kTooLate };
// Whether a whistleblower's ProofCommit for opened unit u is due at tip `height`: its commit lands
// at height + 1 at the earliest and the FraudProof a block later, which must still find the unit
// opened (no later than final_at). For a unit a drawn verifier disagreed with, it waits until
// `verifier_grace` blocks after open_end: that verifier must prove it or lose its bond, and of two
// proofs of one unit the later loses its proof bond (the unit has reset, or the copy contest
// keeps the earlier).
WhistleStep whistle_due(const UnitView& u, uint64_t height, uint64_t verifier_grace);

// Whether an agent that has failed to fetch blob (kind, leaf) of unit u since tip height
// `first_failed` should raise a DataChallenge at tip `height`: after `grace` blocks (the node
// may still be fetching it from peers), while consensus accepts one (a checkpoint: u committed
// or opened and the challenge expiring by final_at; a final state: u committed, opened or
// final), and while no challenge of chunk `chunk` of that blob is pending.
bool challenge_due(const UnitView& u, DataKind kind, uint32_t leaf, uint64_t chunk,
                   uint64_t first_failed, uint64_t height, uint64_t da_window, uint64_t grace);

// The chunks of a state it cannot fetch that an agent challenges, all in one pass: an answer
// moves a drawn verifier's (or next-round claimant's) deadline only for challenges raised
// before it expired, so challenging chunk by chunk after each answer would come too late.
// `state_chunks`: the state's chunk count (the task's spec gives its size); `node_missing`: the
// chunks its node lacks when it holds part of the blob (findblob `partial`; answered chunks are
// in every node's store), nullopt when it holds none. Ascending; a chunk past the state is
// never named.
std::vector<uint64_t> chunks_to_challenge(uint64_t state_chunks,
                                          const std::optional<std::vector<uint64_t>>& node_missing);

// ---- Deadlines: whether a solver can commit a unit before CLAIM_TIMEOUT.

// The block pace an agent sees: the new tip heights it observed and when (seconds on a steady
// clock the caller reads), over the last kPaceSamples of them. The first tip it sees only sets
// the height: it came at some unknown time before, so it is not timed.
class BlockPace {
public:
    static constexpr size_t kPaceSamples = 16;
    // A tip at `height` seen at `seconds`; heights not above the last one seen are ignored.
    void observe(uint64_t height, double seconds);
    // Seconds per block over the tips seen; nullopt before two distinct heights.
    std::optional<double> observed() const;
    // What deadlines are planned with: the shorter of `block_time_s` (the chain's BLOCK_TIME)
    // and the observed pace (a devnet driven by `generate`, or a lucky run of blocks).
    double expected(uint64_t block_time_s) const;

private:
    std::optional<uint64_t> height_;                  // the last tip seen
    std::vector<std::pair<uint64_t, double>> seen_;  // (height, seconds) of new tips, oldest first
};

// A claim is sent only when training takes at most 1 / kClaimSafety of the time it has: block
// times vary, and uploading and sending the commitment take time too.
inline constexpr double kClaimSafety = 2.0;

// Whether a solver training `steps_per_s` should claim a unit of `steps` steps: it starts once
// its claim is in a block h_c, and its CommitUnit must be sent while the tip is below
// h_c + CLAIM_TIMEOUT (deadlines settle at the end of a block, so it may land in that block),
// which leaves CLAIM_TIMEOUT - 1 block times of `block_s` seconds. False while the step rate
// is unknown (steps_per_s <= 0: measure first) or the timeout leaves no block at all.
bool claim_fits(uint64_t steps, double steps_per_s, double block_s, uint64_t claim_timeout);

}  // namespace step::wallet::agent
