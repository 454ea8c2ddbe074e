// A checksummed file of length-prefixed records, written atomically: the shape that
// <datadir>/mempool.dat (node/mempool_file.h) and <datadir>/peers.dat (node/p2p/peers_file.h)
// share. Each kind of file has its own magic, version, size bounds and error codes
// (RecordFileFormat); this unit owns the layout and the file IO.
//
// Layout (integers little-endian):
//   magic      8 bytes  the kind's magic
//   version    u32      the kind's version
//   count      u64      number of records
//   body_len   u64      bytes of the records that follow
//   records    count x { u32 length, length bytes }
//   checksum   32 bytes SHA-256 of everything above
// body_len lets a reader tell a cut-off file ("truncated") from a damaged one ("checksum")
// before trusting any record length.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/coding.h"
#include "common/status.h"

namespace step::node {

inline constexpr size_t kRecordFileMagicBytes = 8;
inline constexpr size_t kRecordFileHeaderBytes = kRecordFileMagicBytes + kU32Bytes + 2 * kU64Bytes;
inline constexpr size_t kRecordFileRecordHeaderBytes = kU32Bytes;
inline constexpr size_t kRecordFileChecksumBytes = kHashBytes;
// Where a file that failed to load is moved, so the operator can inspect it and the next save
// does not overwrite the evidence.
inline constexpr std::string_view kBadFileSuffix = ".bad";

// The error codes of one kind of file: ErrorCode constants in the errors.h of the part that owns
// that kind (node/errors.h for mempool.dat, node/p2p/errors.h for peers.dat).
struct RecordFileCodes {
    ErrorCode missing;        // no such file (kNotFound)
    ErrorCode io;             // the file system failed
    ErrorCode too_large;      // larger than the kind can be (checked before reading)
    ErrorCode magic;          // not this kind of file
    ErrorCode version;        // another version
    ErrorCode truncated;      // cut off (an empty file too)
    ErrorCode trailing_data;  // bytes after the checksum
    ErrorCode checksum;       // damaged
    ErrorCode malformed;      // checksum fine, records inconsistent: a wrong writer
};

struct RecordFileFormat {
    std::string_view name;  // "mempool", "peers": messages say "not a peers file"
    std::array<uint8_t, kRecordFileMagicBytes> magic{};
    uint32_t version = 0;
    size_t max_file_bytes = 0;    // a larger file is refused unread (codes.too_large)
    size_t max_record_bytes = 0;  // a longer record is malformed
    RecordFileCodes codes{};
};

// The whole file for these records, in the given order.
Bytes encode_record_file(const RecordFileFormat& format, const std::vector<Bytes>& records);

// The records, in file order. Errors: the format's codes (all but missing and io).
Result<std::vector<Bytes>> decode_record_file(ByteSpan file, const RecordFileFormat& format);

// Writes `file` so that a crash at any moment leaves either the old file or the new one: temp
// file, fsync, rename over `path`, fsync the directory. Error: format.codes.io.
Status write_file_atomically(const std::string& path, ByteSpan file,
                             const RecordFileFormat& format);

// Reads and decodes `path`. Errors: codes.missing, codes.io, codes.too_large (on the file's
// size, before reading), or decode's codes.
Result<std::vector<Bytes>> read_record_file(const std::string& path,
                                            const RecordFileFormat& format);

// What a node loads at start-up: the records, or none, with the reason the file was set aside.
struct RecordFileLoad {
    bool loaded = false;  // the file was there and read whole
    std::vector<Bytes> records;
    Status file_status;  // why it was set aside; ok when it loaded or there was none
};

// Checks the records of a file that decoded (say, that each is a well-formed entry); an error
// sets the file aside like a damaged one.
using RecordCheck = std::function<Status(const std::vector<Bytes>& records)>;

// Loads `path` at start-up; never a reason not to start. A missing file gives no records. A
// file that cannot be used (or fails `check`) is logged with its code and renamed to
// path + kBadFileSuffix, and the node starts with `empty_what` ("an empty mempool").
RecordFileLoad load_record_file(const std::string& path, const RecordFileFormat& format,
                                std::string_view empty_what, const RecordCheck& check = nullptr);

}  // namespace step::node
