#include "node/regular_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace step::node {
namespace {

const char* kind_of(mode_t mode) {
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISSOCK(mode)) return "a socket";
    if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
    return "another kind of file";
}

}  // namespace

bool OpenedFile::missing() const {
    return !ok() && !not_regular && error == ENOENT;
}

std::string OpenedFile::why() const {
    if (not_regular) return std::string("not a regular file (") + kind + ")";
    return std::strerror(error);
}

OpenedFile open_regular_file(const std::string& path, int flags, mode_t mode) {
    OpenedFile out;
    // O_NONBLOCK: opening a FIFO must not wait for its other end. O_NOCTTY: a terminal device
    // never becomes our controlling terminal.
    const int fd = ::open(path.c_str(), flags | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, mode);
    if (fd < 0) {
        out.error = errno;
        // A directory opened for writing fails (EISDIR), so does a FIFO opened for writing
        // without a reader (ENXIO): say what the name is rather than the errno.
        struct stat st {};
        if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
            out.not_regular = true;
            out.kind = kind_of(st.st_mode);
        }
        return out;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        out.error = errno;
        ::close(fd);
        return out;
    }
    if (!S_ISREG(st.st_mode)) {
        out.not_regular = true;
        out.kind = kind_of(st.st_mode);
        ::close(fd);
        return out;
    }
    // Back to blocking reads and writes (O_NONBLOCK changes nothing for a regular file, but
    // keeps the descriptor what its user expects).
    const int fl = ::fcntl(fd, F_GETFL);
    if (fl >= 0) ::fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    out.fd = fd;
    out.size = static_cast<uint64_t>(st.st_size);
    return out;
}

bool read_up_to(int fd, size_t size, Bytes& out) {
    out.resize(size);
    size_t got = 0;
    while (got < size) {
        const ssize_t n = ::read(fd, out.data() + got, size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return false;
        if (n == 0) break;
        got += static_cast<size_t>(n);
    }
    out.resize(got);
    return true;
}

}  // namespace step::node
