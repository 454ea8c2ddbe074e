// A test peer that speaks the P2P wire protocol from the test suite (as Bitcoin's
// P2PInterface): a raw, blocking TCP client on 127.0.0.0/8 that frames messages with the
// node's own framing (node/net/framing.h) and can send what an honest node never would: a
// wrong magic, a bad checksum, a length over the cap, bytes trickled one at a time.
// Message-level helpers (version, verack, getheaders, ...) build on send_message/receive.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "node/net/framing.h"
#include "node/p2p/message_type.h"

namespace step::test {

class P2pTestPeer {
  public:
    // Connects to 127.0.0.1:port. `source_host` (127.a.b.c) picks the local address, so tests
    // can appear to come from distinct netgroups. Check connected() afterwards.
    P2pTestPeer(uint16_t port, const node::net::Magic& magic,
                const std::string& source_host = "127.0.0.1");
    ~P2pTestPeer();
    P2pTestPeer(const P2pTestPeer&) = delete;
    P2pTestPeer& operator=(const P2pTestPeer&) = delete;

    bool connected() const { return fd_ >= 0; }
    const node::net::Magic& magic() const { return magic_; }

    // --- Frames, honest and broken (the bytes; send them with send_raw or send_trickle) ---
    std::string frame(node::p2p::MessageType type, std::string_view payload) const;
    std::string frame_with_wrong_magic(node::p2p::MessageType type, std::string_view payload) const;
    std::string frame_with_bad_checksum(node::p2p::MessageType type,
                                        std::string_view payload) const;
    // A header that declares `length` payload bytes (none follow): tests the cap before payload.
    std::string header_with_length(node::p2p::MessageType type, uint32_t length) const;
    // A header with a type number no message has.
    std::string frame_with_type(uint16_t wire_type, std::string_view payload) const;

    // --- Sending; false once the node has closed the connection ---
    bool send_message(node::p2p::MessageType type, std::string_view payload);
    bool send_raw(std::string_view bytes);
    // One byte, then `gap`, then the next: the slow-handshake attack. Stops at the first
    // failed write (the node hung up) and returns false then.
    bool send_trickle(std::string_view bytes, std::chrono::milliseconds gap);

    // --- Receiving ---
    // The next whole message from the node, or nullopt when none came within `timeout`, the
    // connection closed, or the node sent a malformed frame (last_error() says which).
    std::optional<node::net::Frame> receive(std::chrono::milliseconds timeout);
    // True once the node has closed the connection (within `timeout`); messages that arrive
    // meanwhile are discarded.
    bool wait_closed(std::chrono::milliseconds timeout);
    const std::string& last_error() const { return last_error_; }
    void close();

  private:
    // Reads what is available within `timeout` into the decoder; false on close or timeout.
    bool read_some(std::chrono::milliseconds timeout);

    node::net::Magic magic_;
    int fd_ = -1;
    node::net::FrameDecoder decoder_;
    std::string last_error_;
};

}  // namespace step::test
