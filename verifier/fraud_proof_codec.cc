// The fraud proof's wire layout (fraud_proof.h): encode and decode as matched pairs from the
// coding library, and every size (one proof's, the largest a spec allows) from one function of
// the fields' encoded lengths.
#include <algorithm>

#include "common/coding.h"
#include "common/hash.h"
#include "common/hash_tags.h"
#include "kernels/data.h"
#include "kernels/spec.h"
#include "verifier/fraud_proof.h"

namespace step::verifier {
namespace {

constexpr uint8_t kProofVersion = 1;
// A segment record's fixed part: u64 dataset index | u32 record length.
constexpr uint64_t kRecordHeaderBytes = kU64Bytes + kU32Bytes;

// What fixes a proof's encoded size: its fields' counts and lengths, not their bytes, so the
// size of a proof too large to build (the largest a spec allows) is known too.
struct Shape {
    uint64_t claimed_path = 0;   // hashes in the claimed leaf's path
    uint64_t previous_path = 0;  // hashes in the previous leaf's path
    uint64_t pre_state = 0;      // bytes
    uint64_t records = 0;
    uint64_t record_bytes = 0;  // of all records together
    uint64_t record_proof = 0;  // hashes
    uint64_t finals = 0;
    uint64_t final_bytes = 0;  // of all previous final states together
};

uint64_t leaf_proof_size(uint64_t path) {
    return kU32Bytes + kHashBytes + hashes_u32_size(path);
}

// Field by field as encode_fraud_proof writes them.
uint64_t encoded_size(const Shape& s) {
    return kU8Bytes + kU32Bytes + leaf_proof_size(s.claimed_path) +
           leaf_proof_size(s.previous_path) + bytes_u64_size(s.pre_state) + kU32Bytes +
           s.records * kRecordHeaderBytes + s.record_bytes + hashes_u32_size(s.record_proof) +
           kU32Bytes + s.finals * kU64Bytes + s.final_bytes;
}

Shape shape_of(const FraudProof& p) {
    Shape s;
    s.claimed_path = p.claimed.path.size();
    s.previous_path = p.previous.path.size();
    s.pre_state = p.pre_state.size();
    s.records = p.records.size();
    for (const SegmentRecord& r : p.records) s.record_bytes += r.record.size();
    s.record_proof = p.record_proof.size();
    s.finals = p.previous_finals.size();
    for (const Bytes& f : p.previous_finals) s.final_bytes += f.size();
    return s;
}

void append_leaf(Bytes& out, const LeafProof& p) {
    append_u32le(out, p.index);
    append_hash(out, p.leaf);
    append_hashes_u32(out, p.path);
}

bool read_leaf(ByteReader& in, LeafProof& p) {
    return in.read_u32le(p.index) && in.read_hash(p.leaf) && in.read_hashes_u32(p.path);
}

Status bad_encoding(const char* why) {
    return Status::error(codes::kBadEncoding, why);
}

}  // namespace

uint64_t FraudProof::wire_size() const {
    return encoded_size(shape_of(*this));
}

Bytes encode_fraud_proof(const FraudProof& p) {
    Bytes out;
    out.reserve(p.wire_size());
    append_u8(out, kProofVersion);
    append_u32le(out, p.leaf);
    append_leaf(out, p.claimed);
    append_leaf(out, p.previous);
    append_bytes_u64(out, p.pre_state);
    append_u32le(out, static_cast<uint32_t>(p.records.size()));
    for (const SegmentRecord& r : p.records) {
        append_u64le(out, r.index);
        append_bytes_u32(out, r.record);
    }
    append_hashes_u32(out, p.record_proof);
    append_u32le(out, static_cast<uint32_t>(p.previous_finals.size()));
    for (const Bytes& f : p.previous_finals) append_bytes_u64(out, f);
    return out;
}

Result<FraudProof> decode_fraud_proof(ByteSpan bytes) {
    ByteReader in(bytes);
    FraudProof p;
    uint8_t version = 0;
    if (!in.read_u8(version) || version != kProofVersion)
        return bad_encoding("unknown proof version");
    in.read_u32le(p.leaf);
    read_leaf(in, p.claimed);
    read_leaf(in, p.previous);
    in.read_bytes_u64(p.pre_state);
    uint64_t n = 0;
    in.read_count_u32(kRecordHeaderBytes, n);
    p.records.resize(n);
    for (SegmentRecord& r : p.records) {
        in.read_u64le(r.index);
        in.read_bytes_u32(r.record);
    }
    in.read_hashes_u32(p.record_proof);
    in.read_count_u32(kU64Bytes, n);
    p.previous_finals.resize(n);
    for (Bytes& f : p.previous_finals) in.read_bytes_u64(f);
    if (!in.ok()) return bad_encoding("truncated or oversized field");
    if (!in.done()) return bad_encoding("trailing bytes after the proof");
    return p;
}

Result<uint64_t> max_fraud_proof_bytes(const kernels::TaskSpec& spec, uint64_t dataset_count) {
    auto shape = trace_shape(spec);
    if (!shape.ok()) return shape.status();
    auto state = kernels::state_bytes(spec);
    if (!state.ok()) return state.status();
    auto fmt = kernels::record_format(spec.data_format);
    if (!fmt.ok()) return fmt.status();
    const uint64_t path = merkle_path_max(shape->leaf_count());
    // A segment proof: the pre-state, each distinct record of the L*B batch rows, the largest
    // multiproof of them, two full leaf paths.
    Shape segment;
    segment.claimed_path = segment.previous_path = path;
    segment.pre_state = *state;
    segment.records = std::min<uint64_t>(shape->leaf_interval * spec.batch, dataset_count);
    segment.record_bytes = segment.records * static_cast<uint64_t>(fmt->record_bytes);
    segment.record_proof = merkle_multiproof_max(dataset_count, segment.records);
    // A leaf-0 proof of a later round: the K previous final states, one leaf path.
    Shape leaf0;
    leaf0.claimed_path = path;
    leaf0.finals = spec.units_per_round;
    leaf0.final_bytes = leaf0.finals * *state;
    return std::max(encoded_size(segment), encoded_size(leaf0));
}

Hash256 fraud_proof_commitment(const FraudProof& proof, ByteSpan prover) {
    TaggedHasher h(tags::kProofCommit);
    Bytes len;
    append_u32le(len, static_cast<uint32_t>(prover.size()));
    Bytes body = encode_fraud_proof(proof);
    return h.update(len).update(prover).update(body).finish();
}

}  // namespace step::verifier
