#include "node/record_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "common/hash.h"
#include "node/log.h"
#include "node/regular_file.h"

namespace step::node {

namespace {

Status io_error(const RecordFileFormat& format, const std::string& what, const std::string& path) {
    return Status::error(format.codes.io, what + " " + path + ": " + std::strerror(errno));
}

Status too_large(const RecordFileFormat& format, uint64_t size) {
    return Status::error(format.codes.too_large, std::to_string(size) + " bytes, more than the " +
                                                     std::to_string(format.max_file_bytes) + " a " +
                                                     std::string(format.name) + " file can hold");
}

bool write_all(int fd, const uint8_t* data, size_t size) {
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data += n;
        size -= static_cast<size_t>(n);
    }
    return true;
}

// The header and checksum of `file`: body_len and count on success.
Status check_envelope(ByteSpan file, const RecordFileFormat& f, uint64_t& count,
                      uint64_t& body_len) {
    const auto& c = f.codes;
    if (file.size() > f.max_file_bytes) return too_large(f, file.size());
    // The magic first, on whatever prefix exists: a foreign file is named as such, not "truncated".
    const size_t magic_seen = std::min(file.size(), kRecordFileMagicBytes);
    if (!std::equal(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(magic_seen),
                    f.magic.begin()))
        return Status::error(c.magic, "not a " + std::string(f.name) + " file (bad magic)");
    if (file.size() < kRecordFileHeaderBytes)
        return Status::error(
            c.truncated,
            "file ends inside its " + std::to_string(kRecordFileHeaderBytes) + "-byte header");
    // The header is all there (checked above), so these reads cannot fail.
    ByteReader header(file.subspan(kRecordFileMagicBytes));
    uint32_t version = 0;
    header.read_u32le(version);
    header.read_u64le(count);
    header.read_u64le(body_len);
    if (version != f.version)
        return Status::error(c.version, "version " + std::to_string(version) +
                                            ", this node reads " + std::to_string(f.version));
    if (body_len > f.max_file_bytes)  // also keeps the sums below from overflowing
        return Status::error(c.too_large,
                             "declares " + std::to_string(body_len) + " bytes of records");
    const size_t expected = kRecordFileHeaderBytes + body_len + kRecordFileChecksumBytes;
    if (file.size() < expected)
        return Status::error(c.truncated, std::to_string(file.size()) +
                                              " bytes, the header declares " +
                                              std::to_string(expected));
    if (file.size() > expected)
        return Status::error(c.trailing_data,
                             std::to_string(file.size() - expected) + " bytes after the checksum");
    const size_t content = kRecordFileHeaderBytes + body_len;
    const Hash256 sum = sha256(file.first(content));
    if (!std::equal(sum.begin(), sum.end(), file.begin() + static_cast<std::ptrdiff_t>(content)))
        return Status::error(c.checksum, "checksum mismatch: the file is damaged");
    return Status();
}

}  // namespace

Bytes encode_record_file(const RecordFileFormat& format, const std::vector<Bytes>& records) {
    Bytes body;
    for (const Bytes& r : records) append_bytes_u32(body, r);
    Bytes file(format.magic.begin(), format.magic.end());
    append_u32le(file, format.version);
    append_u64le(file, records.size());
    append_u64le(file, body.size());
    append_bytes(file, body);
    append_hash(file, sha256(file));
    return file;
}

