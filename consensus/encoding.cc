#include "consensus/encoding.h"

#include "consensus/canonical.h"
#include "consensus/proto/chain.pb.h"

namespace step::consensus {
using detail::decode_message;
using detail::encode_message;


Bytes encode_tx(const pb::Transaction& tx) { return encode_message(tx); }
Bytes encode_header(const pb::BlockHeader& header) { return encode_message(header); }
Bytes encode_block(const pb::Block& block) { return encode_message(block); }

Result<pb::Transaction> decode_tx(ByteSpan bytes) {
    return decode_message<pb::Transaction>(bytes, "transaction");
}
Result<pb::BlockHeader> decode_header(ByteSpan bytes) {
    return decode_message<pb::BlockHeader>(bytes, "block header");
}
Result<pb::Block> decode_block(ByteSpan bytes) { return decode_message<pb::Block>(bytes, "block"); }

}  // namespace step::consensus
