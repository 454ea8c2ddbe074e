// mempool.dat: format round trip, every corrupt-file case with its code, atomic writes, and
// re-admission into a Mempool (node/mempool_file.h, node/mempool_persistence.h).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "common/hash.h"
#include "consensus/encoding.h"
#include "consensus/state.h"
#include "consensus/transaction.h"
#include "node/mempool.h"
#include "tests/unit/node/mempool_fixtures.h"
#include "node/mempool_file.h"
#include "node/mempool_persistence.h"
#include "node/errors.h"
#include "tests/support/status_check.h"

using namespace step;
using namespace step::node;
namespace cs = step::consensus;
namespace fs = std::filesystem;

namespace {

using namespace step::node::testing;

MempoolFileLimits limits() { return {kDefaultMaxMempoolBytes, static_cast<size_t>(params().max_tx_bytes)}; }

std::vector<pb::Transaction> sample_txs() {
    Wallet a = wallet(1), b = wallet(2), sink = wallet(9);
    return {transfer(a, sink, 0, 1'000), transfer(b, sink, 0, 2'000, 5), transfer(a, sink, 1, 3'000, 7)};
}

step::Status code_of(ByteSpan file) { return decode_mempool_file(file, limits()).status(); }

// Rewrites the checksum so that only the deliberate change is wrong with the file.
void reseal(Bytes& file) {
    const size_t content = file.size() - kMempoolFileChecksumBytes;
    const Hash256 sum = sha256(ByteSpan(file.data(), content));
    std::copy(sum.begin(), sum.end(), file.begin() + static_cast<std::ptrdiff_t>(content));
}

void put_le(Bytes& file, size_t at, uint64_t v, size_t width) {
    for (size_t i = 0; i < width; ++i) file[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

constexpr size_t kVersionAt = kMempoolFileMagicBytes;
constexpr size_t kCountAt = kMempoolFileMagicBytes + 4;
constexpr size_t kBodyLenAt = kMempoolFileMagicBytes + 12;

struct TempDir {
    fs::path path;
    explicit TempDir(const std::string& name)
        : path(fs::temp_directory_path() / ("step-mempool-file-" + name + "-" + std::to_string(::getpid()))) {
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
};

void write_raw(const fs::path& p, ByteSpan bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

TEST_CASE("mempool.dat round-trips signed transactions in order through the disk") {
    const auto txs = sample_txs();
    TempDir dir("roundtrip");
    const std::string path = (dir.path / kMempoolFileName).string();
    // A stale temp file from a writer killed mid-write is simply replaced.
    write_raw(path + ".tmp", as_bytes("half a file"));
    REQUIRE(write_mempool_file(path, txs).ok());
    CHECK_FALSE(fs::exists(path + ".tmp"));

    auto records = read_mempool_file(path, limits());
    REQUIRE(records.ok());
    REQUIRE(records->size() == txs.size());
    for (size_t i = 0; i < txs.size(); ++i) {
        CHECK((*records)[i] == cs::encode_tx(txs[i]));
        auto decoded = cs::decode_tx((*records)[i]);
        REQUIRE(decoded.ok());
        CHECK(cs::txid(*decoded) == cs::txid(txs[i]));
    }
    // Exactly the documented layout: header, records, checksum.
    size_t body = 0;
    for (const auto& tx : txs) body += kMempoolFileRecordHeaderBytes + cs::encode_tx(tx).size();
    CHECK(fs::file_size(path) == kMempoolFileHeaderBytes + body + kMempoolFileChecksumBytes);

    // An empty pool is a valid (header and checksum only) file.
    REQUIRE(write_mempool_file(path, {}).ok());
    auto none = read_mempool_file(path, limits());
    REQUIRE(none.ok());
    CHECK(none->empty());
    CHECK(read_mempool_file((dir.path / "absent.dat").string(), limits()).status() == step::node::codes::kMempoolFileMissing);
}

TEST_CASE("a truncated mempool.dat is refused as truncated at any cut") {
    const Bytes file = encode_mempool_file(sample_txs());
    const size_t first_record_body = kMempoolFileHeaderBytes + kMempoolFileRecordHeaderBytes;
    for (size_t cut : {size_t{0}, size_t{3}, kMempoolFileMagicBytes, kCountAt + 2, kMempoolFileHeaderBytes - 1,
                       kMempoolFileHeaderBytes, kMempoolFileHeaderBytes + 2, first_record_body + 10,
                       file.size() - kMempoolFileChecksumBytes, file.size() - 1}) {
        INFO("cut at " << cut << " of " << file.size());
        CHECK(code_of(ByteSpan(file.data(), cut)) == step::node::codes::kMempoolFileTruncated);
    }
}

TEST_CASE("a damaged mempool.dat is refused by its checksum") {
    const Bytes file = encode_mempool_file(sample_txs());
    REQUIRE(decode_mempool_file(file, limits()).ok());
    // Every byte the checksum guards beyond the fields checked before it (magic, version and the
    // length that tells truncation apart): the count, every record, the checksum itself.
    std::vector<size_t> offsets;
    for (size_t i = kCountAt; i < kBodyLenAt; ++i) offsets.push_back(i);
    for (size_t i = kMempoolFileHeaderBytes; i < file.size(); ++i) offsets.push_back(i);
    for (size_t at : offsets) {
        Bytes bad = file;
        bad[at] ^= 0x01;
        INFO("flipped byte " << at);
        CHECK(code_of(bad) == step::node::codes::kMempoolFileChecksum);
    }
}

TEST_CASE("mempool.dat with a wrong magic, version, size or framing gets its code") {
    const Bytes file = encode_mempool_file(sample_txs());

    Bytes magic = file;
    magic[0] = 'X';
    reseal(magic);
    CHECK(code_of(magic) == step::node::codes::kMempoolFileMagic);
    CHECK(code_of(as_bytes("this is not a mempool file at all")) == step::node::codes::kMempoolFileMagic);

    Bytes version = file;
    put_le(version, kVersionAt, kMempoolFileVersion + 1, 4);
    reseal(version);
    CHECK(code_of(version) == step::node::codes::kMempoolFileVersion);

    Bytes trailing = file;
    trailing.push_back(0);
    CHECK(code_of(trailing) == step::node::codes::kMempoolFileTrailingData);

    // Oversize: the file itself, or a declared body, beyond what a full pool can write.
    const MempoolFileLimits tiny{200, static_cast<size_t>(params().max_tx_bytes)};
    REQUIRE(file.size() > max_mempool_file_bytes(tiny));
    CHECK(decode_mempool_file(file, tiny).status() == step::node::codes::kMempoolFileTooLarge);
    Bytes huge_body = file;
    put_le(huge_body, kBodyLenAt, uint64_t{1} << 62, 8);
    CHECK(code_of(huge_body) == step::node::codes::kMempoolFileTooLarge);
    CHECK(max_mempool_file_bytes(limits()) >= kDefaultMaxMempoolBytes);

    // Sealed but inconsistent framing (a wrong writer): a count the records do not match, a
    // record longer than a transaction may be.
    Bytes miscounted = file;
    put_le(miscounted, kCountAt, 2, 8);
    reseal(miscounted);
    CHECK(code_of(miscounted) == step::node::codes::kMempoolFileMalformed);
    const MempoolFileLimits small_tx{kDefaultMaxMempoolBytes, 50};
    CHECK(decode_mempool_file(file, small_tx).status() == step::node::codes::kMempoolFileMalformed);
}

TEST_CASE("an oversize mempool.dat is refused before it is read") {
    TempDir dir("oversize");
    const std::string path = (dir.path / kMempoolFileName).string();
    const MempoolFileLimits tiny{1'000, static_cast<size_t>(params().max_tx_bytes)};
    const Bytes big(max_mempool_file_bytes(tiny) + 1, 0xAB);  // not even a valid magic
    write_raw(path, big);
    CHECK(read_mempool_file(path, tiny).status() == step::node::codes::kMempoolFileTooLarge);
}

TEST_CASE("re-admission drops transactions that no longer apply and keeps the rest") {
    Wallet a = wallet(1), b = wallet(2), sink = wallet(9);
    const std::vector<pb::Transaction> saved = {transfer(a, sink, 0, 1'000), transfer(b, sink, 0, 2'000),
                                                transfer(a, sink, 1, 1'500)};
    const Bytes file = encode_mempool_file(saved);
    auto records = decode_mempool_file(file, limits());
    REQUIRE(records.ok());
    const ByteSpan junk = as_bytes("\xff\xff not a transaction");
    records->emplace_back(junk.begin(), junk.end());

    // Meanwhile a's nonce 0 was used (say, mined): only it is dropped.
    cs::MemoryKv kv;
    fund(kv, a, 1'000'000, 1);
    fund(kv, b, 1'000'000);
    Mempool pool(params());
    const MempoolLoadReport report =
        readmit_records(*records, [&](const pb::Transaction& tx) { return pool.add(tx, kv, 1); });
    CHECK(report.total == 4);
    CHECK(report.accepted == 2);
    CHECK(report.dropped == 2);  // the used nonce and the undecodable record
    CHECK(pool.size() == 2);
    CHECK_FALSE(pool.get(cs::txid(saved[0])));
    CHECK(pool.get(cs::txid(saved[1])));
    CHECK(pool.get(cs::txid(saved[2])));
}

TEST_CASE("a pool saves in arrival order with each sender's nonces in order") {
    cs::MemoryKv kv;
    Wallet a = wallet(1), b = wallet(2), sink = wallet(9);
    fund(kv, a, 1'000'000);
    fund(kv, b, 1'000'000);
    Mempool pool(params());
    REQUIRE(pool.add(transfer(a, sink, 0, 1'000), kv, 1).ok());
    REQUIRE(pool.add(transfer(b, sink, 0, 1'000), kv, 1).ok());
    REQUIRE(pool.add(transfer(a, sink, 1, 1'000), kv, 1).ok());
    // Replacing a's nonce 0 makes it the newest arrival, after its own successor.
    const auto replacement = transfer(a, sink, 0, 5'000);
    REQUIRE(pool.add(replacement, kv, 1).ok());

    // Arrival order is b0, a1, a0': a keeps its two later places, filled in nonce order.
    const auto order = pool.transactions_for_save();
    REQUIRE(order.size() == 3);
    CHECK(cs::tx_sender(order[0]) == b.address);
    CHECK(cs::tx_sender(order[1]) == a.address);
    CHECK(order[1].nonce() == 0);
    CHECK(order[1].fee() == 5'000);
    CHECK(cs::tx_sender(order[2]) == a.address);
    CHECK(order[2].nonce() == 1);

    // Replayed into a fresh pool, everything comes back.
    Mempool restored(params());
    auto records = decode_mempool_file(encode_mempool_file(order), limits());
    REQUIRE(records.ok());
    auto report = readmit_records(*records, [&](const pb::Transaction& tx) { return restored.add(tx, kv, 1); });
    CHECK(report.accepted == 3);
    CHECK(restored.get(cs::txid(replacement)));
}

TEST_CASE("load_mempool sets a bad file aside and starts empty") {
    TempDir dir("load");
    const std::string path = mempool_file_path(dir.path.string());
    size_t submitted = 0;
    auto count_submit = [&](const pb::Transaction& tx) -> Result<Hash256> {
        ++submitted;
        return cs::txid(tx);
    };

    // No file: nothing to do, nothing set aside.
    auto none = load_mempool(dir.path.string(), limits(), count_submit);
    CHECK(none.file_status.ok());
    CHECK(none.total == 0);

    write_raw(path, as_bytes("garbage, not a mempool"));
    auto bad = load_mempool(dir.path.string(), limits(), count_submit);
    CHECK(bad.file_status == step::node::codes::kMempoolFileMagic);
    CHECK(submitted == 0);
    CHECK_FALSE(fs::exists(path));
    CHECK(fs::exists(path + std::string(kMempoolBadFileSuffix)));

    REQUIRE(write_mempool_file(path, sample_txs()).ok());
    auto good = load_mempool(dir.path.string(), limits(), count_submit);
    CHECK(good.file_status.ok());
    CHECK(good.total == 3);
    CHECK(good.accepted == 3);
    CHECK(submitted == 3);
}

TEST_CASE("an empty pool's file keeps the bytes pinned before the coding library") {
    CHECK(to_hex(encode_mempool_file({})) ==
          "535445504d504c00" "01000000" "0000000000000000" "0000000000000000"
          "38f162401b6807a4bddf9ee2e91d10f56a344aa2c5ddb68a019afd23b059ab7e");
}
