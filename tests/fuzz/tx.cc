// Transaction bytes from a peer, the mempool file or sendtransaction: the strict canonical
// decoder, then the stateless rules (signature included) every node runs before anything else.
#include "consensus/encoding.h"
#include "consensus/params.h"
#include "consensus/proto/chain.pb.h"
#include "consensus/transaction.h"
#include "tests/fuzz/fuzz.h"

STEP_FUZZ_TARGET(tx) {
    using namespace step;
    auto tx = consensus::decode_tx(ByteSpan(data, size));
    if (!tx.ok()) return;
    STEP_FUZZ_CHECK(consensus::encode_tx(*tx) == Bytes(data, data + size));
    (void)consensus::txid(*tx);
    (void)consensus::tx_sender(*tx);
    (void)consensus::check_transaction(*tx, consensus::devnet_params());
}
