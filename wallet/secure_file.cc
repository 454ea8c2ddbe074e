#include "wallet/secure_file.h"
#include "wallet/errors.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

namespace step::wallet {
namespace {

namespace fs = std::filesystem;

Status io_error(const std::string& what, const std::string& path, int err) {
    return Status::error(codes::kIoError, what + " '" + path + "': " + std::strerror(err));
}

// Makes a rename or link durable: fsync the directory that holds the entry.
void sync_parent_dir(const std::string& path) {
    std::string dir = fs::path(path).parent_path().string();
    if (dir.empty()) dir = ".";
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    ::fsync(fd);
    ::close(fd);
}

}  // namespace

Status ensure_private_dir(const std::string& dir) {
    fs::path p(dir);
    fs::path built;
    for (const auto& part : p) {
        built /= part;
        if (::mkdir(built.c_str(), 0700) != 0 && errno != EEXIST)
            return io_error("cannot create directory", built.string(), errno);
    }
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        return Status::error(codes::kIoError, "'" + dir + "' is not a directory");
    return Status();
}

bool is_temp_file_name(const std::string& file_name) {
    return !file_name.empty() && file_name[0] == '.' &&
           file_name.find(".tmp-") != std::string::npos;
}

Result<std::string> write_temp_file(const std::string& path, const std::string& data,
                                    mode_t mode) {
    static std::atomic<unsigned> counter{0};
    fs::path target(path);
    std::string temp = (target.parent_path() / ("." + target.filename().string() + ".tmp-" +
                                                std::to_string(::getpid()) + "-" +
                                                std::to_string(counter++)))
                           .string();
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) return io_error("cannot create", temp, errno);
    // The umask may have cleared bits of `mode`; set exactly what was asked.
    if (::fchmod(fd, mode) != 0) {
        int err = errno;
        ::close(fd);
        ::unlink(temp.c_str());
        return io_error("cannot set mode of", temp, err);
    }
    size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            int err = errno;
            ::close(fd);
            ::unlink(temp.c_str());
            return io_error("cannot write", temp, err);
        }
        done += static_cast<size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        int err = errno;
        ::unlink(temp.c_str());
        return io_error("cannot sync", temp, err);
    }
    return temp;
}

Status commit_temp_file(const std::string& temp_path, const std::string& path,
                        WriteMode write_mode) {
    if (write_mode == WriteMode::kCreateNew) {
        // link(2) fails if the name exists, so two writers cannot both win.
        if (::link(temp_path.c_str(), path.c_str()) != 0) {
            int err = errno;
            ::unlink(temp_path.c_str());
            if (err == EEXIST)
                return Status::error(codes::kFileExists, "'" + path + "' already exists");
            return io_error("cannot create", path, err);
        }
        ::unlink(temp_path.c_str());
    } else if (::rename(temp_path.c_str(), path.c_str()) != 0) {
        int err = errno;
        ::unlink(temp_path.c_str());
        return io_error("cannot replace", path, err);
    }
    sync_parent_dir(path);
    return Status();
}

Status atomic_write_file(const std::string& path, const std::string& data, mode_t mode,
                         WriteMode write_mode) {
    auto temp = write_temp_file(path, data, mode);
    if (!temp.ok()) return temp.status();
    return commit_temp_file(*temp, path, write_mode);
}

Result<Exposure> exposure_of(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return Status::error(codes::kFileNotFound, "'" + path + "' not found");
        return io_error("cannot stat", path, errno);
    }
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) return Exposure::kWritableByOthers;
    if ((st.st_mode & (S_IRGRP | S_IROTH)) != 0) return Exposure::kReadableByOthers;
    return Exposure::kPrivate;
}

std::string exposure_text(const std::string& what, const std::string& path, Exposure exposure) {
    struct stat st {};
    char mode[8] = "?";
    if (::stat(path.c_str(), &st) == 0)
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return what + " '" + path + "' is " + (exposure == Exposure::kWritableByOthers ? "writable" : "readable") +
           " by group or others (mode " + mode + ")";
}

Result<std::string> read_small_file(const std::string& path, size_t max_bytes) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return Status::error(codes::kFileNotFound, "'" + path + "' not found");
        return io_error("cannot open", path, errno);
    }
    std::string out;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int err = errno;
            ::close(fd);
            return io_error("cannot read", path, err);
        }
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
        if (out.size() > max_bytes) {
            ::close(fd);
            return Status::error(codes::kFileTooLarge, "'" + path + "' is larger than expected");
        }
    }
    ::close(fd);
    return out;
}

}  // namespace step::wallet
