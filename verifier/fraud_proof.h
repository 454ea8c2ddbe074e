// Fraud proofs (PROTOCOL.md section 3, step 6) and the pure check every node runs on them.
//
// A proof shows leaf j of a unit's published trace wrong:
//   j >= 1: the pre-state (canonical bytes; its leaf digest must equal leaf j-1), the distinct
//           records of the segment's L*B batch rows, ascending by dataset index, with one Merkle
//           multiproof of all of them to the dataset root (verifier/proofs.h), and the proofs of
//           leaves j-1 and j to the trace root. The node replays the L steps on the CPU
//           reference, one thread.
//   j == 0: round 0 carries nothing (the node computes init(spec)); round r > 0 carries the K
//           final states of round r-1 in unit order (each must match its committed final leaf)
//           and the node recomputes their mean. Only the proof of leaf 0 is needed.
// The check returns a verdict when the proof is well-formed (fraud proven, or the leaf was right:
// "not fraud" costs the prover its bond) and an error with a specific code when it is malformed
// (see the codes below); consensus rejects a malformed proof outright.
//
// Wire encoding (integers little-endian, fields from common/coding.h; fraud_proof_codec.cc writes,
// reads and sizes it, so the layout is stated there once):
//   u8 version (1) | u32 leaf j | LeafProof claimed | LeafProof previous | u64 len | pre-state
//   | u32 n | n x (u64 index | u32 len | record) | u32 m | m x 32 (record multiproof)
//   | u32 K | K x (u64 len | state bytes)
//   LeafProof   = u32 index | 32 leaf | u32 m | m x 32
// For j == 0 `previous` is empty (index 0, zero leaf, no path), and pre-state, records and
// multiproof are empty; for j >= 1 the previous-finals list is empty. Anything else is "unexpected-field".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "verifier/errors.h"
#include "kernels/spec.h"
#include "verifier/proofs.h"
#include "verifier/trace.h"

namespace step::verifier {

// Error codes of check_fraud_proof and decode_fraud_proof: verifier/errors.h.

// One record of a segment: its dataset index and bytes.
struct SegmentRecord {
    uint64_t index = 0;
    Bytes record;
    bool operator==(const SegmentRecord&) const = default;
};

struct FraudProof {
    uint32_t leaf = 0;            // j, the leaf shown wrong
    LeafProof claimed;            // leaf j against the trace root
    LeafProof previous;           // j >= 1: leaf j-1
    Bytes pre_state;              // j >= 1: canonical bytes of the state at leaf j-1
    std::vector<SegmentRecord> records;   // j >= 1: distinct segment records, ascending index
    std::vector<Hash256> record_proof;    // j >= 1: merkle_multiproof of the records' hashes
    std::vector<Bytes> previous_finals;   // j == 0, round > 0: K canonical final states

    uint64_t wire_size() const;
    bool operator==(const FraudProof&) const = default;
};
Bytes encode_fraud_proof(const FraudProof& p);
// Error "bad-proof-encoding" for truncation, trailing bytes, an unknown version, or a length
// that cannot fit in what remains (so decoding never allocates more than the input's size).
Result<FraudProof> decode_fraud_proof(ByteSpan bytes);

// What consensus knows about the unit when it checks a proof (all committed on chain).
struct FraudCheckContext {
    UnitRef unit;
    Hash256 dataset_root{};       // kernels::dataset_root of the task's training records
    uint64_t dataset_count = 0;   // records in the dataset
    Hash256 trace_root{};         // from CommitUnit
    uint32_t leaf_count = 0;      // U/L + 1 (checked against the spec)
    // j == 0, round > 0: the committed final leaves of the previous round's K units, in unit
    // order (each the leaf U/L of that unit, tagged with its round r-1 and unit k).
    std::vector<Hash256> previous_final_leaves;
    uint64_t max_proof_bytes = 0;  // MAX_PROOF_BYTES; 0 = no bound
};

struct FraudVerdict {
    bool fraud = false;       // true: leaf `leaf` is wrong (solver slashed, prover rewarded)
    uint32_t leaf = 0;
    Hash256 claimed_leaf{};   // what the solver committed
    Hash256 correct_leaf{};   // what the replay computed
    std::string reason;       // e.g. "fraud at leaf 12" / "leaf 12 is correct"
};

// The pure check. Deterministic, single-threaded CPU reference; no I/O.
Result<FraudVerdict> check_fraud_proof(const kernels::TaskSpec& spec,
                                       const FraudCheckContext& ctx, const FraudProof& proof);

// The global dataset indices a segment's records must have: the distinct indices of the
// batches of steps (j-1)L .. jL-1 of the unit, ascending.
Result<std::vector<uint64_t>> segment_record_indices(const kernels::TaskSpec& spec,
                                                     uint64_t dataset_count,
                                                     const UnitRef& unit, uint32_t leaf);

// The largest wire size any fraud proof for a spec can have, from the same field lengths as
// wire_size(): the larger of a segment proof (state + min(L*B, dataset_count) records with the
// largest multiproof + two leaf proofs) and a leaf-0 proof (K states + one leaf proof). Consensus
// takes it into the spec's proof allowance (proof_allowance in consensus/task_spec.cc).
Result<uint64_t> max_fraud_proof_bytes(const kernels::TaskSpec& spec, uint64_t dataset_count);

// Replay FLOPs a node spends on a proof (for MAX_BLOCK_PROOF_FLOPS): segment_flops(spec, L)
// for j >= 1; K * values (the mean) for j == 0 of round > 0; 0 for round 0 (init only).
Result<uint64_t> fraud_proof_flops(const kernels::TaskSpec& spec, uint32_t round, uint32_t leaf);

// The commitment a prover posts first (ProofCommit): H_proof-commit(u32 len(prover) | prover |
// encode_fraud_proof(proof)), so a copied proof cannot claim an earlier commitment.
Hash256 fraud_proof_commitment(const FraudProof& proof, ByteSpan prover);

}  // namespace step::verifier
