#include "node/p2p/message_type.h"

#include <array>

#include "node/p2p/limits.h"

namespace step::node::p2p {
namespace {

struct TypeInfo {
    MessageType type;
    std::string_view name;
    uint32_t max_payload;
};

// The largest block a peer may send: a maximal block plus its protobuf framing.
constexpr uint32_t kMaxBlockMessageBytes = (16u << 20) + 4096;

constexpr std::array<TypeInfo, 18> kTypes{{
    {MessageType::kVersion, "version", kMaxHandshakePayloadBytes},
    {MessageType::kVerack, "verack", 0},
    {MessageType::kPing, "ping", 16},
    {MessageType::kPong, "pong", 16},
    {MessageType::kGetHeaders, "getheaders", 64 + kMaxLocatorHashes * 40},
    {MessageType::kHeaders, "headers", kMaxHeadersPerMessage * 512},
    {MessageType::kInv, "inv", kMaxInvPerMessage * 40},
    {MessageType::kGetData, "getdata", kMaxInvPerMessage * 40},
    {MessageType::kBlock, "block", kMaxBlockMessageBytes},
    {MessageType::kTx, "tx", kMaxBlockMessageBytes / 2},
    {MessageType::kNotFound, "notfound", kMaxInvPerMessage * 40},
    {MessageType::kGetAddr, "getaddr", 0},
    {MessageType::kAddr, "addr", kMaxAddrPerMessage * 64},
    {MessageType::kSendHeaders, "sendheaders", 0},
    {MessageType::kGetBlobInfo, "getblobinfo", 64 * 1024},
    {MessageType::kBlobInfo, "blobinfo", 64 * 1024},
    {MessageType::kGetBlobChunk, "getblobchunk", 1024},
    {MessageType::kBlobChunk, "blobchunk", 2u << 20},
}};

const TypeInfo* find(MessageType type) {
    for (const auto& t : kTypes)
        if (t.type == type) return &t;
    return nullptr;
}

}  // namespace

std::string_view message_type_name(MessageType type) {
    const TypeInfo* t = find(type);
    return t ? t->name : "unknown";
}

std::optional<MessageType> message_type_from_wire(uint16_t wire) {
    const TypeInfo* t = find(static_cast<MessageType>(wire));
    if (!t) return std::nullopt;
    return t->type;
}

uint32_t max_payload_bytes(MessageType type) {
    const TypeInfo* t = find(type);
    return t ? t->max_payload : 0;
}

bool allowed_before_handshake(MessageType type) {
    return type == MessageType::kVersion || type == MessageType::kVerack;
}

}  // namespace step::node::p2p
