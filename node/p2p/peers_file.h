// <datadir>/peers.dat: the address book saved across restarts. A record file
// (node/record_file.h: magic "STEPPEER", version, count, body_len, records, SHA-256); each
// record one KnownAddress:
//   host        u32 length + bytes   canonical numeric host (net::parse_endpoint's spelling)
//   port        u16
//   last_seen, last_try, last_success   u64 each (unix seconds)
//   failures    u32
//   source      u32 length + bytes   netgroup of the gossiping peer ("" = our own knowledge)
// A file that cannot be used is set aside as peers.dat.bad with its code and the node starts
// with an empty book: never a reason not to start. Format and file IO only; when to load and
// save is the caller's (node/init.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "node/p2p/address_book.h"
#include "node/p2p/limits.h"
#include "node/record_file.h"

namespace step::node::p2p {

inline constexpr std::string_view kPeersFileName = "peers.dat";
inline constexpr uint32_t kPeersFileVersion = 1;
// One record: a real entry is under 100 bytes (the longest IPv6 spelling is 45, a netgroup 9);
// the rest is room for fields a later version may add.
inline constexpr size_t kMaxPeersRecordBytes = 256;
// The largest peers.dat a full book (kMaxAddressBookEntries) of maximal records can be (~4.3 MB).
// A larger file is refused unread (codes::kPeersFileTooLarge), so a planted or runaway file
// cannot make start-up read and allocate without bound.
inline constexpr size_t kMaxPeersFileBytes =
    kRecordFileHeaderBytes +
    size_t{kMaxAddressBookEntries} * (kRecordFileRecordHeaderBytes + kMaxPeersRecordBytes) +
    kRecordFileChecksumBytes;

// peers.dat as a record file: its magic, version, bounds and codes (node/p2p/errors.h).
RecordFileFormat peers_file_format();

// The whole file for these entries, in the given order. An entry whose record would be longer
// than kMaxPeersRecordBytes (never one the book got from a parsed address) is left out, so that
// one odd entry cannot make the whole file unreadable.
Bytes encode_peers_file(const std::vector<KnownAddress>& entries);

// The entries, in file order. Errors: codes::kPeersFileTooLarge, kPeersFileMagic,
// kPeersFileVersion, kPeersFileTruncated, kPeersFileTrailingData, kPeersFileChecksum, and
// kPeersFileMalformed (records that do not fill the body exactly, or one that is not a
// well-formed entry: a host that is not a canonical numeric address, a port of 0, bytes left
// over).
Result<std::vector<KnownAddress>> decode_peers_file(ByteSpan file);

// <datadir>/peers.dat.
std::string peers_file_path(const std::string& datadir);

// Writes every entry of `book` to `path` so that a crash at any moment leaves either the old
// file or the new one (temp file, fsync, rename, fsync the directory). Error:
// codes::kPeersFileIo (the file system failed; `path` is as it was).
Status save_peers_file(const std::string& path, const AddressBook& book);

struct PeersLoadReport {
    size_t loaded = 0;   // entries in the book afterwards (0 when nothing was loaded)
    Status file_status;  // why the file was set aside; ok when it loaded or there was none
};

// Loads `path` into `book` at start-up (AddressBook::load: the file's entries replace the
// book's, and the horizon and bounds apply as of `now`). Never fails start-up, so it returns a
// report, not an error: with no file, or one that cannot be used, the book is left as it was
// (empty at start-up). A file that cannot be used (any decode error above, kPeersFileIo, or
// kPeersFileTooLarge on its size before reading) is logged with its code, renamed to
// path + kBadFileSuffix ("peers.dat.bad", replacing an older one) and its status returned in
// file_status; a missing file is not an error (file_status ok, a log line).
PeersLoadReport load_peers_file(const std::string& path, AddressBook& book, uint64_t now);

}  // namespace step::node::p2p
