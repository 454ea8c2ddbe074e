// The P2P frame (node/net/framing.h): layout, every framing error by its code, and a decoder
// fed whole streams, byte by byte, and across the handshake.
#include <catch2/catch.hpp>

#include "common/hash.h"
#include "common/hash_tags.h"
#include "consensus/params.h"
#include "node/net/errors.h"
#include "node/net/framing.h"
#include "tests/support/status_check.h"

using namespace step;
using namespace step::node;
using namespace step::node::net;
using p2p::MessageType;

namespace {

const Magic kMagic = consensus::devnet_params().p2p_magic;

std::string frame(MessageType type, std::string_view payload) {
    return encode_frame(kMagic, type, payload);
}

// Every message the decoder yields from `bytes` fed in pieces of `step` bytes, and the error
// that stopped it (ok when none).
struct Decoded {
    std::vector<Frame> frames;
    Status error;
};

Decoded decode(FrameDecoder& d, std::string_view bytes, size_t step) {
    Decoded out;
    for (size_t at = 0; at < bytes.size(); at += step) {
        d.feed(bytes.substr(at, step));
        for (;;) {
            auto r = d.next();
            if (!r.ok()) {
                out.error = r.status();
                return out;
            }
            if (!*r) break;
            out.frames.push_back(std::move(**r));
        }
    }
    return out;
}

Decoded decode_after_handshake(std::string_view bytes, size_t step = 1 << 20) {
    FrameDecoder d(kMagic);
    d.set_handshake_done();
    return decode(d, bytes, step);
}

void set_le(std::string& s, size_t at, uint64_t v, size_t width) {
    for (size_t i = 0; i < width; ++i) s[at + i] = static_cast<char>(v >> (8 * i));
}

}  // namespace

TEST_CASE("A frame is magic, type LE, length LE, checksum, payload") {
    const std::string payload = "hello";
    const std::string f = frame(MessageType::kPing, payload);
    REQUIRE(f.size() == p2p::kFrameHeaderBytes + payload.size());
    CHECK(std::equal(kMagic.begin(), kMagic.end(), reinterpret_cast<const uint8_t*>(f.data())));
    CHECK(static_cast<uint8_t>(f[4]) == static_cast<uint16_t>(MessageType::kPing));
    CHECK(f[5] == 0);
    CHECK(static_cast<uint8_t>(f[6]) == payload.size());
    CHECK(f.substr(7, 3) == std::string(3, '\0'));
    const Hash256 h = tagged_hash(tags::kP2pChecksum, as_bytes(payload));
    CHECK(std::equal(h.begin(), h.begin() + 4, reinterpret_cast<const uint8_t*>(f.data()) + 10));
    CHECK(f.substr(p2p::kFrameHeaderBytes) == payload);
    const FrameHeader header = encode_frame_header(kMagic, MessageType::kPing, payload);
    CHECK(std::string(header.begin(), header.end()) == f.substr(0, p2p::kFrameHeaderBytes));
}

TEST_CASE("The networks' magics differ") {
    CHECK(consensus::devnet_params().p2p_magic != consensus::testnet_params().p2p_magic);
    CHECK(consensus::devnet_params().p2p_magic != consensus::mainnet_params().p2p_magic);
    CHECK(consensus::testnet_params().p2p_magic != consensus::mainnet_params().p2p_magic);
}

