// A FIFO where a regular file is expected, for the tests of start-up files (mempool.dat,
// peers.dat, .lock, debug.log, the config file). Code that opens it blocking would wait forever;
// while a FifoTrap lives, a thread keeps opening and closing its other end, so such code is
// released (it then sees an empty file) and its test fails instead of hanging.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

namespace step::test {

class FifoTrap {
public:
    explicit FifoTrap(std::string path) : path_(std::move(path)) {
        made_ = ::mkfifo(path_.c_str(), 0600) == 0;
        releaser_ = std::thread([this] {
            // Opening the other end never blocks here: with O_NONBLOCK a write open fails with
            // ENXIO until a reader waits, and a read open succeeds at once.
            while (!stop_) {
                for (int flags : {O_WRONLY, O_RDONLY}) {
                    const int fd = ::open(path_.c_str(), flags | O_NONBLOCK | O_CLOEXEC);
                    if (fd >= 0) ::close(fd);
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(200));
            }
        });
    }
    ~FifoTrap() {
        stop_ = true;
        releaser_.join();
    }
    FifoTrap(const FifoTrap&) = delete;
    FifoTrap& operator=(const FifoTrap&) = delete;

    bool made() const { return made_; }
    const std::string& path() const { return path_; }

private:
    std::string path_;
    bool made_ = false;
    std::atomic<bool> stop_{false};
    std::thread releaser_;
};

// True when `path` names a FIFO.
inline bool is_fifo(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 && S_ISFIFO(st.st_mode);
}

}  // namespace step::test
