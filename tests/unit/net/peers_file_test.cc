// <datadir>/peers.dat (node/p2p/peers_file.h): round trip through the disk, every corruption
// with its code, a damaged file set aside as peers.dat.bad with the node starting with an empty
// book, and the size bound.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "common/coding.h"
#include "common/hash.h"
#include "node/p2p/errors.h"
#include "node/p2p/peers_file.h"
#include "tests/support/status_check.h"

using namespace step;
using namespace step::node;
using namespace step::node::p2p;
namespace fs = std::filesystem;

namespace {

constexpr uint64_t kNow = 1'800'000'000;

std::vector<KnownAddress> sample() {
    return {{net::Endpoint{"127.0.0.2", 18444}, kNow - 10, "127.9", kNow - 5, kNow - 5, 0},
            {net::Endpoint{"::1", 18445}, kNow - 20, "", 0, 0, 3},
            {net::Endpoint{"2001:db8::7", 8444}, kNow, "2001:db8", kNow, 0, 1}};
}

Status code_of(ByteSpan file) {
    return decode_peers_file(file).status();
}

// Rewrites the checksum, so only the deliberate change is wrong.
void reseal(Bytes& file) {
    const size_t content = file.size() - kRecordFileChecksumBytes;
    const Hash256 sum = sha256(ByteSpan(file.data(), content));
    std::copy(sum.begin(), sum.end(), file.begin() + static_cast<std::ptrdiff_t>(content));
}

// A file of these raw records, correctly framed and sealed.
Bytes file_of(const std::vector<Bytes>& records) {
    return encode_record_file(peers_file_format(), records);
}

// A sealed record file of another kind (mempool.dat's magic).
Bytes other_kind_file() {
    RecordFileFormat other = peers_file_format();
    other.magic = {'S', 'T', 'E', 'P', 'M', 'P', 'L', 0};
    return encode_record_file(other, {});
}

// One entry's record with this host, spelled as given.
Bytes entry_with_host(const char* host) {
    Bytes entry;
    append_bytes_u32(entry, as_bytes(host));
    append_u16le(entry, 18444);
    for (int i = 0; i < 3; ++i) append_u64le(entry, kNow);
    append_u32le(entry, 0);
    append_bytes_u32(entry, as_bytes(""));
    return entry;
}

struct TempDir {
    fs::path path;
    explicit TempDir(const std::string& name)
        : path(fs::temp_directory_path() /
               ("step-peers-file-" + name + "-" + std::to_string(::getpid()))) {
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
    std::string peers() const { return peers_file_path(path.string()); }
};

void write_raw(const std::string& p, ByteSpan bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
}

// The longest spelling a canonical IPv6 host has (no zero group to compress): 39 characters.
net::Endpoint longest_address(uint32_t i) {
    char last[8];
    std::snprintf(last, sizeof last, "%x", 0x1000 + i);
    return {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:" + std::string(last), 65535};
}

}  // namespace

TEST_CASE("peers.dat round-trips the address book through the disk") {
    TempDir dir("roundtrip");
    AddressBook book;
    for (const auto& e : sample()) book.add(e.address, e.last_seen, e.source_group, kNow);
    book.record_dial(sample()[0].address, true, kNow);
    REQUIRE(save_peers_file(dir.peers(), book).ok());
    CHECK_FALSE(fs::exists(dir.peers() + ".tmp"));

    AddressBook loaded;
    const PeersLoadReport report = load_peers_file(dir.peers(), loaded, kNow);
    CHECK(report.file_status.ok());
    CHECK(report.loaded == 3);
    CHECK(loaded.entries() == book.entries());
    CHECK(fs::exists(dir.peers()));  // a good file stays where it is

    const auto decoded = decode_peers_file(encode_peers_file(sample()));
    REQUIRE(decoded.ok());
    CHECK(*decoded == sample());
    const auto none = decode_peers_file(encode_peers_file({}));
    REQUIRE(none.ok());
    CHECK(none->empty());
}

TEST_CASE("No peers.dat: an empty book, nothing set aside") {
    TempDir dir("missing");
    AddressBook book;
    const PeersLoadReport report = load_peers_file(dir.peers(), book, kNow);
    CHECK(report.file_status.ok());
    CHECK(report.loaded == 0);
    CHECK(book.size() == 0);
    CHECK_FALSE(fs::exists(dir.peers() + std::string(kBadFileSuffix)));
    CHECK(read_record_file(dir.peers(), peers_file_format()).status() == codes::kPeersFileMissing);
}

TEST_CASE("Every corruption of peers.dat has its code") {
    const Bytes file = encode_peers_file(sample());
    REQUIRE(decode_peers_file(file).ok());

    Bytes magic = file;
    magic[0] ^= 0x20;
    reseal(magic);
    CHECK(code_of(magic) == codes::kPeersFileMagic);
    CHECK(code_of(as_bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n")) == codes::kPeersFileMagic);

    Bytes version = file;
    version[kRecordFileMagicBytes] = static_cast<uint8_t>(kPeersFileVersion + 1);
    reseal(version);
    CHECK(code_of(version) == codes::kPeersFileVersion);

    for (size_t cut : {size_t{0}, size_t{3}, kRecordFileHeaderBytes - 1, kRecordFileHeaderBytes + 5,
                       file.size() - 1}) {
        INFO("cut at " << cut);
        CHECK(code_of(ByteSpan(file.data(), cut)) == codes::kPeersFileTruncated);
    }

    Bytes trailing = file;
    trailing.push_back(0);
    CHECK(code_of(trailing) == codes::kPeersFileTrailingData);

    for (size_t at : {kRecordFileHeaderBytes + 2, file.size() / 2, file.size() - 1}) {
        Bytes flipped = file;
        flipped[at] ^= 0x01;
        INFO("flipped byte " << at);
        CHECK(code_of(flipped) == codes::kPeersFileChecksum);
    }
}

TEST_CASE("A sealed peers.dat whose entries do not parse is malformed") {
    CHECK(code_of(file_of({Bytes{1, 2, 3}})) == codes::kPeersFileMalformed);
    // A name instead of a numeric address, a second spelling of one, stray bytes, nothing.
    for (const char* host : {"localhost", "0:0::1", "127.0.0.1 ", ""}) {
        INFO(host);
        CHECK(code_of(file_of({entry_with_host(host)})) == codes::kPeersFileMalformed);
    }
    REQUIRE(decode_peers_file(file_of({entry_with_host("127.0.0.1")})).ok());
    Bytes extra = entry_with_host("127.0.0.1");
    extra.push_back(0);
    CHECK(code_of(file_of({extra})) == codes::kPeersFileMalformed);
    // A record longer than any entry can be.
    CHECK(code_of(file_of({Bytes(kMaxPeersRecordBytes + 1, 0)})) == codes::kPeersFileMalformed);
}

TEST_CASE("Each damaged peers.dat is set aside with its code and the book starts empty") {
    const Bytes good = encode_peers_file(sample());
    Bytes flipped = good;
    flipped[good.size() / 2] ^= 0x01;
    Bytes version = good;
    version[kRecordFileMagicBytes] = static_cast<uint8_t>(kPeersFileVersion + 1);
    reseal(version);
    const struct {
        const char* what;
        Bytes file;
        ErrorCode code;
    } cases[] = {
        {"empty", {}, codes::kPeersFileTruncated},
        {"truncated", Bytes(good.begin(), good.end() - 1), codes::kPeersFileTruncated},
        {"bad checksum", flipped, codes::kPeersFileChecksum},
        {"wrong version", version, codes::kPeersFileVersion},
        {"wrong magic", other_kind_file(), codes::kPeersFileMagic},
        {"garbage", Bytes(1000, 0xAB), codes::kPeersFileMagic},
        {"malformed entry", file_of({Bytes{9, 9, 9}}), codes::kPeersFileMalformed},
        {"oversize", Bytes(kMaxPeersFileBytes + 1, 0), codes::kPeersFileTooLarge},
    };
    for (const auto& c : cases) {
        INFO(c.what);
        TempDir dir("damaged");
        write_raw(dir.peers(), c.file);
        AddressBook book;
        const PeersLoadReport report = load_peers_file(dir.peers(), book, kNow);
        CHECK(report.file_status == c.code);
        CHECK(report.loaded == 0);
        CHECK(book.size() == 0);
        CHECK_FALSE(fs::exists(dir.peers()));
        CHECK(fs::file_size(dir.peers() + std::string(kBadFileSuffix)) == c.file.size());
        // The node goes on: the next save writes a fresh file, the evidence stays aside.
        book.add(sample()[0].address, kNow, "", kNow);
        REQUIRE(save_peers_file(dir.peers(), book).ok());
        AddressBook next;
        CHECK(load_peers_file(dir.peers(), next, kNow).loaded == 1);
        CHECK(fs::exists(dir.peers() + std::string(kBadFileSuffix)));
    }
}

TEST_CASE("peers.dat is bounded by a full book of the longest entries") {
    std::vector<KnownAddress> full;
    for (uint32_t i = 0; i < kMaxAddressBookEntries; ++i)
        full.push_back({longest_address(i), kNow, "ffff:ffff", kNow, kNow, UINT32_MAX});
    const Bytes file = encode_peers_file(full);
    CHECK(file.size() <= kMaxPeersFileBytes);
    const auto decoded = decode_peers_file(file);
    REQUIRE(decoded.ok());
    CHECK(decoded->size() == kMaxAddressBookEntries);

    // Refused before the records are trusted: a file over the bound, a header that declares more.
    CHECK(code_of(Bytes(kMaxPeersFileBytes + 1, 0)) == codes::kPeersFileTooLarge);
    Bytes declares = encode_peers_file(sample());
    const size_t body_len_at = kRecordFileMagicBytes + kU32Bytes + kU64Bytes;
    for (size_t i = 0; i < kU64Bytes; ++i) declares[body_len_at + i] = 0xFF;
    reseal(declares);
    CHECK(code_of(declares) == codes::kPeersFileTooLarge);
}

TEST_CASE("Saving into a directory that does not exist fails with peers-file-io") {
    AddressBook book;
    CHECK(save_peers_file("/nonexistent-step-dir/sub/peers.dat", book) == codes::kPeersFileIo);
}