TEST_CASE("The decoder yields every message of a stream, whole or byte by byte") {
    const std::string big(100'000, 'b');
    const std::string stream = frame(MessageType::kPing, "12345678") +
                               frame(MessageType::kGetAddr, "") + frame(MessageType::kBlock, big) +
                               frame(MessageType::kPong, "x");
    for (size_t step :
         {size_t{1}, size_t{3}, size_t{13}, size_t{14}, size_t{4096}, stream.size()}) {
        INFO("step " << step);
        Decoded d = decode_after_handshake(stream, step);
        REQUIRE(d.error.ok());
        REQUIRE(d.frames.size() == 4);
        CHECK(d.frames[0].type == MessageType::kPing);
        CHECK(d.frames[0].payload == "12345678");
        CHECK(d.frames[1].type == MessageType::kGetAddr);
        CHECK(d.frames[1].payload.empty());
        CHECK(d.frames[2].type == MessageType::kBlock);
        CHECK(d.frames[2].payload == big);
        CHECK(d.frames[3].payload == "x");
    }
}

TEST_CASE("The decoder keeps nothing once every message is out") {
    FrameDecoder d(kMagic);
    d.set_handshake_done();
    const std::string f = frame(MessageType::kPing, "abc");
    d.feed(f.substr(0, 5));
    CHECK(d.buffered_bytes() == 5);
    REQUIRE(d.next().ok());
    d.feed(f.substr(5));
    auto r = d.next();
    REQUIRE(r.ok());
    REQUIRE(r->has_value());
    CHECK(d.buffered_bytes() == 0);
    CHECK(!d.next()->has_value());
}

TEST_CASE("A wrong magic is refused on its first byte") {
    FrameDecoder d(kMagic);
    std::string f = frame(MessageType::kVersion, "v");
    f[0] = static_cast<char>(f[0] ^ 1);
    Decoded out = decode(d, f.substr(0, 1), 1);
    CHECK(out.error == codes::kFrameBadMagic);
    // Another network's magic is as wrong as garbage.
    Decoded other = decode_after_handshake(
        encode_frame(consensus::mainnet_params().p2p_magic, MessageType::kPing, ""));
    CHECK(other.error == codes::kFrameBadMagic);
    // A valid frame after a bad one in the same stream does not revive the decoder.
    FrameDecoder sticky(kMagic);
    decode(sticky, f, f.size());
    sticky.feed(frame(MessageType::kVersion, "v"));
    CHECK(sticky.next().status() == codes::kFrameBadMagic);
}

TEST_CASE("An unknown type is refused once its two bytes arrive") {
    for (uint16_t wire : {uint16_t{0}, uint16_t{999}, uint16_t{0xffff}}) {
        std::string f = frame(MessageType::kPing, "");
        set_le(f, kFrameTypeOffset, wire, 2);
        FrameDecoder d(kMagic);
        d.set_handshake_done();
        Decoded out = decode(d, f.substr(0, 6), 1);
        INFO(wire);
        CHECK(out.error == codes::kFrameUnknownType);
    }
}

TEST_CASE("A length over the type's cap is refused before any payload") {
    SECTION("after the handshake, each type's own cap") {
        for (MessageType type : {MessageType::kPing, MessageType::kVerack, MessageType::kBlock,
                                 MessageType::kHeaders}) {
            const uint32_t cap = p2p::max_payload_bytes(type);
            std::string f = frame(type, "");
            set_le(f, kFrameLengthOffset, uint64_t{cap} + 1, 4);
            Decoded out = decode_after_handshake(f, 1);  // the header alone: no payload follows
            INFO(p2p::message_type_name(type));
            CHECK(out.error == codes::kFrameOversize);
            // Exactly the cap is fine (only the header is there, so nothing is yielded yet).
            set_le(f, kFrameLengthOffset, cap, 4);
            CHECK(decode_after_handshake(f, 1).error.ok());
        }
    }
    SECTION("before the handshake, a version over kMaxHandshakePayloadBytes") {
        std::string f = frame(MessageType::kVersion, "");
        set_le(f, kFrameLengthOffset, p2p::kMaxHandshakePayloadBytes + 1, 4);
        FrameDecoder d(kMagic);
        CHECK(decode(d, f, 1).error == codes::kFrameOversize);
    }
    SECTION("the largest length a header can hold") {
        std::string f = frame(MessageType::kBlock, "");
        set_le(f, kFrameLengthOffset, 0xffffffffu, 4);
        CHECK(decode_after_handshake(f).error == codes::kFrameOversize);
    }
}

TEST_CASE("A bad checksum is refused when the payload is complete") {
    std::string f = frame(MessageType::kPing, "12345678");
    f.back() = static_cast<char>(f.back() ^ 0x40);
    FrameDecoder d(kMagic);
    d.set_handshake_done();
    Decoded partial = decode(d, f.substr(0, f.size() - 1), 1);
    CHECK(partial.error.ok());  // not knowable before the last byte
    CHECK(decode(d, f.substr(f.size() - 1), 1).error == codes::kFrameBadChecksum);
    std::string bad_sum = frame(MessageType::kPing, "12345678");
    bad_sum[kFrameChecksumOffset] = static_cast<char>(bad_sum[kFrameChecksumOffset] ^ 1);
    CHECK(decode_after_handshake(bad_sum).error == codes::kFrameBadChecksum);
}

TEST_CASE("Before the handshake only version and verack are read") {
    for (MessageType type :
         {MessageType::kPing, MessageType::kGetHeaders, MessageType::kBlock, MessageType::kAddr}) {
        FrameDecoder d(kMagic);
        INFO(p2p::message_type_name(type));
        CHECK(decode(d, frame(type, ""), 1).error == codes::kFrameBeforeHandshake);
    }
    FrameDecoder d(kMagic);
    Decoded ok = decode(d, frame(MessageType::kVersion, "v") + frame(MessageType::kVerack, ""), 1);
    CHECK(ok.error.ok());
    CHECK(ok.frames.size() == 2);
}

TEST_CASE("After a verack the decoder waits for the protocol to accept the handshake") {
    const std::string stream = frame(MessageType::kVersion, "v") + frame(MessageType::kVerack, "") +
                               frame(MessageType::kPing, "12345678") +
                               frame(MessageType::kBlock, std::string(5000, 'x'));
    FrameDecoder d(kMagic);
    Decoded first = decode(d, stream, 7);
    REQUIRE(first.error.ok());
    REQUIRE(first.frames.size() == 2);
    CHECK(first.frames[1].type == MessageType::kVerack);
    CHECK(d.waiting_for_handshake());
    CHECK(!d.next()->has_value());  // the ping waits, neither yielded nor refused
    d.set_handshake_done();
    CHECK(!d.waiting_for_handshake());
    Decoded rest = decode(d, "", 1);
    auto r1 = d.next();
    auto r2 = d.next();
    REQUIRE(r1.ok());
    REQUIRE(r2.ok());
    REQUIRE(r1->has_value());
    REQUIRE(r2->has_value());
    CHECK((*r1)->type == MessageType::kPing);
    CHECK((*r2)->type == MessageType::kBlock);
    CHECK(rest.frames.empty());
}
