// The event names of the agents' log lines (`--output json` prints {"event": NAME, ...}): the
// one list that the agents write and that scripts and tests read.
#pragma once

namespace step::wallet::agent_events {

// Lifecycle of an agent process.
inline constexpr char kStarted[] = "started";
inline constexpr char kIdle[] = "idle";  // no open task left (--exit-when-idle)
inline constexpr char kStopped[] = "stopped";
inline constexpr char kError[] = "error";  // a failed action: fields `action`, `code`, `message`
inline constexpr char kSkipped[] = "skipped";
inline constexpr char kTaskClosed[] = "task-closed";
inline constexpr char kDatasetFetched[] = "dataset-fetched";  // a task's records, from the node

// A solver's unit, in order.
inline constexpr char kClaimed[] = "claimed";
inline constexpr char kTrained[] = "trained";
inline constexpr char kUploaded[] = "uploaded";
inline constexpr char kCommitted[] = "committed";
inline constexpr char kOpened[] = "opened";
inline constexpr char kFinal[] = "final";
inline constexpr char kAnswered[] = "answered";  // a data challenge answered
// A final state of the round before that its solver withheld (settled final-state-withheld),
// trained again from that round's start state, checked against the committed final leaf and
// uploaded (`round`/`unit` are the recomputed unit's; `seconds`, `chunks`).
inline constexpr char kRecomputed[] = "recomputed";

// A task owner's: rounds as they finalise, the model when the task is done (kAnswered for a
// dataset challenge it answered).
inline constexpr char kRoundFinal[] = "round-final";
inline constexpr char kModel[] = "model";

// A verifier's audit, in order; a fraud proof when the replay disagrees.
inline constexpr char kAudited[] = "audited";
inline constexpr char kRevealed[] = "revealed";
inline constexpr char kVerdict[] = "verdict";
inline constexpr char kNoFraud[] = "no-fraud";
inline constexpr char kProofCommitted[] = "proof-committed";
inline constexpr char kProved[] = "proved";

// A whistleblower's (then kProofCommitted and kProved, as a verifier's).
// One checkpoint segment replayed: `first_leaf`, `last_leaf`, `seconds`, `wrong_leaf` (null
// when every leaf matched the opened trace).
inline constexpr char kReplayed[] = "replayed";
// A wrong leaf found and its proof built: `leaf`, `bytes`.
inline constexpr char kFraudFound[] = "fraud-found";
// A proof not committed because it would lose (`why`: another prover's commitment to it is
// pending, or too few blocks are left before the unit is final).
inline constexpr char kProofLeft[] = "proof-left";

// Missing data (every role that fetches states): a DataChallenge raised on a checkpoint or final
// state that could not be fetched (`kind`, `leaf`, `chunk`, `txid`), and how it ended (`outcome`:
// kOutcomeAnswered, or kOutcomeWithheld when the unit was reset or slashed for it).
inline constexpr char kDataChallenged[] = "data-challenged";
inline constexpr char kChallengeSettled[] = "challenge-settled";
inline constexpr char kOutcomeAnswered[] = "answered";
inline constexpr char kOutcomeWithheld[] = "withheld";

}  // namespace step::wallet::agent_events
