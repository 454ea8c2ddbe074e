// Fraud-proof bytes inside a FraudProof transaction: the wire decoder and the decoders of the
// states it carries (the replay is not run).
#include "verifier/fraud_proof.h"
#include "kernels/state.h"
#include "tests/fuzz/fuzz.h"

STEP_FUZZ_TARGET(fraud_proof) {
    using namespace step;
    auto p = verifier::decode_fraud_proof(ByteSpan(data, size));
    if (!p.ok()) return;
    STEP_FUZZ_CHECK(verifier::encode_fraud_proof(*p) == Bytes(data, data + size));
    STEP_FUZZ_CHECK(p->wire_size() == size);
    (void)kernels::state_from_bytes(p->pre_state);
    for (const Bytes& s : p->previous_finals) (void)kernels::state_from_bytes(s);
}
