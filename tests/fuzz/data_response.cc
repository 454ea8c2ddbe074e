// DataResponse transactions (a solver or dataset owner answering a data challenge): the
// transaction decoder, the stateless shape check, and the chunk or record proof the chain
// verifies, built from the fields as consensus/market_data.cc and market_dataset.cc build them.
#include "consensus/encoding.h"
#include "consensus/market.h"
#include "consensus/proto/chain.pb.h"
#include "tests/fuzz/fuzz.h"
#include "verifier/proofs.h"

namespace {

step::Hash256 hash_of(const std::string& field) {
    step::Hash256 h{};
    std::copy_n(field.begin(), std::min(field.size(), h.size()), h.begin());
    return h;
}

}  // namespace

STEP_FUZZ_TARGET(data_response) {
    using namespace step;
    auto tx = consensus::decode_tx(ByteSpan(data, size));
    if (!tx.ok() || !(tx->has_data_response() || tx->has_data_challenge())) return;
    if (!consensus::detail::check_data_fields(*tx).ok() || !tx->has_data_response()) return;
    const pb::DataResponse& dr = tx->data_response();
    if (dr.kind() == pb::DATA_DATASET) {
        verifier::RecordProof proof;
        proof.index = dr.record();
        proof.record.assign(dr.record_bytes().begin(), dr.record_bytes().end());
        for (const auto& s : dr.proof()) proof.path.push_back(hash_of(s));
        (void)verifier::verify_record_proof(hash_of(dr.unit().task_id()), dr.record() + 1, proof);
        return;
    }
    verifier::ChunkProof proof;
    proof.blob_size = dr.blob_size();
    proof.index = dr.chunk_index();
    proof.chunk.assign(dr.chunk().begin(), dr.chunk().end());
    proof.chunks_root = hash_of(dr.chunks_root());
    for (const auto& s : dr.proof()) proof.path.push_back(hash_of(s));
    (void)verifier::verify_chunk_proof(hash_of(dr.blob_root()), proof);
}
