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

}  // namespace step::wallet::agent_events