Result<std::vector<Bytes>> decode_record_file(ByteSpan file, const RecordFileFormat& format) {
    uint64_t count = 0, body_len = 0;
    STEP_TRY(check_envelope(file, format, count, body_len));
    // From here the bytes are as written; these checks only catch a wrong writer.
    const ErrorCode& malformed = format.codes.malformed;
    if (count > body_len / (kRecordFileRecordHeaderBytes + 1))
        return Status::error(malformed,
                             "count " + std::to_string(count) + " cannot fit the records");
    std::vector<Bytes> records;
    records.reserve(count);
    ByteReader body(file.subspan(kRecordFileHeaderBytes, body_len));
    for (uint64_t i = 0; i < count; ++i) {
        uint32_t len = 0;
        if (!body.read_u32le(len))
            return Status::error(malformed,
                                 "record " + std::to_string(i) + " starts past the records");
        if (len > format.max_record_bytes)
            return Status::error(malformed, "record " + std::to_string(i) + " is " +
                                                std::to_string(len) +
                                                " bytes, more than a record may be (" +
                                                std::to_string(format.max_record_bytes) + ")");
        ByteSpan record;
        if (!body.read_span(len, record))
            return Status::error(malformed,
                                 "record " + std::to_string(i) + " runs past the records");
        records.emplace_back(record.begin(), record.end());
    }
    if (!body.done())
        return Status::error(malformed,
                             std::to_string(body.remaining()) + " bytes after the last record");
    return records;
}

Status write_file_atomically(const std::string& path, ByteSpan file,
                             const RecordFileFormat& format) {
    const std::string tmp = path + ".tmp";
    // A fresh file, never whatever bears the name: opening a FIFO left there would block.
    ::unlink(tmp.c_str());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return io_error(format, "cannot create", tmp);
    // fsync before rename: otherwise a power cut can leave the new name on unwritten blocks.
    if (!write_all(fd, file.data(), file.size()) || ::fsync(fd) != 0) {
        Status s = io_error(format, "cannot write", tmp);
        ::close(fd);
        ::unlink(tmp.c_str());
        return s;
    }
    if (::close(fd) != 0) {
        Status s = io_error(format, "cannot close", tmp);
        ::unlink(tmp.c_str());
        return s;
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        Status s = io_error(format, "cannot rename into", path);
        ::unlink(tmp.c_str());
        return s;
    }
    // The rename itself is durable only once the directory entry is synced.
    std::string dir = std::filesystem::path(path).parent_path().string();
    if (dir.empty()) dir = ".";
    int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return io_error(format, "cannot open directory", dir);
    const bool synced = ::fsync(dfd) == 0;
    Status s = synced ? Status() : io_error(format, "cannot sync directory", dir);
    ::close(dfd);
    return s;
}

Result<std::vector<Bytes>> read_record_file(const std::string& path,
                                            const RecordFileFormat& format) {
    const OpenedFile opened = open_regular_file(path, O_RDONLY);
    if (opened.missing()) return Status::error(format.codes.missing, "no " + path);
    if (!opened.ok())
        return Status::error(format.codes.io, "cannot open " + path + ": " + opened.why());
    const int fd = opened.fd;
    if (opened.size > format.max_file_bytes) {
        ::close(fd);
        return too_large(format, opened.size);
    }
    Bytes file;
    // A file that shrank since it was opened is read short: decode reports it as truncated.
    const bool read = read_up_to(fd, static_cast<size_t>(opened.size), file);
    Status failed = read ? Status() : io_error(format, "cannot read", path);
    ::close(fd);
    STEP_TRY(failed);
    return decode_record_file(file, format);
}

RecordFileLoad load_record_file(const std::string& path, const RecordFileFormat& format,
                                std::string_view empty_what, const RecordCheck& check) {
    RecordFileLoad load;
    auto records = read_record_file(path, format);
    Status why = records.status();
    if (records.ok() && check) why = check(*records);
    if (why.ok()) {
        load.loaded = true;
        load.records = std::move(*records);
        return load;
    }
    if (why.is(format.codes.missing)) {
        log_info("no ", std::filesystem::path(path).filename().string(), ": starting with ",
                 empty_what);
        return load;
    }
    load.file_status = why;
    // Moved aside, not deleted: the operator can look at it, and the next save cannot
    // overwrite it with an empty one.
    const std::string bad = path + std::string(kBadFileSuffix);
    const bool moved = std::rename(path.c_str(), bad.c_str()) == 0;
    log_warn("ignoring ", path, ": ", why.to_string(), "; ",
             moved ? "moved to " + bad : "could not move it aside", "; starting with ", empty_what);
    return load;
}

}  // namespace step::node
