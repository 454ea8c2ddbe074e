#include "tests/functional/p2p_test_peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace step::test {

using node::net::Frame;
using node::p2p::MessageType;

namespace {

void set_le(std::string& s, size_t at, uint64_t v, size_t width) {
    for (size_t i = 0; i < width; ++i) s[at + i] = static_cast<char>(v >> (8 * i));
}

sockaddr_in loopback_address(const std::string& host, uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    ::inet_pton(AF_INET, host.c_str(), &a.sin_addr);
    return a;
}

}  // namespace

P2pTestPeer::P2pTestPeer(uint16_t port, const node::net::Magic& magic,
                         const std::string& source_host)
    : magic_(magic), decoder_(magic) {
    // The node's messages are read whatever the handshake state: the test judges them itself.
    decoder_.set_handshake_done();
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return;
    const sockaddr_in local = loopback_address(source_host, 0);
    const sockaddr_in remote = loopback_address("127.0.0.1", port);
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one,
                 sizeof one);  // a trickle is one byte a segment
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0 ||
        ::connect(fd_, reinterpret_cast<const sockaddr*>(&remote), sizeof remote) != 0) {
        last_error_ = std::string("connect: ") + std::strerror(errno);
        close();
    }
}

P2pTestPeer::~P2pTestPeer() {
    close();
}

void P2pTestPeer::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

std::string P2pTestPeer::frame(MessageType type, std::string_view payload) const {
    return node::net::encode_frame(magic_, type, payload);
}

std::string P2pTestPeer::frame_with_wrong_magic(MessageType type, std::string_view payload) const {
    std::string f = frame(type, payload);
    for (size_t i = 0; i < magic_.size(); ++i) f[i] = static_cast<char>(~f[i]);
    return f;
}

std::string P2pTestPeer::frame_with_bad_checksum(MessageType type, std::string_view payload) const {
    std::string f = frame(type, payload);
    f[node::net::kFrameChecksumOffset] = static_cast<char>(f[node::net::kFrameChecksumOffset] ^ 1);
    return f;
}

std::string P2pTestPeer::header_with_length(MessageType type, uint32_t length) const {
    std::string f = frame(type, "");
    set_le(f, node::net::kFrameLengthOffset, length, 4);
    return f;
}

std::string P2pTestPeer::frame_with_type(uint16_t wire_type, std::string_view payload) const {
    std::string f = frame(MessageType::kPing, payload);
    set_le(f, node::net::kFrameTypeOffset, wire_type, 2);
    return f;
}

bool P2pTestPeer::send_message(MessageType type, std::string_view payload) {
    return send_raw(frame(type, payload));
}

bool P2pTestPeer::send_raw(std::string_view bytes) {
    while (fd_ >= 0 && !bytes.empty()) {
        const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            last_error_ = std::string("send: ") + std::strerror(errno);
            return false;
        }
        bytes.remove_prefix(static_cast<size_t>(n));
    }
    return fd_ >= 0;
}

bool P2pTestPeer::send_trickle(std::string_view bytes, std::chrono::milliseconds gap) {
    for (size_t i = 0; i < bytes.size(); ++i) {
        if (i > 0) std::this_thread::sleep_for(gap);
        if (!send_raw(bytes.substr(i, 1))) return false;
    }
    return true;
}

bool P2pTestPeer::read_some(std::chrono::milliseconds timeout) {
    if (fd_ < 0) return false;
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (ready <= 0) return false;
    char buf[64 * 1024];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
        last_error_ = n == 0 ? "closed by the node" : std::string("recv: ") + std::strerror(errno);
        close();
        return false;
    }
    decoder_.feed(std::string_view(buf, static_cast<size_t>(n)));
    return true;
}

std::optional<Frame> P2pTestPeer::receive(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto next = decoder_.next();
        if (!next.ok()) {
            last_error_ = next.status().to_string();
            return std::nullopt;
        }
        if (*next) return std::move(**next);
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0 || !read_some(left)) return std::nullopt;
    }
}

bool P2pTestPeer::wait_closed(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (fd_ >= 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        read_some(left);
        decoder_ = node::net::FrameDecoder(magic_);  // what the node sent meanwhile is not kept
        decoder_.set_handshake_done();
    }
    return true;
}

}  // namespace step::test
