// Every code the verifier emits (one owner per fact; stable, machine-readable names).
//
// The fraud-proof codes are why a FraudProof transaction is rejected, so consensus passes them
// on to peers and RPC clients: a proof that breaks a rule is kConsensus, bytes that do not
// decode kMalformed, and a context the caller built wrong kInternal. The other codes refuse a
// caller's input (agents, tools) and are kMalformed.
#pragma once

#include "common/status.h"

namespace step::verifier::codes {

// check_fraud_proof and decode_fraud_proof
inline constexpr ErrorCode kBadEncoding{"bad-proof-encoding", ErrorCategory::kMalformed};
inline constexpr ErrorCode kTooLarge{"proof-too-large", ErrorCategory::kConsensus};  // > max bytes
// caller's context inconsistent
inline constexpr ErrorCode kBadContext{"bad-context", ErrorCategory::kInternal};
// j past the last leaf, or leaf proofs for other indices; also a sampled or replayed leaf
// outside the trace (run_audit, replay_leaves)
inline constexpr ErrorCode kBadLeafIndex{"bad-leaf-index", ErrorCategory::kConsensus};
// leaf j or j-1 not in the root
inline constexpr ErrorCode kBadLeafProof{"bad-leaf-proof", ErrorCategory::kConsensus};
// a field this j must not carry
inline constexpr ErrorCode kUnexpectedField{"unexpected-field", ErrorCategory::kConsensus};
// not canonical state bytes, or another model/optimiser/version
inline constexpr ErrorCode kBadPreState{"bad-pre-state", ErrorCategory::kConsensus};
// leaf of pre-state != leaf j-1
inline constexpr ErrorCode kPreStateMismatch{"pre-state-mismatch", ErrorCategory::kConsensus};
// step counter != r*U+(j-1)L
inline constexpr ErrorCode kPreStateStep{"pre-state-step", ErrorCategory::kConsensus};
// not the segment's distinct record count
inline constexpr ErrorCode kWrongRecordCount{"wrong-record-count", ErrorCategory::kConsensus};
// not the segment's records
inline constexpr ErrorCode kWrongRecordIndex{"wrong-record-index", ErrorCategory::kConsensus};
// record of the wrong size
inline constexpr ErrorCode kBadRecord{"bad-record", ErrorCategory::kConsensus};
// records' multiproof fails
inline constexpr ErrorCode kBadRecordProof{"bad-record-proof", ErrorCategory::kConsensus};
// j=0: not K previous finals; also replay_round's count of previous finals
inline constexpr ErrorCode kWrongStateCount{"wrong-state-count", ErrorCategory::kConsensus};
// j=0: not canonical bytes
inline constexpr ErrorCode kBadPreviousFinal{"bad-previous-final", ErrorCategory::kConsensus};
// j=0: != final leaf
inline constexpr ErrorCode kPreviousFinalMismatch{"previous-final-mismatch",
                                                  ErrorCategory::kConsensus};
// kernels refused the replay of the proof's inputs
inline constexpr ErrorCode kReplayFailed{"replay-failed", ErrorCategory::kConsensus};

// Traces, audits and blobs (callers' inputs)
inline constexpr ErrorCode kStartStep{"start-step", ErrorCategory::kMalformed};  // replay start
inline constexpr ErrorCode kCheckpointMismatch{"checkpoint-mismatch", ErrorCategory::kMalformed};
inline constexpr ErrorCode kBadAuditShape{"bad-audit-shape", ErrorCategory::kMalformed};
inline constexpr ErrorCode kBadTrace{"bad-trace", ErrorCategory::kMalformed};  // not U/L + 1 leaves
// a chunk index past the blob's last chunk (also the node's blob store)
inline constexpr ErrorCode kBadChunkIndex{"bad-chunk-index", ErrorCategory::kMalformed};

}  // namespace step::verifier::codes
