// A one-shot HTTP server on 127.0.0.1 for client tests: a real socket, a canned answer.
// It accepts one connection, records the raw request, writes `response` and closes.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <string>
#include <thread>

namespace step::wallet::testing {

class LoopbackHttpServer {
public:
    explicit LoopbackHttpServer(std::string response) : response_(std::move(response)) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = 0;
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
            ::listen(fd_, 1) != 0)
            throw std::runtime_error("cannot listen on loopback");
        socklen_t len = sizeof addr;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        thread_ = std::thread([this] { serve_one(); });
    }
    ~LoopbackHttpServer() {
        ::shutdown(fd_, SHUT_RDWR);
        if (thread_.joinable()) thread_.join();
        ::close(fd_);
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    // The raw request; call after the client returned.
    std::string request() {
        if (thread_.joinable()) thread_.join();
        return request_;
    }

    // An HTTP response with a JSON body.
    static std::string json_response(const std::string& body, int status = 200,
                                     const char* reason = "OK") {
        return "HTTP/1.1 " + std::to_string(status) + " " + reason +
               "\r\nContent-Type: application/json\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    }

private:
    void serve_one() {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        char buf[4096];
        size_t body_len = 0;
        for (;;) {
            ssize_t n = ::read(c, buf, sizeof buf);
            if (n <= 0) break;
            request_.append(buf, static_cast<size_t>(n));
            size_t end = request_.find("\r\n\r\n");
            if (end == std::string::npos) continue;
            size_t cl = request_.find("Content-Length: ");
            if (cl != std::string::npos) body_len = std::stoul(request_.substr(cl + 16));
            if (request_.size() >= end + 4 + body_len) break;
        }
        size_t done = 0;
        while (done < response_.size()) {
            ssize_t n = ::write(c, response_.data() + done, response_.size() - done);
            if (n <= 0) break;
            done += static_cast<size_t>(n);
        }
        ::close(c);
    }

    std::string response_;
    std::string request_;
    int fd_ = -1;
    int port_ = 0;
    std::thread thread_;
};

// A loopback port that nothing listens on (bound, then released).
inline int unused_loopback_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

}  // namespace step::wallet::testing
