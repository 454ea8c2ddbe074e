// A tiny blocking HTTP/1.1 client over POSIX sockets for tests: one request per connection,
// so tests talk to real servers without pulling Boost.Beast into every test binary.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

namespace step::test {

struct MiniResponse {
    int status = 0;  // 0 when the connection failed
    std::string body;
    std::string headers;
};

// A socket connected to 127.0.0.1:port (-1 on failure) whose reads give up after
// timeout_seconds: for tests that write raw HTTP (pipelined, malformed, slow).
inline int connect_loopback(uint16_t port, int timeout_seconds = 30) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    timeval tv{timeout_seconds, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// Everything the peer sends until it closes, or until a read times out (then `timed_out`).
inline std::string read_until_close(int fd, bool* timed_out = nullptr) {
    std::string raw;
    char buf[65536];
    for (;;) {
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n < 0 && timed_out) *timed_out = true;
        if (n <= 0) break;
        raw.append(buf, static_cast<size_t>(n));
    }
    return raw;
}

// What the peer sends until `want` has arrived (or it closes, or a read times out): for streams
// that stay open, such as Server-Sent Events.
inline std::string read_until(int fd, const std::string& want) {
    std::string got;
    char buf[4096];
    while (got.find(want) == std::string::npos) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        got.append(buf, static_cast<size_t>(n));
    }
    return got;
}

// Sends one request to 127.0.0.1:port and reads until the server closes. `auth` is a full
// Authorization header value ("Basic ..."), empty for none.
inline MiniResponse http_request(uint16_t port, const std::string& method,
                                 const std::string& target, const std::string& body = "",
                                 const std::string& auth = "", int timeout_seconds = 120) {
    MiniResponse out;
    const int fd = connect_loopback(port, timeout_seconds);
    if (fd < 0) return out;
    std::string req = method + " " + target +
                      " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                      "\r\nConnection: close\r\n";
    if (!auth.empty()) req += "Authorization: " + auth + "\r\n";
    if (method == "POST") req += "Content-Type: application/json\r\n";
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    size_t sent = 0;
    while (sent < req.size()) {
        ssize_t n = ::send(fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;  // the server may answer (413) before reading everything
        sent += static_cast<size_t>(n);
    }
    const std::string raw = read_until_close(fd);
    ::close(fd);
    auto header_end = raw.find("\r\n\r\n");
    if (raw.rfind("HTTP/1.", 0) != 0 || header_end == std::string::npos) return out;
    out.status = std::atoi(raw.c_str() + 9);
    out.headers = raw.substr(0, header_end);
    out.body = raw.substr(header_end + 4);
    return out;
}

// Writes `bytes` to 127.0.0.1:port in one write and returns all the server answers before it
// closes the connection ("" when it cannot connect).
inline std::string raw_exchange(uint16_t port, const std::string& bytes, int timeout_seconds = 30,
                                bool* timed_out = nullptr) {
    const int fd = connect_loopback(port, timeout_seconds);
    if (fd < 0) return "";
    ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    std::string raw = read_until_close(fd, timed_out);
    ::close(fd);
    return raw;
}

}  // namespace step::test
