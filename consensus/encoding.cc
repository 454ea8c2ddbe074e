#include "consensus/encoding.h"

#include "consensus/canonical.h"
#include "consensus/proto/chain.pb.h"

namespace step::consensus {
using detail::decode_message;
using detail::encode_message;

Bytes encode_tx(const pb::Transaction& tx) { return encode_message(tx); }
Bytes encode_header(const pb::BlockHeader& header) { return encode_message(header); }
Bytes encode_block(const pb::Block& block) { return encode_message(block); }

namespace {

// Zero bytes parse as a message with every field absent. No transaction, header or block is
// that, so an empty one is malformed, not judged by the first rule it happens to break (a
// transaction would get wrong-chain-id).
template <class M>
Result<M> decode_wire(ByteSpan bytes, const char* what) {
    if (bytes.empty()) return Status::error(codes::kMalformed, std::string("empty ") + what);
    return decode_message<M>(bytes, what);
}

}  // namespace

Result<pb::Transaction> decode_tx(ByteSpan bytes) { return decode_wire<pb::Transaction>(bytes, "transaction"); }
Result<pb::BlockHeader> decode_header(ByteSpan bytes) {
    return decode_wire<pb::BlockHeader>(bytes, "block header");
}
Result<pb::Block> decode_block(ByteSpan bytes) { return decode_wire<pb::Block>(bytes, "block"); }

}  // namespace step::consensus
