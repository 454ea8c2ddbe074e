#include "node/net/framing.h"

#include <algorithm>

#include "common/hash.h"
#include "common/hash_tags.h"
#include "node/net/errors.h"

namespace step::node::net {
namespace {

constexpr size_t kTypeAt = kFrameTypeOffset;
constexpr size_t kLengthAt = kFrameLengthOffset;
constexpr size_t kChecksumAt = kFrameChecksumOffset;
static_assert(kTypeAt == std::tuple_size_v<Magic>);

// Consumed bytes are dropped from the front of the buffer once they are most of it, so a stream
// of small messages costs amortised constant work per byte.
constexpr size_t kCompactAtBytes = 64 * 1024;
constexpr size_t kKeepCapacityBytes = 1024 * 1024;

uint64_t get_le(std::string_view b, size_t at, size_t width) {
    uint64_t v = 0;
    for (size_t i = 0; i < width; ++i)
        v |= static_cast<uint64_t>(static_cast<uint8_t>(b[at + i])) << (8 * i);
    return v;
}

void put_le(uint8_t* out, uint64_t v, size_t width) {
    for (size_t i = 0; i < width; ++i) out[i] = static_cast<uint8_t>(v >> (8 * i));
}

}  // namespace

std::array<uint8_t, kFrameChecksumBytes> frame_checksum(std::string_view payload) {
    const Hash256 h = tagged_hash(tags::kP2pChecksum, as_bytes(payload));
    std::array<uint8_t, kFrameChecksumBytes> out{};
    std::copy_n(h.begin(), kFrameChecksumBytes, out.begin());
    return out;
}

FrameHeader encode_frame_header(const Magic& magic, p2p::MessageType type,
                                std::string_view payload) {
    FrameHeader h{};
    std::copy(magic.begin(), magic.end(), h.begin());
    put_le(h.data() + kTypeAt, static_cast<uint16_t>(type), 2);
    put_le(h.data() + kLengthAt, payload.size(), 4);
    const auto sum = frame_checksum(payload);
    std::copy(sum.begin(), sum.end(), h.begin() + kChecksumAt);
    return h;
}

std::string encode_frame(const Magic& magic, p2p::MessageType type, std::string_view payload) {
    const FrameHeader h = encode_frame_header(magic, type, payload);
    std::string out(h.begin(), h.end());
    out.append(payload);
    return out;
}

void FrameDecoder::feed(std::string_view bytes) {
    if (pos_ >= kCompactAtBytes && pos_ * 2 >= buffer_.size()) {
        buffer_.erase(0, pos_);
        pos_ = 0;
    }
    buffer_.append(bytes);
}

void FrameDecoder::set_handshake_done() {
    handshake_done_ = true;
    waiting_for_handshake_ = false;
}

Status FrameDecoder::fail(Status s) {
    failed_ = s;
    return s;
}

Status FrameDecoder::check_header(std::string_view available) const {
    const size_t magic_seen = std::min(available.size(), magic_.size());
    if (!std::equal(magic_.begin(), magic_.begin() + static_cast<std::ptrdiff_t>(magic_seen),
                    reinterpret_cast<const uint8_t*>(available.data())))
        return Status::error(codes::kFrameBadMagic,
                             "the message does not start with this network's magic");
    if (available.size() < kLengthAt) return Status();
    const auto wire = static_cast<uint16_t>(get_le(available, kTypeAt, 2));
    const auto type = p2p::message_type_from_wire(wire);
    if (!type)
        return Status::error(codes::kFrameUnknownType,
                             "unknown message type " + std::to_string(wire));
    if (!handshake_done_ && !p2p::allowed_before_handshake(*type))
        return Status::error(
            codes::kFrameBeforeHandshake,
            std::string(p2p::message_type_name(*type)) + " before the handshake completed");
    if (available.size() < kChecksumAt) return Status();
    const uint64_t length = get_le(available, kLengthAt, 4);
    uint64_t cap = p2p::max_payload_bytes(*type);
    if (!handshake_done_) cap = std::min<uint64_t>(cap, p2p::kMaxHandshakePayloadBytes);
    if (length > cap)
        return Status::error(codes::kFrameOversize, std::string(p2p::message_type_name(*type)) +
                                                        " of " + std::to_string(length) +
                                                        " bytes, over its cap of " +
                                                        std::to_string(cap));
    return Status();
}

Result<std::optional<Frame>> FrameDecoder::next() {
    if (!failed_.ok()) return failed_;
    if (waiting_for_handshake_) return std::optional<Frame>();
    const std::string_view available = std::string_view(buffer_).substr(pos_);
    if (Status s = check_header(available); !s.ok()) return fail(std::move(s));
    if (available.size() < p2p::kFrameHeaderBytes) return std::optional<Frame>();
    const size_t length = get_le(available, kLengthAt, 4);
    if (available.size() < p2p::kFrameHeaderBytes + length) return std::optional<Frame>();

    Frame frame;
    frame.type = static_cast<p2p::MessageType>(get_le(available, kTypeAt, 2));
    frame.payload.assign(available.substr(p2p::kFrameHeaderBytes, length));
    const auto sum = frame_checksum(frame.payload);
    if (!std::equal(sum.begin(), sum.end(),
                    reinterpret_cast<const uint8_t*>(available.data()) + kChecksumAt))
        return fail(Status::error(
            codes::kFrameBadChecksum,
            std::string(p2p::message_type_name(frame.type)) + " payload fails its checksum"));
    pos_ += p2p::kFrameHeaderBytes + length;
    if (pos_ == buffer_.size()) {
        // A large message's buffer is given back: an idle peer holds no block-sized buffer.
        if (buffer_.capacity() > kKeepCapacityBytes) std::string().swap(buffer_);
        buffer_.clear();
        pos_ = 0;
    }
    if (!handshake_done_ && frame.type == p2p::MessageType::kVerack) waiting_for_handshake_ = true;
    return std::optional<Frame>(std::move(frame));
}

}  // namespace step::node::net
