// Internal to consensus/: the transaction rules, split so a block validates each transaction
// with one encoding (txid and sighash from the same bytes).
#pragma once

#include <cstdint>

#include "common/bytes.h"
#include "common/status.h"
#include "consensus/params.h"
#include "consensus/proto/chain.pb.h"
#include "consensus/state_cache.h"

namespace step::consensus::detail {

struct TxDigest {
    Bytes bytes;      // canonical encoding
    Hash256 id{};     // H_txid(bytes)
    Hash256 sighash{};
};
TxDigest digest_tx(const pb::Transaction& tx);

// Stateless field rules (no signature check).
Status check_tx_fields(const pb::Transaction& tx, const Params& p, size_t encoded_size);
Status check_tx_signature(const pb::Transaction& tx, const Hash256& sighash);
// Stateful rules and effects; the cache is unchanged when an error is returned. Adds the fee to
// *fees (checked).
Status apply_tx(StateCache& cache, const pb::Transaction& tx, const Params& p, uint64_t height,
                uint64_t* fees);

}  // namespace step::consensus::detail
