// Every rejection reason consensus emits, in one place (one owner per fact). The strings are
// machine-readable and stable: the node sends them to peers and RPC clients
// (error.data.code), so renaming one is an API change. docs/consensus.md lists them all.
#pragma once

namespace step::consensus::codes {

// Encoding
inline constexpr char kNonCanonicalEncoding[] = "non-canonical-encoding";  // bytes != re-encoding
inline constexpr char kUnknownField[] = "unknown-field";                   // field not in schema
inline constexpr char kMalformed[] = "malformed";                         // does not parse
inline constexpr char kBadAddress[] = "bad-address";                      // bech32m text invalid

// Transactions (stateless)
inline constexpr char kTxTooLarge[] = "tx-too-large";
inline constexpr char kWrongChainId[] = "wrong-chain-id";
inline constexpr char kBadPubkey[] = "bad-pubkey";
inline constexpr char kBadSignature[] = "bad-signature";
inline constexpr char kMissingPayload[] = "missing-payload";
inline constexpr char kPayloadNotActive[] = "payload-not-active";
inline constexpr char kBadRecipient[] = "bad-recipient";
inline constexpr char kBadRole[] = "bad-role";
inline constexpr char kZeroAmount[] = "zero-amount";
inline constexpr char kFeeTooLow[] = "fee-too-low";
inline constexpr char kAmountOverflow[] = "amount-overflow";

// Transactions (against state)
inline constexpr char kBadNonce[] = "bad-nonce";
inline constexpr char kInsufficientFunds[] = "insufficient-funds";
inline constexpr char kInsufficientBond[] = "insufficient-bond";
inline constexpr char kTooManyLocks[] = "too-many-locks";

// Block headers
inline constexpr char kBadVersion[] = "bad-version";
inline constexpr char kBadHeight[] = "bad-height";
inline constexpr char kBadPrevHash[] = "bad-prev-hash";
inline constexpr char kBadHeaderField[] = "bad-header-field";  // wrong-length hash/address field
inline constexpr char kTimeTooOld[] = "time-too-old";
inline constexpr char kTimeTooNew[] = "time-too-new";
inline constexpr char kBadTarget[] = "bad-target";
inline constexpr char kBadPow[] = "bad-pow";

// Block bodies and results
inline constexpr char kBlockTooLarge[] = "block-too-large";
inline constexpr char kTooManyTxs[] = "too-many-txs";
inline constexpr char kBadTxRoot[] = "bad-tx-root";
inline constexpr char kBadStateRoot[] = "bad-state-root";

// Task specs (SubmitTask; consensus/task_spec.cc)
inline constexpr char kSpecKernelVersion[] = "spec-kernel-version";  // not a version we run
inline constexpr char kSpecUnknownModel[] = "spec-unknown-model";    // arch/dims not in registry
inline constexpr char kSpecNonFinite[] = "spec-non-finite";          // NaN/inf hyper-parameter
inline constexpr char kSpecIntervals[] = "spec-intervals";  // L | U, L | C, C >= 2L, ...
inline constexpr char kSpecSplit[] = "spec-split";          // T a multiple of U, K >= 1
inline constexpr char kSpecTooManyUnits[] = "spec-too-many-units";
inline constexpr char kSpecTooManyLeaves[] = "spec-too-many-leaves";
inline constexpr char kSpecDataset[] = "spec-dataset";      // root, format, shard >= batch
inline constexpr char kSpecAudit[] = "spec-audit";          // V, Q shape
inline constexpr char kSpecSegmentFlops[] = "spec-segment-flops";
inline constexpr char kSpecStateBytes[] = "spec-state-bytes";
inline constexpr char kSpecProofBytes[] = "spec-proof-bytes";
inline constexpr char kSpecBudget[] = "spec-budget";        // budget < units
inline constexpr char kSpecDeterrence[] = "spec-deterrence";  // unit bond too small
inline constexpr char kSpecInvalid[] = "spec-invalid";      // any other kernels field rule

// Market transactions (consensus/market*.cc)
inline constexpr char kUnknownTask[] = "unknown-task";
inline constexpr char kNotTaskOwner[] = "not-task-owner";
inline constexpr char kTaskClosed[] = "task-closed";          // cancelled or done
inline constexpr char kBadUnitRef[] = "bad-unit-ref";         // round/unit out of range
inline constexpr char kUnitNotOpen[] = "unit-not-open";
inline constexpr char kRoundNotReady[] = "round-not-ready";   // predecessors not committed
inline constexpr char kPipelineFull[] = "pipeline-full";      // PIPELINE_DEPTH
inline constexpr char kNotUnitSolver[] = "not-unit-solver";
inline constexpr char kWrongPhase[] = "wrong-phase";          // out of turn for the unit
inline constexpr char kBadCommit[] = "bad-commit";            // hash sizes, checkpoint count
inline constexpr char kNotAssigned[] = "not-assigned";
inline constexpr char kDuplicateAudit[] = "duplicate-audit";
inline constexpr char kBadReveal[] = "bad-reveal";            // does not match the commitment
inline constexpr char kBadTrace[] = "bad-trace";              // leaves do not match the commit
inline constexpr char kDuplicateProofCommit[] = "duplicate-proof-commit";
inline constexpr char kNoProofCommit[] = "no-proof-commit";   // reveal without earlier commit
inline constexpr char kProofTooLarge[] = "proof-too-large";
inline constexpr char kBlockProofFlops[] = "block-proof-flops";  // MAX_BLOCK_PROOF_FLOPS
inline constexpr char kUnknownBlob[] = "unknown-blob";
inline constexpr char kDuplicateChallenge[] = "duplicate-challenge";
inline constexpr char kUnknownChallenge[] = "unknown-challenge";
inline constexpr char kBadChunkProof[] = "bad-chunk-proof";
inline constexpr char kBadDataKind[] = "bad-data-kind";        // unknown kind, or another kind's fields
inline constexpr char kBadRecordIndex[] = "bad-record-index";  // dataset record >= data_count
inline constexpr char kBadRecordSize[] = "bad-record-size";    // not the format's record size
inline constexpr char kBadRecordProof[] = "bad-record-proof";  // record path misses the dataset root
inline constexpr char kBadProof[] = "bad-proof";  // proof leaf differs from the payload's

// State storage (a value under a state key does not parse: the store is corrupt)
inline constexpr char kCorruptState[] = "corrupt-state";

}  // namespace step::consensus::codes
