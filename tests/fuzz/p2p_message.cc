// Every P2P message payload (node/p2p/codec.h): the first byte picks the message type, the rest
// is the payload. A payload that decodes re-encodes to itself (decode_payload is canonical).
#include <string>

#include "node/p2p/codec.h"
#include "node/p2p/message_type.h"
#include "node/p2p/proto/p2p.pb.h"
#include "tests/fuzz/fuzz.h"

namespace {

template <class M>
void decode(std::string_view payload) {
    auto m = step::node::p2p::decode_payload<M>(payload);
    if (!m.ok()) return;
    STEP_FUZZ_CHECK(step::node::p2p::encode_payload(*m) == payload);
}

}  // namespace

STEP_FUZZ_TARGET(p2p_message) {
    using namespace step::node::p2p;
    step::fuzz::Input in(data, size);
    const uint8_t type = in.byte();
    const std::string_view payload = in.rest();
    switch (static_cast<MessageType>(type % 18 + 1)) {
        case MessageType::kVersion:
            return decode<wire::Version>(payload);
        case MessageType::kVerack:
            return decode<wire::Verack>(payload);
        case MessageType::kPing:
            return decode<wire::Ping>(payload);
        case MessageType::kPong:
            return decode<wire::Pong>(payload);
        case MessageType::kGetHeaders:
            return decode<wire::GetHeaders>(payload);
        case MessageType::kHeaders:
            return decode<wire::Headers>(payload);
        case MessageType::kInv:
            return decode<wire::Inv>(payload);
        case MessageType::kGetData:
            return decode<wire::GetData>(payload);
        case MessageType::kBlock:
            return decode<wire::BlockMessage>(payload);
        case MessageType::kTx:
            return decode<wire::TxMessage>(payload);
        case MessageType::kNotFound:
            return decode<wire::NotFound>(payload);
        case MessageType::kGetAddr:
            return decode<wire::GetAddr>(payload);
        case MessageType::kAddr:
            return decode<wire::Addr>(payload);
        case MessageType::kSendHeaders:
            return decode<wire::SendHeaders>(payload);
        case MessageType::kGetBlobInfo:
            return decode<wire::GetBlobInfo>(payload);
        case MessageType::kBlobInfo:
            return decode<wire::BlobInfo>(payload);
        case MessageType::kGetBlobChunk:
            return decode<wire::GetBlobChunk>(payload);
        case MessageType::kBlobChunk:
            return decode<wire::BlobChunk>(payload);
    }
}
