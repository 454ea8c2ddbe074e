// Canonical encoding (PROTOCOL.md section 2): protobuf with deterministic serialisation, and
// decoders that accept only bytes that re-encode identically and carry no unknown fields.
// Generated protobuf headers are heavy, so this header only forward-declares the messages;
// include "consensus/proto/chain.pb.h" where you touch their fields.
#pragma once

#include "common/bytes.h"
#include "common/status.h"

namespace step::pb {
class Transaction;
class BlockHeader;
class Block;
class Account;
}  // namespace step::pb

namespace step::consensus {

Bytes encode_tx(const pb::Transaction& tx);
Bytes encode_header(const pb::BlockHeader& header);
Bytes encode_block(const pb::Block& block);

// Errors: "malformed" (does not parse), "unknown-field", "non-canonical-encoding".
Result<pb::Transaction> decode_tx(ByteSpan bytes);
Result<pb::BlockHeader> decode_header(ByteSpan bytes);
Result<pb::Block> decode_block(ByteSpan bytes);

}  // namespace step::consensus
