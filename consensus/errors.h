// Every rejection reason consensus emits, in one place (one owner per fact). The names are
// machine-readable and stable: the node sends them to peers and RPC clients (error.data.code),
// so renaming one is an API change. docs/consensus.md lists them all.
//
// Categories (common/status.h): a block or transaction the rules reject is kConsensus, bytes
// that do not decode are kMalformed (P2P may punish a peer for either); a state store that does
// not parse is kStorage (the chain stops instead of marking the block invalid); a broken
// invariant of this implementation is kInternal.
#pragma once

#include "common/status.h"
#include "verifier/errors.h"

namespace step::consensus::codes {

// Encoding
inline constexpr ErrorCode kNonCanonicalEncoding{"non-canonical-encoding", ErrorCategory::kMalformed};  // bytes != re-encoding
inline constexpr ErrorCode kUnknownField{"unknown-field", ErrorCategory::kMalformed};                   // field not in schema
inline constexpr ErrorCode kMalformed{"malformed", ErrorCategory::kMalformed};                         // does not parse
inline constexpr ErrorCode kBadAddress{"bad-address", ErrorCategory::kMalformed};                      // bech32m text invalid

// Transactions (stateless)
inline constexpr ErrorCode kTxTooLarge{"tx-too-large", ErrorCategory::kConsensus};
inline constexpr ErrorCode kWrongChainId{"wrong-chain-id", ErrorCategory::kConsensus};
inline constexpr ErrorCode kBadPubkey{"bad-pubkey", ErrorCategory::kConsensus};
inline constexpr ErrorCode kBadSignature{"bad-signature", ErrorCategory::kConsensus};
inline constexpr ErrorCode kMissingPayload{"missing-payload", ErrorCategory::kConsensus};
inline constexpr ErrorCode kPayloadNotActive{"payload-not-active", ErrorCategory::kConsensus};
inline constexpr ErrorCode kBadRecipient{"bad-recipient", ErrorCategory::kConsensus};
inline constexpr ErrorCode kBadRole{"bad-role", ErrorCategory::kConsensus};
inline constexpr ErrorCode kZeroAmount{"zero-amount", ErrorCategory::kConsensus};
inline constexpr ErrorCode kFeeTooLow{"fee-too-low", ErrorCategory::kConsensus};
inline constexpr ErrorCode kAmountOverflow{"amount-overflow", ErrorCategory::kConsensus};

// Transactions (against state)
inline constexpr ErrorCode kBadNonce{"bad-nonce", ErrorCategory::kConsensus};
inline constexpr ErrorCode kInsufficientFunds{"insufficient-funds", ErrorCategory::kConsensus};
inline constexpr ErrorCode kInsufficientBond{"insufficient-bond", ErrorCategory::kConsensus};
inline constexpr ErrorCode kTooManyLocks{"too-many-locks", ErrorCategory::kConsensus};

// Block headers
inline constexpr ErrorCode kBadVersion{"bad-version", ErrorCategory::kConsensus};
inline constexpr ErrorCode kBadHeight{"bad-height", ErrorCategory::kConsensus};
inline constexpr ErrorCode kBadPrevHash{"bad-prev-hash", ErrorCategory::kConsensus};
inline constexpr ErrorCode kBadHeaderField{"bad-header-field", ErrorCategory::kConsensus};  // wrong-length hash/address field
inline constexpr ErrorCode kTimeTooOld{"time-too-old", ErrorCategory::kConsensus};
inline constexpr ErrorCode kTimeTooNew{"time-too-new", ErrorCategory::kConsensus};
inline constexpr ErrorCode kBadTarget{"bad-target", ErrorCategory::kConsensus};
inline constexpr ErrorCode kBadPow{"bad-pow", ErrorCategory::kConsensus};

// Block bodies and results
inline constexpr ErrorCode kBlockTooLarge{"block-too-large", ErrorCategory::kConsensus};
inline constexpr ErrorCode kTooManyTxs{"too-many-txs", ErrorCategory::kConsensus};
inline constexpr ErrorCode kBadTxRoot{"bad-tx-root", ErrorCategory::kConsensus};
inline constexpr ErrorCode kBadStateRoot{"bad-state-root", ErrorCategory::kConsensus};

// Task specs (SubmitTask; consensus/task_spec.cc)
inline constexpr ErrorCode kSpecKernelVersion{"spec-kernel-version", ErrorCategory::kConsensus};  // not a version we run
inline constexpr ErrorCode kSpecUnknownModel{"spec-unknown-model", ErrorCategory::kConsensus};    // arch/dims not in registry
inline constexpr ErrorCode kSpecNonFinite{"spec-non-finite", ErrorCategory::kConsensus};          // NaN/inf hyper-parameter
inline constexpr ErrorCode kSpecIntervals{"spec-intervals", ErrorCategory::kConsensus};  // L | U, L | C, C >= 2L, ...
inline constexpr ErrorCode kSpecSplit{"spec-split", ErrorCategory::kConsensus};          // T a multiple of U, K >= 1
inline constexpr ErrorCode kSpecTooManyUnits{"spec-too-many-units", ErrorCategory::kConsensus};
inline constexpr ErrorCode kSpecTooManyLeaves{"spec-too-many-leaves", ErrorCategory::kConsensus};
inline constexpr ErrorCode kSpecDataset{"spec-dataset", ErrorCategory::kConsensus};      // root, format, shard >= batch
inline constexpr ErrorCode kSpecAudit{"spec-audit", ErrorCategory::kConsensus};          // V, Q shape
inline constexpr ErrorCode kSpecSegmentFlops{"spec-segment-flops", ErrorCategory::kConsensus};
inline constexpr ErrorCode kSpecStateBytes{"spec-state-bytes", ErrorCategory::kConsensus};
inline constexpr ErrorCode kSpecProofBytes{"spec-proof-bytes", ErrorCategory::kConsensus};
inline constexpr ErrorCode kSpecBudget{"spec-budget", ErrorCategory::kConsensus};        // budget < units
inline constexpr ErrorCode kSpecDeterrence{"spec-deterrence", ErrorCategory::kConsensus};  // unit bond too small
inline constexpr ErrorCode kSpecInvalid{"spec-invalid", ErrorCategory::kConsensus};      // any other kernels field rule

// Market transactions (consensus/market*.cc)
inline constexpr ErrorCode kUnknownTask{"unknown-task", ErrorCategory::kConsensus};
inline constexpr ErrorCode kNotTaskOwner{"not-task-owner", ErrorCategory::kConsensus};
inline constexpr ErrorCode kTaskClosed{"task-closed", ErrorCategory::kConsensus};          // cancelled or done
inline constexpr ErrorCode kBadUnitRef{"bad-unit-ref", ErrorCategory::kConsensus};         // round/unit out of range
inline constexpr ErrorCode kUnitNotOpen{"unit-not-open", ErrorCategory::kConsensus};
inline constexpr ErrorCode kRoundNotReady{"round-not-ready", ErrorCategory::kConsensus};   // predecessors not committed
inline constexpr ErrorCode kPipelineFull{"pipeline-full", ErrorCategory::kConsensus};      // PIPELINE_DEPTH
inline constexpr ErrorCode kNotUnitSolver{"not-unit-solver", ErrorCategory::kConsensus};
inline constexpr ErrorCode kWrongPhase{"wrong-phase", ErrorCategory::kConsensus};          // out of turn for the unit
inline constexpr ErrorCode kBadCommit{"bad-commit", ErrorCategory::kConsensus};            // hash sizes, checkpoint count
inline constexpr ErrorCode kNotAssigned{"not-assigned", ErrorCategory::kConsensus};
inline constexpr ErrorCode kDuplicateAudit{"duplicate-audit", ErrorCategory::kConsensus};
inline constexpr ErrorCode kBadReveal{"bad-reveal", ErrorCategory::kConsensus};            // does not match the commitment
inline constexpr ErrorCode kBadTrace{"bad-trace", ErrorCategory::kConsensus};              // leaves do not match the commit
inline constexpr ErrorCode kDuplicateProofCommit{"duplicate-proof-commit", ErrorCategory::kConsensus};
inline constexpr ErrorCode kNoProofCommit{"no-proof-commit", ErrorCategory::kConsensus};   // reveal without earlier commit
// The verifier owns the proof check, so the codes it shares with the transaction rules.
inline constexpr ErrorCode kProofTooLarge = verifier::codes::kTooLarge;  // over MAX_PROOF_BYTES
inline constexpr ErrorCode kBlockProofFlops{"block-proof-flops", ErrorCategory::kConsensus};  // MAX_BLOCK_PROOF_FLOPS
inline constexpr ErrorCode kUnknownBlob{"unknown-blob", ErrorCategory::kConsensus};
inline constexpr ErrorCode kDuplicateChallenge{"duplicate-challenge", ErrorCategory::kConsensus};
inline constexpr ErrorCode kUnknownChallenge{"unknown-challenge", ErrorCategory::kConsensus};
inline constexpr ErrorCode kBadChunkProof{"bad-chunk-proof", ErrorCategory::kConsensus};
// a challenged chunk past the state's last (the state's size follows from the task's spec)
inline constexpr ErrorCode kBadChunkIndex = verifier::codes::kBadChunkIndex;
// a challenged chunk already answered once: every node stores it ('K' record)
inline constexpr ErrorCode kChunkPublic{"chunk-public", ErrorCategory::kConsensus};
inline constexpr ErrorCode kBadDataKind{"bad-data-kind", ErrorCategory::kConsensus};        // unknown kind, or another kind's fields
inline constexpr ErrorCode kBadRecordIndex{"bad-record-index", ErrorCategory::kConsensus};  // dataset record >= data_count
inline constexpr ErrorCode kBadRecordSize{"bad-record-size", ErrorCategory::kConsensus};    // not the format's record size
// record path misses the dataset root
inline constexpr ErrorCode kBadRecordProof = verifier::codes::kBadRecordProof;
inline constexpr ErrorCode kBadProof{"bad-proof", ErrorCategory::kConsensus};  // proof leaf differs from the payload's

// State storage (a value under a state key does not parse: the store is corrupt)
inline constexpr ErrorCode kCorruptState{"corrupt-state", ErrorCategory::kStorage};

// The supply audit (held != minted - burned): a bug in this implementation, never a block's
inline constexpr ErrorCode kSupplyMismatch{"supply-mismatch", ErrorCategory::kInternal};

}  // namespace step::consensus::codes
