#include "node/mempool_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/coding.h"
#include "common/hash.h"
#include "consensus/encoding.h"
#include "consensus/proto/chain.pb.h"
#include "node/errors.h"

namespace step::node {

namespace {

constexpr uint8_t kMagic[kMempoolFileMagicBytes] = {'S', 'T', 'E', 'P', 'M', 'P', 'L', 0};

Status io_error(const std::string& what, const std::string& path) {
    return Status::error(codes::kMempoolFileIo, what + " " + path + ": " + std::strerror(errno));
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
        append_bytes_u32(body, raw);
    }
    Bytes file(kMagic, kMagic + kMempoolFileMagicBytes);
    append_u32le(file, kMempoolFileVersion);
    append_u64le(file, txs.size());
    append_u64le(file, body.size());
    append_bytes(file, body);
    append_hash(file, sha256(file));
    return file;
}

Result<std::vector<Bytes>> decode_mempool_file(ByteSpan file, const MempoolFileLimits& limits) {
    const size_t max_file = max_mempool_file_bytes(limits);
    if (file.size() > max_file)
        return Status::error(codes::kMempoolFileTooLarge, std::to_string(file.size()) + " bytes, more than the " +
                                                           std::to_string(max_file) + " a full mempool can write");
    // The magic first, on whatever prefix exists: a foreign file is named as such, not "truncated".
    const size_t magic_seen = std::min(file.size(), kMempoolFileMagicBytes);
    if (!std::equal(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(magic_seen), kMagic))
        return Status::error(codes::kMempoolFileMagic, "not a mempool file (bad magic)");
    if (file.size() < kMempoolFileHeaderBytes)
        return Status::error(codes::kMempoolFileTruncated, "file ends inside its " +
                                                           std::to_string(kMempoolFileHeaderBytes) + "-byte header");
    // The header is all there (checked above), so these reads cannot fail.
    ByteReader header(file.subspan(kMempoolFileMagicBytes));
    uint32_t version = 0;
    uint64_t count = 0, body_len = 0;
    header.read_u32le(version);
    header.read_u64le(count);
    header.read_u64le(body_len);
    if (version != kMempoolFileVersion)
        return Status::error(codes::kMempoolFileVersion, "version " + std::to_string(version) + ", this node reads " +
                                                         std::to_string(kMempoolFileVersion));
    if (body_len > max_file)  // also keeps the sums below from overflowing
        return Status::error(codes::kMempoolFileTooLarge, "declares " + std::to_string(body_len) + " bytes of records");
    const size_t expected = kMempoolFileHeaderBytes + body_len + kMempoolFileChecksumBytes;
    if (file.size() < expected)
        return Status::error(codes::kMempoolFileTruncated, std::to_string(file.size()) + " bytes, the header declares " +
                                                           std::to_string(expected));
    if (file.size() > expected)
        return Status::error(codes::kMempoolFileTrailingData, std::to_string(file.size() - expected) +
                                                               " bytes after the checksum");
    const size_t content = kMempoolFileHeaderBytes + body_len;
    const Hash256 sum = sha256(file.first(content));
    if (!std::equal(sum.begin(), sum.end(), file.begin() + static_cast<std::ptrdiff_t>(content)))
        return Status::error(codes::kMempoolFileChecksum, "checksum mismatch: the file is damaged");

    // From here the bytes are as written; these checks only catch a wrong writer.
    if (count > body_len / (kMempoolFileRecordHeaderBytes + 1))
        return Status::error(codes::kMempoolFileMalformed, "count " + std::to_string(count) + " cannot fit the records");
    std::vector<Bytes> records;
    records.reserve(count);
    ByteReader body(file.subspan(kMempoolFileHeaderBytes, body_len));
    for (uint64_t i = 0; i < count; ++i) {
        uint32_t len = 0;
        if (!body.read_u32le(len))
            return Status::error(codes::kMempoolFileMalformed, "record " + std::to_string(i) + " starts past the records");
        if (len > limits.max_tx_bytes)
            return Status::error(codes::kMempoolFileMalformed,
                                 "record " + std::to_string(i) + " is " + std::to_string(len) +
                                     " bytes, more than a transaction may be (" + std::to_string(limits.max_tx_bytes) + ")");
        ByteSpan record;
        if (!body.read_span(len, record))
            return Status::error(codes::kMempoolFileMalformed, "record " + std::to_string(i) + " runs past the records");
        records.emplace_back(record.begin(), record.end());
    }
    if (!body.done())
        return Status::error(codes::kMempoolFileMalformed, std::to_string(body.remaining()) + " bytes after the last record");
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
        if (errno == ENOENT) return Status::error(codes::kMempoolFileMissing, "no " + path);
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
        return Status::error(codes::kMempoolFileTooLarge, std::to_string(st.st_size) + " bytes, more than the " +
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
