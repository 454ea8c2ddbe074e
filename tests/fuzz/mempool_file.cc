// <datadir>/mempool.dat at start-up: the file decoder with the node's own limits, then each
// record through the transaction decoder, as node/mempool_persistence.cc loads it.
#include "node/mempool_file.h"
#include "consensus/encoding.h"
#include "consensus/params.h"
#include "consensus/proto/chain.pb.h"
#include "node/mempool.h"
#include "tests/fuzz/fuzz.h"

STEP_FUZZ_TARGET(mempool_file) {
    using namespace step;
    fuzz::Input in(data, size);
    const bool fix = in.byte() & 1;
    const node::MempoolFileLimits limits{node::kDefaultMaxMempoolBytes,
                                         consensus::devnet_params().max_tx_bytes};
    const auto file = fuzz::record_file_bytes(in.rest(), fix);
    auto records = node::decode_mempool_file(file, limits);
    if (!records.ok()) return;
    for (const Bytes& r : *records) {
        STEP_FUZZ_CHECK(r.size() <= limits.max_tx_bytes);
        (void)consensus::decode_tx(r);
    }
}
