// A small HTTP server on 127.0.0.1 for client tests: a real socket, scripted answers. It serves
// one request per connection (as the client makes them), records each raw request and writes
// what the handler returns, until destroyed.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace step::wallet::testing {

class LoopbackHttpServer {
public:
    using Handler = std::function<std::string(const std::string& raw_request)>;

    // Answers every request with the same response.
    explicit LoopbackHttpServer(std::string response)
        : LoopbackHttpServer(Handler([response](const std::string&) { return response; })) {}

    explicit LoopbackHttpServer(Handler handler) : handler_(std::move(handler)) {
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
        thread_ = std::thread([this] {
            while (serve_one()) {
            }
        });
    }
    ~LoopbackHttpServer() {
        ::shutdown(fd_, SHUT_RDWR);
        if (thread_.joinable()) thread_.join();
        ::close(fd_);
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    // The first raw request; call after the client returned.
    std::string request() {
        std::lock_guard<std::mutex> lock(mu_);
        return requests_.empty() ? std::string() : requests_.front();
    }
    std::vector<std::string> requests() {
        std::lock_guard<std::mutex> lock(mu_);
        return requests_;
    }

    // An HTTP response with a JSON body.
    static std::string json_response(const std::string& body, int status = 200,
                                     const char* reason = "OK") {
        return "HTTP/1.1 " + std::to_string(status) + " " + reason +
               "\r\nContent-Type: application/json\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    }

private:
    // False once the listening socket is shut down.
    bool serve_one() {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return false;
        std::string request;
        char buf[4096];
        size_t body_len = 0;
        for (;;) {
            ssize_t n = ::read(c, buf, sizeof buf);
            if (n <= 0) break;
            request.append(buf, static_cast<size_t>(n));
            size_t end = request.find("\r\n\r\n");
            if (end == std::string::npos) continue;
            size_t cl = request.find("Content-Length: ");
            if (cl != std::string::npos) body_len = std::stoul(request.substr(cl + 16));
            if (request.size() >= end + 4 + body_len) break;
        }
        {
            std::lock_guard<std::mutex> lock(mu_);
            requests_.push_back(request);
        }
        std::string response = handler_(request);
        size_t done = 0;
        while (done < response.size()) {
            ssize_t n = ::write(c, response.data() + done, response.size() - done);
            if (n <= 0) break;
            done += static_cast<size_t>(n);
        }
        ::close(c);
        return true;
    }

    Handler handler_;
    std::mutex mu_;
    std::vector<std::string> requests_;
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
