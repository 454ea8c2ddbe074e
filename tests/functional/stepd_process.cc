#include "tests/functional/stepd_process.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/support/mini_http.h"

namespace step::test {

namespace {

std::string base64(const std::string& in) {
    static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
        out += {a[v >> 18], a[(v >> 12) & 63], a[(v >> 6) & 63], a[v & 63]};
    }
    if (i + 1 == in.size()) {
        uint32_t v = uint8_t(in[i]) << 16;
        out += {a[v >> 18], a[(v >> 12) & 63], '=', '='};
    } else if (i + 2 == in.size()) {
        uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
        out += {a[v >> 18], a[(v >> 12) & 63], a[(v >> 6) & 63], '='};
    }
    return out;
}

std::string stepd_path() {
    const char* dir = std::getenv("STEP_BIN_DIR");
    return std::string(dir ? dir : STEP_BINARY_DIR "/bin") + "/stepd";
}

}  // namespace

uint16_t free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

std::string make_temp_dir(const std::string& name) {
    auto dir = std::filesystem::temp_directory_path() /
               ("stepd-functional-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir.string();
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream os;
    os << in.rdbuf();
    return os.str();
}

void stop_cleanly(StepdProcess& node) {
    const int wstatus = node.stop(SIGTERM);
    CHECK(WIFEXITED(wstatus));
    CHECK(WEXITSTATUS(wstatus) == 0);
}

StepdProcess::StepdProcess(std::string root_dir, std::vector<std::string> extra_args)
    : root_(std::move(root_dir)), datadir_(root_ + "/data"), extra_args_(std::move(extra_args)) {}

StepdProcess::~StepdProcess() {
    if (pid_ > 0) stop(SIGKILL);
}

bool StepdProcess::start() {
    // The log lives in root_, which stepd does not create (only the datadir inside it).
    std::filesystem::create_directories(root_);
    for (int attempt = 0; attempt < 3; ++attempt) {  // a "free" port can be taken meanwhile
        port_ = free_port();
        p2p_port_ = free_port();  // parallel tests never share the devnet default 18444
        std::vector<std::string> args = {stepd_path(), "--network", "devnet", "--datadir", datadir_,
                                         "--rpc-bind", "127.0.0.1:" + std::to_string(port_), "--log-level", "info",
                                         "--p2p-bind", "127.0.0.1:" + std::to_string(p2p_port_)};
        args.insert(args.end(), extra_args_.begin(), extra_args_.end());
        const std::string log_path = root_ + "/stepd.log";
        pid_ = ::fork();
        if (pid_ == 0) {
            FILE* f = std::freopen(log_path.c_str(), "a", stderr);
            (void)f;
            ::dup2(2, 1);
            ::setenv("HOME", root_.c_str(), 1);
            for (const char* v : {"STEPD_NETWORK", "STEPD_DATADIR", "STEPD_RPC_BIND", "STEPD_MINE",
                                  "STEPD_MINER_ADDRESS", "STEPD_CONFIG", "STEPD_LOG_LEVEL", "STEPD_DEBUG_LOG",
                                  "STEPD_P2P_BIND", "STEPD_CONNECT", "STEPD_ADDNODE", "STEPD_MAX_CONNECTIONS",
                                  "STEPD_NO_LISTEN"})
                ::unsetenv(v);
            std::vector<char*> argv;
            for (auto& a : args) argv.push_back(a.data());
            argv.push_back(nullptr);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        // Bounded wait for readiness: 600 polls of 50 ms (30 s) before giving up.
        for (int i = 0; i < 600; ++i) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                start_exit_status_ = status;
                break;
            }
            if (http_request(port_, "GET", "/health/ready", "", "", 5).status == 200) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        if (pid_ > 0) stop(SIGKILL);
    }
    return false;
}

int StepdProcess::stop(int sig) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
}

int StepdProcess::wait_exit(int timeout_s) {
    if (pid_ <= 0) return -1;
    for (int i = 0; i < timeout_s * 20; ++i) {  // polls of 50 ms
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return status;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return -1;
}

std::string StepdProcess::log() const {
    std::ifstream in(root_ + "/stepd.log");
    std::ostringstream os;
    os << in.rdbuf();
    return os.str();
}

nlohmann::json StepdProcess::call(const std::string& method, const nlohmann::json& params, bool auth,
                                  int* http_status) const {
    std::string authorization;
    if (auth) {
        std::ifstream in(datadir_ + "/.cookie");
        std::string cookie;
        std::getline(in, cookie);
        authorization = "Basic " + base64(cookie);
    }
    nlohmann::json req = {{"jsonrpc", "2.0"}, {"id", 1}, {"method", method}, {"params", params}};
    auto res = http_request(port_, "POST", "/", req.dump(), authorization);
    if (http_status) *http_status = res.status;
    if (res.status == 0 || res.body.empty()) return nlohmann::json();
    return nlohmann::json::parse(res.body, nullptr, false);
}

nlohmann::json StepdProcess::result(const std::string& method, const nlohmann::json& params) const {
    auto r = call(method, params);
    INFO(method << " -> " << r.dump());
    REQUIRE(r.contains("result"));
    return r["result"];
}

}  // namespace step::test
