// Block headers from headers messages and the block index: the strict canonical decoder, the
// hashes and the proof-of-work check.
#include "consensus/block.h"
#include "consensus/encoding.h"
#include "consensus/params.h"
#include "consensus/proto/chain.pb.h"
#include "tests/fuzz/fuzz.h"

STEP_FUZZ_TARGET(header) {
    using namespace step;
    auto h = consensus::decode_header(ByteSpan(data, size));
    if (!h.ok()) return;
    STEP_FUZZ_CHECK(consensus::encode_header(*h) == Bytes(data, data + size));
    (void)consensus::header_hash(*h);
    (void)consensus::check_pow(*h, consensus::devnet_params());
    const consensus::ChainTip genesis = consensus::genesis_tip(consensus::devnet_params());
    (void)consensus::check_header(*h, genesis, genesis.timestamp + 60, consensus::devnet_params());
}
