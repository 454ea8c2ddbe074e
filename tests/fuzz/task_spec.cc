// The on-chain task spec inside SubmitTask: the strict decoder, the conversion to the kernels'
// spec and every consensus check of PROTOCOL.md section 3.
#include "consensus/task_spec.h"
#include "consensus/params.h"
#include "tests/fuzz/fuzz.h"

STEP_FUZZ_TARGET(task_spec) {
    using namespace step;
    fuzz::Input in(data, size);
    const uint64_t budget = uint64_t{1} << (in.byte() % 64);
    const uint64_t bond = uint64_t{1} << (in.byte() % 64);
    const std::string_view rest = in.rest();
    auto m = consensus::decode_task_spec(as_bytes(rest));
    if (!m.ok()) return;
    STEP_FUZZ_CHECK(consensus::encode_task_spec(*m) == Bytes(rest.begin(), rest.end()));
    (void)consensus::spec_from_proto(*m, budget, bond);
    (void)consensus::validate_market_spec(*m, budget, bond, consensus::devnet_params());
}
