// The data directory's process-level files: the exclusive lock that stops two stepd sharing one
// datadir, and the RPC auth cookie (RPC_CONTRACT.md).
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace step::node {

// Holds an exclusive flock on <datadir>/.lock for its lifetime.
class DatadirLock {
public:
    DatadirLock() = default;
    ~DatadirLock();
    DatadirLock(DatadirLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
    DatadirLock& operator=(DatadirLock&& o) noexcept;
    DatadirLock(const DatadirLock&) = delete;
    DatadirLock& operator=(const DatadirLock&) = delete;
    bool held() const { return fd_ >= 0; }

private:
    friend Result<DatadirLock> lock_datadir(const std::string& datadir);
    int fd_ = -1;
};

// Creates the directory (and parents) when missing. Error "datadir-locked" when another process
// holds it, "datadir-io" on file-system errors.
Result<DatadirLock> lock_datadir(const std::string& datadir);

// Writes "<user>:<64 hex>" (fresh random secret) to <datadir>/.cookie with mode 0600 and returns
// the whole "user:secret" credential.
Result<std::string> write_cookie(const std::string& datadir);
void remove_cookie(const std::string& datadir);

// The cookie for as long as stepd serves RPC: written with a fresh secret by write(), removed by
// the destructor, so every way out of start-up or shut-down removes it.
class CookieFile {
public:
    static Result<CookieFile> write(const std::string& datadir);
    ~CookieFile();
    CookieFile(CookieFile&& o) noexcept;
    CookieFile& operator=(CookieFile&&) = delete;
    CookieFile(const CookieFile&) = delete;
    CookieFile& operator=(const CookieFile&) = delete;
    // "user:secret", what HTTP Basic auth must carry.
    const std::string& credential() const { return credential_; }

private:
    CookieFile(std::string datadir, std::string credential)
        : datadir_(std::move(datadir)), credential_(std::move(credential)) {}
    std::string datadir_;  // empty once moved from: nothing to remove
    std::string credential_;
};

// True when an HTTP Authorization header is "Basic base64(credential)"; constant-time compare.
bool basic_auth_matches(std::string_view authorization_header, std::string_view credential);

std::string base64_encode(std::string_view data);

}  // namespace step::node
