// The P2P message types: their wire numbers, names, per-type payload caps and whether they may
// arrive before the handshake completes. One owner for these facts: the framing (node/net) reads
// the cap before it reads a payload; the protocol (node/p2p) decodes the payload
// (node/p2p/proto/p2p.proto defines each one).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace step::node::p2p {

// Wire numbers are stable: a new type gets a new number, a retired one is never reused.
enum class MessageType : uint16_t {
    kVersion = 1,
    kVerack = 2,
    kPing = 3,
    kPong = 4,
    kGetHeaders = 5,
    kHeaders = 6,
    kInv = 7,
    kGetData = 8,
    kBlock = 9,
    kTx = 10,
    kNotFound = 11,
    kGetAddr = 12,
    kAddr = 13,
    kSendHeaders = 14,
    kGetBlobInfo = 15,   // which blobs does the peer hold (by root or by chain name)
    kBlobInfo = 16,
    kGetBlobChunk = 17,
    kBlobChunk = 18,
};

// "version", "headers", ...; "unknown" for a number outside the enum.
std::string_view message_type_name(MessageType type);
// nullopt for a number no type has (a peer that sends one is misbehaving).
std::optional<MessageType> message_type_from_wire(uint16_t wire);
// The largest payload a message of this type may carry (limits.h gives the reasons).
uint32_t max_payload_bytes(MessageType type);
// version and verack only: nothing else is read before the handshake completes.
bool allowed_before_handshake(MessageType type);

}  // namespace step::node::p2p
