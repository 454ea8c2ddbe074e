// The P2P wire frame: every message travels as
//   magic     4 bytes   per network (consensus::Params::p2p_magic)
//   type      u16 LE    p2p::MessageType wire number
//   length    u32 LE    payload bytes
//   checksum  4 bytes   first 4 bytes of tagged_hash(tags::kP2pChecksum, payload)
//   payload   length bytes (a protobuf message of node/p2p)
// (p2p::kFrameHeaderBytes = 14). Pure: no sockets, so every error is unit-tested byte by byte.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "node/p2p/limits.h"
#include "node/p2p/message_type.h"

namespace step::node::net {

using Magic = std::array<uint8_t, 4>;
using FrameHeader = std::array<uint8_t, p2p::kFrameHeaderBytes>;

// Where each header field starts (the layout above).
inline constexpr size_t kFrameTypeOffset = 4;
inline constexpr size_t kFrameLengthOffset = kFrameTypeOffset + 2;
inline constexpr size_t kFrameChecksumOffset = kFrameLengthOffset + 4;
inline constexpr size_t kFrameChecksumBytes = 4;
static_assert(kFrameChecksumOffset + kFrameChecksumBytes == p2p::kFrameHeaderBytes);
std::array<uint8_t, kFrameChecksumBytes> frame_checksum(std::string_view payload);

// The header for this payload (the sender writes header and payload without copying the
// payload into one buffer).
FrameHeader encode_frame_header(const Magic& magic, p2p::MessageType type,
                                std::string_view payload);
// Header and payload in one string (tests, the test peer).
std::string encode_frame(const Magic& magic, p2p::MessageType type, std::string_view payload);

struct Frame {
    p2p::MessageType type{};
    std::string payload;
};

// Turns a peer's byte stream into whole messages. Each header field is checked as soon as its
// bytes arrive, so a bad magic is refused on its first byte and a length over the type's cap
// before any of the payload is awaited. Before the handshake completes only version and verack
// are read (capped at kMaxHandshakePayloadBytes); once a verack is decoded, later bytes wait
// until the protocol calls set_handshake_done(), so the message after verack is judged by the
// post-handshake rules only if the protocol accepted the handshake.
//
// Errors (all mean the peer sent malformed data; the first one is final): net::codes::
// kFrameBadMagic, kFrameUnknownType, kFrameBeforeHandshake, kFrameOversize, kFrameBadChecksum.
class FrameDecoder {
  public:
    explicit FrameDecoder(const Magic& magic) : magic_(magic) {}

    // Appends received bytes; nothing is checked until next().
    void feed(std::string_view bytes);
    // The next whole message, nullopt when more bytes are needed or while waiting_for_handshake().
    Result<std::optional<Frame>> next();

    void set_handshake_done();
    bool handshake_done() const { return handshake_done_; }
    // A verack was decoded and set_handshake_done() has not been called yet.
    bool waiting_for_handshake() const { return waiting_for_handshake_; }
    // Bytes fed and not yet returned as part of a message.
    size_t buffered_bytes() const { return buffer_.size() - pos_; }

  private:
    // Checks the header fields whose bytes have arrived.
    Status check_header(std::string_view available) const;
    Status fail(Status s);

    Magic magic_;
    bool handshake_done_ = false;
    bool waiting_for_handshake_ = false;
    Status failed_;
    std::string buffer_;
    size_t pos_ = 0;  // start of the first unread frame in buffer_
};

}  // namespace step::node::net
