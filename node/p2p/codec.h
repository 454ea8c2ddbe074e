// Encoding and strict decoding of P2P payloads (node/p2p/proto/p2p.proto). A payload is the
// canonical protobuf encoding of its message; decode_payload refuses anything else and anything
// over the limits of node/p2p/limits.h, each with a malformed-payload code (errors.h), so a peer
// that sends one is treated as sending malformed data (misbehavior.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"
#include "node/p2p/message_type.h"
#include "node/p2p/proto/p2p.pb.h"

namespace step::node::p2p {

// The message type each wire message travels as.
template <class M>
constexpr MessageType message_type_of();
#define STEP_P2P_MESSAGE(Msg, Type)                      \
    template <>                                          \
    constexpr MessageType message_type_of<wire::Msg>() { \
        return MessageType::Type;                        \
    }
STEP_P2P_MESSAGE(Version, kVersion)
STEP_P2P_MESSAGE(Verack, kVerack)
STEP_P2P_MESSAGE(Ping, kPing)
STEP_P2P_MESSAGE(Pong, kPong)
STEP_P2P_MESSAGE(GetHeaders, kGetHeaders)
STEP_P2P_MESSAGE(Headers, kHeaders)
STEP_P2P_MESSAGE(Inv, kInv)
STEP_P2P_MESSAGE(GetData, kGetData)
STEP_P2P_MESSAGE(BlockMessage, kBlock)
STEP_P2P_MESSAGE(TxMessage, kTx)
STEP_P2P_MESSAGE(NotFound, kNotFound)
STEP_P2P_MESSAGE(GetAddr, kGetAddr)
STEP_P2P_MESSAGE(Addr, kAddr)
STEP_P2P_MESSAGE(SendHeaders, kSendHeaders)
STEP_P2P_MESSAGE(GetBlobInfo, kGetBlobInfo)
STEP_P2P_MESSAGE(BlobInfo, kBlobInfo)
STEP_P2P_MESSAGE(GetBlobChunk, kGetBlobChunk)
STEP_P2P_MESSAGE(BlobChunk, kBlobChunk)
#undef STEP_P2P_MESSAGE

// The canonical (deterministic) bytes of a message: what Transport::send takes as payload.
std::string encode_payload(const google::protobuf::Message& message);

// Parses a payload of message M. Errors (codes in errors.h, all meaning malformed data):
// kMalformedPayload (does not parse, unknown field, not canonical, over the type's byte cap),
// kPayloadOverLimit (too many items, user agent too long), kBadPayloadField (a field's shape).
// Explicitly instantiated for every message of p2p.proto.
template <class M>
Result<M> decode_payload(std::string_view payload);

// A 32-byte hash field; nullopt for any other length.
std::optional<Hash256> hash_from_field(const std::string& field);
inline std::string hash_to_field(const Hash256& h) {
    return std::string(h.begin(), h.end());
}

}  // namespace step::node::p2p
