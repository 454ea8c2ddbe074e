// Blocks from peers, submitblock and the block store: the strict canonical decoder, the
// transaction root and the stateless body rules.
#include "consensus/block.h"
#include "consensus/encoding.h"
#include "consensus/params.h"
#include "consensus/proto/chain.pb.h"
#include "tests/fuzz/fuzz.h"

STEP_FUZZ_TARGET(block) {
    using namespace step;
    auto b = consensus::decode_block(ByteSpan(data, size));
    if (!b.ok()) return;
    STEP_FUZZ_CHECK(consensus::encode_block(*b) == Bytes(data, data + size));
    (void)consensus::header_hash(b->header());
    (void)consensus::compute_tx_root(*b);
    (void)consensus::check_block_body(*b, consensus::devnet_params());
}
