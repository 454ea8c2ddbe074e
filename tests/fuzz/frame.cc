// The P2P byte stream (node/net/framing.h): the input is cut into the pieces a socket might
// deliver (each piece's length is one control byte), fed to a FrameDecoder with the devnet
// magic, and every whole frame taken out; the handshake is marked done when a verack waits.
#include "consensus/params.h"
#include "node/net/framing.h"
#include "tests/fuzz/fuzz.h"

STEP_FUZZ_TARGET(frame) {
    using namespace step::node;
    net::FrameDecoder decoder(step::consensus::devnet_params().p2p_magic);
    const char* at = reinterpret_cast<const char*>(data);
    const char* end = at + size;
    while (at < end) {
        const size_t want = static_cast<uint8_t>(*at) + size_t{1};
        ++at;
        const size_t piece = std::min<size_t>(want, static_cast<size_t>(end - at));
        decoder.feed(std::string_view(at, piece));
        at += piece;
        for (;;) {
            auto frame = decoder.next();
            if (!frame.ok()) return;  // the first error is final
            if (!frame->has_value()) {
                if (!decoder.waiting_for_handshake()) break;
                decoder.set_handshake_done();
                continue;
            }
            const auto& f = **frame;
            STEP_FUZZ_CHECK(f.payload.size() <= p2p::max_payload_bytes(f.type));
            STEP_FUZZ_CHECK(decoder.handshake_done() || p2p::allowed_before_handshake(f.type));
        }
    }
}
