#include "node/mempool_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/hash.h"
#include "consensus/encoding.h"
#include "consensus/proto/chain.pb.h"

namespace step::node {

namespace {

constexpr uint8_t kMagic[kMempoolFileMagicBytes] = {'S', 'T', 'E', 'P', 'M', 'P', 'L', 0};

uint64_t read_le(ByteSpan b, size_t at, size_t width) {
    uint64_t v = 0;
    for (size_t i = 0; i < width; ++i) v |= static_cast<uint64_t>(b[at + i]) << (8 * i);
    return v;
}

Status io_error(const std::string& what, const std::string& path) {
    return Status::error("mempool-file-io", what + " " + path + ": " + std::strerror(errno));
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

}  // namespace

size_t max_mempool_file_bytes(const MempoolFileLimits& limits) {
    const size_t max_records = limits.max_pool_bytes / kMempoolFileMinTxBytes;
    return kMempoolFileHeaderBytes + limits.max_pool_bytes + max_records * kMempoolFileRecordHeaderBytes +
           kMempoolFileChecksumBytes;
}

Bytes encode_mempool_file(const std::vector<pb::Transaction>& txs) {
    Bytes body;
    for (const auto& tx : txs) {
        const Bytes raw = consensus::encode_tx(tx);
        append_u32le(body, static_cast<uint32_t>(raw.size()));
        body.insert(body.end(), raw.begin(), raw.end());
    }
    Bytes file(kMagic, kMagic + kMempoolFileMagicBytes);
    append_u32le(file, kMempoolFileVersion);
    append_u64le(file, txs.size());
    append_u64le(file, body.size());
    file.insert(file.end(), body.begin(), body.end());
    const Hash256 sum = sha256(file);
    file.insert(file.end(), sum.begin(), sum.end());
    return file;
}

Result<std::vector<Bytes>> decode_mempool_file(ByteSpan file, const MempoolFileLimits& limits) {
    const size_t max_file = max_mempool_file_bytes(limits);
    if (file.size() > max_file)
        return Status::error("mempool-file-too-large", std::to_string(file.size()) + " bytes, more than the " +
                                                           std::to_string(max_file) + " a full mempool can write");
    // The magic first, on whatever prefix exists: a foreign file is named as such, not "truncated".
    const size_t magic_seen = std::min(file.size(), kMempoolFileMagicBytes);
    if (!std::equal(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(magic_seen), kMagic))
        return Status::error("mempool-file-magic", "not a mempool file (bad magic)");
    if (file.size() < kMempoolFileHeaderBytes)
        return Status::error("mempool-file-truncated", "file ends inside its " +
                                                           std::to_string(kMempoolFileHeaderBytes) + "-byte header");
    const uint64_t version = read_le(file, kMempoolFileMagicBytes, 4);
    if (version != kMempoolFileVersion)
        return Status::error("mempool-file-version", "version " + std::to_string(version) + ", this node reads " +
                                                         std::to_string(kMempoolFileVersion));
    const uint64_t count = read_le(file, kMempoolFileMagicBytes + 4, 8);
    const uint64_t body_len = read_le(file, kMempoolFileMagicBytes + 12, 8);
    if (body_len > max_file)  // also keeps the sums below from overflowing
        return Status::error("mempool-file-too-large", "declares " + std::to_string(body_len) + " bytes of records");
    const size_t expected = kMempoolFileHeaderBytes + body_len + kMempoolFileChecksumBytes;
    if (file.size() < expected)
        return Status::error("mempool-file-truncated", std::to_string(file.size()) + " bytes, the header declares " +
                                                           std::to_string(expected));
    if (file.size() > expected)
        return Status::error("mempool-file-trailing-data", std::to_string(file.size() - expected) +
                                                               " bytes after the checksum");
    const size_t content = kMempoolFileHeaderBytes + body_len;
    const Hash256 sum = sha256(file.first(content));
    if (!std::equal(sum.begin(), sum.end(), file.begin() + static_cast<std::ptrdiff_t>(content)))
        return Status::error("mempool-file-checksum", "checksum mismatch: the file is damaged");

    // From here the bytes are as written; these checks only catch a wrong writer.
    if (count > body_len / (kMempoolFileRecordHeaderBytes + 1))
        return Status::error("mempool-file-malformed", "count " + std::to_string(count) + " cannot fit the records");
    std::vector<Bytes> records;
    records.reserve(count);
    size_t at = kMempoolFileHeaderBytes;
    for (uint64_t i = 0; i < count; ++i) {
        if (content - at < kMempoolFileRecordHeaderBytes)
            return Status::error("mempool-file-malformed", "record " + std::to_string(i) + " starts past the records");
        const uint64_t len = read_le(file, at, 4);
        at += kMempoolFileRecordHeaderBytes;
        if (len > limits.max_tx_bytes)
            return Status::error("mempool-file-malformed",
                                 "record " + std::to_string(i) + " is " + std::to_string(len) +
                                     " bytes, more than a transaction may be (" + std::to_string(limits.max_tx_bytes) + ")");
        if (content - at < len)
            return Status::error("mempool-file-malformed", "record " + std::to_string(i) + " runs past the records");
        records.emplace_back(file.begin() + static_cast<std::ptrdiff_t>(at),
                             file.begin() + static_cast<std::ptrdiff_t>(at + len));
        at += len;
    }
    if (at != content)
        return Status::error("mempool-file-malformed", std::to_string(content - at) + " bytes after the last record");
    return records;
}

Status write_mempool_file(const std::string& path, const std::vector<pb::Transaction>& txs) {
    const Bytes file = encode_mempool_file(txs);
    const std::string tmp = path + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return io_error("cannot create", tmp);
    // fsync before rename: otherwise a power cut can leave the new name on unwritten blocks.
    if (!write_all(fd, file.data(), file.size()) || ::fsync(fd) != 0) {
        Status s = io_error("cannot write", tmp);
        ::close(fd);
        ::unlink(tmp.c_str());
        return s;
    }
    if (::close(fd) != 0) {
        Status s = io_error("cannot close", tmp);
        ::unlink(tmp.c_str());
        return s;
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        Status s = io_error("cannot rename into", path);
        ::unlink(tmp.c_str());
        return s;
    }
    // The rename itself is durable only once the directory entry is synced.
    std::string dir = std::filesystem::path(path).parent_path().string();
    if (dir.empty()) dir = ".";
    int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return io_error("cannot open directory", dir);
    const bool synced = ::fsync(dfd) == 0;
    Status s = synced ? Status() : io_error("cannot sync directory", dir);
    ::close(dfd);
    return s;
}

Result<std::vector<Bytes>> read_mempool_file(const std::string& path, const MempoolFileLimits& limits) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return Status::error("mempool-file-missing", "no " + path);
        return io_error("cannot open", path);
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        Status s = io_error("cannot stat", path);
        ::close(fd);
        return s;
    }
    const size_t max_file = max_mempool_file_bytes(limits);
    if (static_cast<uint64_t>(st.st_size) > max_file) {
        ::close(fd);
        return Status::error("mempool-file-too-large", std::to_string(st.st_size) + " bytes, more than the " +
                                                           std::to_string(max_file) + " a full mempool can write");
    }
    Bytes file(static_cast<size_t>(st.st_size));
    size_t got = 0;
    while (got < file.size()) {
        const ssize_t n = ::read(fd, file.data() + got, file.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            Status s = io_error("cannot read", path);
            ::close(fd);
            return s;
        }
        if (n == 0) break;  // shrank since fstat: decode reports it as truncated
        got += static_cast<size_t>(n);
    }
    ::close(fd);
    file.resize(got);
    return decode_mempool_file(file, limits);
}

}  // namespace step::node
