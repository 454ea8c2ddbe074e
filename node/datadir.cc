#include "node/datadir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <utility>

#include "common/bytes.h"
#include "common/rpc_methods.h"
#include "node/errors.h"
#include "node/regular_file.h"

namespace step::node {

DatadirLock::~DatadirLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

DatadirLock& DatadirLock::operator=(DatadirLock&& o) noexcept {
    if (this != &o) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = o.fd_;
        o.fd_ = -1;
    }
    return *this;
}

Result<DatadirLock> lock_datadir(const std::string& datadir) {
    std::error_code ec;
    std::filesystem::create_directories(datadir, ec);
    if (ec) return Status::error(codes::kDatadirIo, "cannot create " + datadir + ": " + ec.message());
    const std::string path = datadir + "/.lock";
    const OpenedFile opened = open_regular_file(path, O_RDWR | O_CREAT);
    if (!opened.ok()) return Status::error(codes::kDatadirIo, "cannot open " + path + ": " + opened.why());
    const int fd = opened.fd;
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        ::close(fd);
        return Status::error(codes::kDatadirLocked,
                             "data directory " + datadir + " is in use by another stepd");
    }
    DatadirLock lock;
    lock.fd_ = fd;
    return lock;
}

Result<std::string> write_cookie(const std::string& datadir) {
    uint8_t secret[32];
    {
        std::ifstream urandom("/dev/urandom", std::ios::binary);
        if (!urandom.read(reinterpret_cast<char*>(secret), sizeof secret))
            return Status::error(codes::kDatadirIo, "cannot read /dev/urandom");
    }
    const std::string credential = std::string(rpc::kCookieUser) + ":" + to_hex(ByteSpan(secret, sizeof secret));
    const std::string path = datadir + "/" + rpc::kCookieFileName;
    const std::string tmp = path + ".tmp";
    ::unlink(tmp.c_str());
    // Created 0600 from the start: the secret is never readable by others, even briefly.
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return Status::error(codes::kDatadirIo, "cannot write " + tmp + ": " + std::strerror(errno));
    bool ok = ::write(fd, credential.data(), credential.size()) == static_cast<ssize_t>(credential.size());
    ok = ::fchmod(fd, 0600) == 0 && ok;
    ok = ::close(fd) == 0 && ok;
    if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0)
        return Status::error(codes::kDatadirIo, "cannot write cookie " + path);
    return credential;
}

void remove_cookie(const std::string& datadir) {
    const std::string path = datadir + "/" + rpc::kCookieFileName;
    ::unlink(path.c_str());
}

Result<CookieFile> CookieFile::write(const std::string& datadir) {
    auto credential = write_cookie(datadir);
    if (!credential.ok()) return credential.status();
    return CookieFile(datadir, std::move(*credential));
}

CookieFile::CookieFile(CookieFile&& o) noexcept
    : datadir_(std::exchange(o.datadir_, {})), credential_(std::move(o.credential_)) {}

CookieFile::~CookieFile() {
    if (!datadir_.empty()) remove_cookie(datadir_);
}

std::string base64_encode(std::string_view data) {
    static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    size_t i = 0;
    for (; i + 2 < data.size(); i += 3) {
        uint32_t v = (uint8_t(data[i]) << 16) | (uint8_t(data[i + 1]) << 8) | uint8_t(data[i + 2]);
        out += kAlphabet[v >> 18];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
        out += kAlphabet[v & 63];
    }
    if (i + 1 == data.size()) {
        uint32_t v = uint8_t(data[i]) << 16;
        out += kAlphabet[v >> 18];
        out += kAlphabet[(v >> 12) & 63];
        out += "==";
    } else if (i + 2 == data.size()) {
        uint32_t v = (uint8_t(data[i]) << 16) | (uint8_t(data[i + 1]) << 8);
        out += kAlphabet[v >> 18];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
        out += '=';
    }
    return out;
}

bool basic_auth_matches(std::string_view header, std::string_view credential) {
    // The scheme name is case-insensitive (RFC 9110 section 11.1), then one or more spaces.
    constexpr std::string_view kScheme = "basic";
    if (header.size() <= kScheme.size() || header[kScheme.size()] != ' ') return false;
    for (size_t i = 0; i < kScheme.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return false;
    std::string_view given = header.substr(kScheme.size());
    while (!given.empty() && given.front() == ' ') given.remove_prefix(1);
    while (!given.empty() && given.back() == ' ') given.remove_suffix(1);
    const std::string expected = base64_encode(credential);
    if (given.size() != expected.size()) return false;
    unsigned diff = 0;
    for (size_t i = 0; i < given.size(); ++i) diff |= uint8_t(given[i]) ^ uint8_t(expected[i]);
    return diff == 0;
}

}  // namespace step::node
