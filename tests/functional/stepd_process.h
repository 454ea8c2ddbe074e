// Starts and drives a real stepd process for functional tests: fork/exec with its own HOME and
// datadir, bounded polling of /health/ready, JSON-RPC calls with or without the cookie.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <sys/types.h>
#include <vector>

namespace step::test {

// A port that was free a moment ago on 127.0.0.1 (bind to 0, read it, close).
uint16_t free_port();
// A fresh empty directory under the temp dir.
std::string make_temp_dir(const std::string& name);
// The whole file as bytes ("" when it cannot be read).
std::string read_file(const std::string& path);

class StepdProcess {
public:
    StepdProcess(std::string root_dir, std::vector<std::string> extra_args = {});
    ~StepdProcess();  // SIGKILLs a process still running

    // Starts stepd and waits (bounded) until /health/ready answers 200. False on timeout or exit.
    bool start();
    // Sends sig and waits for exit; returns the raw wait status.
    int stop(int sig);
    // Waits (bounded) for a process that stops by itself; its raw wait status, -1 on timeout.
    int wait_exit(int timeout_s);
    // The raw wait status of the last process that exited during start() (-1: none did).
    int start_exit_status() const { return start_exit_status_; }
    bool running() const { return pid_ > 0; }
    pid_t pid() const { return pid_; }

    uint16_t port() const { return port_; }
    // Where the node accepts peers (127.0.0.1, a free port chosen at start).
    uint16_t p2p_port() const { return p2p_port_; }
    const std::string& datadir() const { return datadir_; }
    std::string log() const;

    // POSTs one JSON-RPC call; auth uses the datadir's cookie. Returns the whole response object
    // and the HTTP status.
    nlohmann::json call(const std::string& method, const nlohmann::json& params, bool auth = true,
                        int* http_status = nullptr) const;
    // The result of a call that must succeed (fails the test otherwise).
    nlohmann::json result(const std::string& method, const nlohmann::json& params = nlohmann::json::object()) const;

private:
    std::string root_;
    std::string datadir_;
    std::vector<std::string> extra_args_;
    uint16_t port_ = 0;
    uint16_t p2p_port_ = 0;
    pid_t pid_ = -1;
    int start_exit_status_ = -1;
};

// Stops `node` with SIGTERM and checks that it exited 0 (a clean shutdown saves its files).
void stop_cleanly(StepdProcess& node);

}  // namespace step::test
