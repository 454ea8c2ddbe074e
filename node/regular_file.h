// Opening the files stepd reads or appends to at start (mempool.dat, peers.dat, the config file,
// .lock, debug.log) without ever waiting on them: a FIFO, device, socket or directory that bears
// one of their names is refused at once, never read from (docs/node.md "Data directory"). Opening
// a FIFO for reading blocks until a writer appears, so the check must come before any blocking
// open: the file is opened with O_NONBLOCK, checked with fstat, and only then put back in
// blocking mode.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "common/bytes.h"

namespace step::node {

// What open_regular_file found. On success fd >= 0 (the caller closes it) and size is the
// file's size; otherwise fd is -1 and either not_regular is set or error holds the errno.
struct OpenedFile {
    int fd = -1;
    uint64_t size = 0;
    bool not_regular = false;  // the name exists but is no regular file: refused unused
    const char* kind = "";     // when not_regular: "a FIFO", "a directory", "a device", ...
    int error = 0;             // errno of the failed open or fstat (ENOENT: no such file)

    bool ok() const { return fd >= 0; }
    bool missing() const;
    // Why it failed, for a log line: "not a regular file (a FIFO)" or strerror(error).
    std::string why() const;
};

// Opens `path` with `flags` (O_RDONLY, O_RDWR | O_CREAT, ...; O_NONBLOCK, O_NOCTTY and
// O_CLOEXEC are added) and `mode` for a created file, and keeps it only if it is a regular file.
OpenedFile open_regular_file(const std::string& path, int flags, mode_t mode = 0600);

// Reads `size` bytes from `fd` into `out`, fewer when the file ends first (it shrank since it
// was opened). False on a read error, with errno set.
bool read_up_to(int fd, size_t size, Bytes& out);

}  // namespace step::node
