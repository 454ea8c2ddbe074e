// The database when the disk fails (issue 11, defects 2 and 4; docs/storage.md "When storage
// fails"): a full disk through a fault-injecting LevelDB Env, damaged table files through
// flipped bytes. A refused write fails the database for good and the datadir reopens with
// every acknowledged write; a read that fails is an error (consensus::KvReadError), never an
// abort and never absence.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "common/merkle.h"
#include "common/rpc_methods.h"
#include "consensus/keys.h"
#include "consensus/kv.h"
#include "node/errors.h"
#include "node/rpc/blob_methods.h"
#include "node/rpc/dispatcher.h"
#include "node/storage/blob_store.h"
#include "node/storage/database.h"
#include "tests/support/leveldb_faults.h"
#include "tests/support/status_check.h"
#include "tests/unit/node/test_node.h"
#include "verifier/proofs.h"

using namespace step;
using namespace step::node;
using nlohmann::json;
using step::test::FaultEnv;

namespace {

std::string temp_dir(const std::string& name) {
    return testing::fresh_temp_dir("step-storage-fault", name);
}

Bytes b(const std::string& s) {
    return Bytes(s.begin(), s.end());
}

Status put(Database& db, const std::string& key, const Bytes& value, bool sync = false) {
    WriteBatch batch;
    batch.put(b(key), value);
    return db.write(batch, sync);
}

// Writes `count` keys "k<i>" of `value_bytes` each, closes, and reopens once so that LevelDB
// turns its log into a table file; closed again on return.
void make_tables(const std::string& dir, int count, size_t value_bytes) {
    {
        auto db = Database::open(dir);
        REQUIRE(db.ok());
        for (int i = 0; i < count; ++i)
            REQUIRE(put(**db, "k" + std::to_string(i), Bytes(value_bytes, uint8_t(i))).ok());
    }
    auto reopened = Database::open(dir);
    REQUIRE(reopened.ok());
    REQUIRE_FALSE(step::test::table_files(dir).empty());
}

// The status a read throws, or ok when it did not throw.
template <class F>
Status thrown_by(F&& read) {
    try {
        read();
    } catch (const consensus::KvReadError& e) {
        return e.status();
    }
    return Status::ok_status();
}

}  // namespace

TEST_CASE("a write refused for a full disk fails the database; the datadir reopens whole") {
    const std::string dir = temp_dir("full");
    FaultEnv env;
    int failures = 0;
    Status reported;
    {
        DatabaseOptions options;
        options.env = &env;
        options.on_write_failure = [&](const Status& s) { ++failures, reported = s; };
        auto db = Database::open(dir, std::move(options));
        REQUIRE(db.ok());
        for (int i = 0; i < 20; ++i)
            REQUIRE(put(**db, "ack" + std::to_string(i), Bytes(300, 1), i % 5 == 0).ok());

        env.set_disk_full(true);
        CHECK(put(**db, "lost", Bytes(300, 2)) == codes::kDbWrite);
        CHECK(failures == 1);
        CHECK(reported == codes::kDbWrite);
        CHECK((*db)->failed());

        // Room is made, but the database takes nothing more: records after the torn one, once
        // the log grows past its 32 KiB block, made the datadir unreadable ("Corruption:
        // checksum mismatch" or "bad record length" at the next open).
        env.set_disk_full(false);
        int refused = 0;
        for (int i = 0; i < 200; ++i)
            refused += put(**db, "after" + std::to_string(i), Bytes(300, 3), i % 50 == 0) ==
                       codes::kDbWrite;
        CHECK(refused == 200);
        CHECK(failures == 1);
    }
    auto db = Database::open(dir);
    INFO(db.status().to_string());
    REQUIRE(db.ok());
    for (int i = 0; i < 20; ++i) CHECK((*db)->get(b("ack" + std::to_string(i))) == Bytes(300, 1));
    CHECK_FALSE((*db)->get(b("lost")).has_value());
    CHECK_FALSE((*db)->get(b("after0")).has_value());
    CHECK(put(**db, "again", Bytes(1, 4)).ok());
    db.value().reset();
    std::filesystem::remove_all(dir);
}

TEST_CASE("a flipped byte in a table file is db-corruption on read and scan, never an abort") {
    const std::string dir = temp_dir("flip");
    make_tables(dir, 200, 1000);
    for (const auto& table : step::test::table_files(dir))
        REQUIRE(step::test::flip_byte(table, 100));
    auto db = Database::open(dir);
    REQUIRE(db.ok());
    int corrupt = 0;
    for (int i = 0; i < 200; ++i) {
        const Status s = thrown_by([&] { (void)(*db)->get(b("k" + std::to_string(i))); });
        if (s.ok()) continue;
        CHECK(s == codes::kDbCorruption);
        ++corrupt;
    }
    CHECK(corrupt > 0);
    const Status scanned =
        thrown_by([&] { (*db)->scan(b("k"), [](ByteSpan, ByteSpan) { return true; }); });
    CHECK(scanned == codes::kDbCorruption);
    db.value().reset();
    std::filesystem::remove_all(dir);
}

TEST_CASE("a damaged table index is db-corruption, at open or on the first read") {
    const std::string dir = temp_dir("index");
    make_tables(dir, 50, 100);
    for (const auto& table : step::test::table_files(dir))
        REQUIRE(step::test::flip_byte(table, step::test::kTableIndexLastByte));
    auto db = Database::open(dir);
    if (!db.ok()) {
        CHECK(db.status() == codes::kDbCorruption);
    } else {
        CHECK(thrown_by([&] { (void)(*db)->get(b("k1")); }) == codes::kDbCorruption);
        db.value().reset();
    }
    std::filesystem::remove_all(dir);
}

TEST_CASE("a read error from the file system is db-read, not absence") {
    const std::string dir = temp_dir("eio");
    make_tables(dir, 10, 100);
    FaultEnv env;
    DatabaseOptions options;
    options.env = &env;
    auto db = Database::open(dir, std::move(options));
    REQUIRE(db.ok());
    env.set_reads_fail(true);
    CHECK(thrown_by([&] { (void)(*db)->get(b("k3")); }) == codes::kDbRead);
    CHECK(thrown_by([&] { (void)(*db)->get(b("k5x")); }) == codes::kDbRead);
    env.set_reads_fail(false);
    CHECK((*db)->get(b("k3")) == Bytes(100, 3));
    db.value().reset();
    std::filesystem::remove_all(dir);
}

namespace {

consensus::Address address(uint8_t n) {
    consensus::SecretSeed seed{};
    seed.fill(n);
    return consensus::address_from_pubkey(consensus::public_key_from_seed(seed));
}

// Keys between the node's prefixes, so that after a restart the table blocks holding block
// bodies ('b') and undo data ('u') are not the ones opening the chain reads ('T', 's'), which
// stay cached: a read fault then meets the reorganisation, not the open.
void separate_key_ranges(Database& db) {
    WriteBatch batch;
    for (int i = 0; i < 16; ++i) {
        batch.put(b("V" + std::to_string(i)), Bytes(1024, 0));  // between 'T' and 'b'
        batch.put(b("t" + std::to_string(i)), Bytes(1024, 0));  // between 's' and 'u'
    }
    REQUIRE(db.write(batch, true).ok());
}

bool counted_rejected(const Metrics& metrics) {
    return metrics.render().find("stepd_blocks_rejected_total") != std::string::npos;
}

}  // namespace

TEST_CASE("a node whose disk fills stops on the refused write and keeps every block it had") {
    const std::string dir = temp_dir("node-full");
    uint64_t clock = consensus::devnet_params().genesis_timestamp + 1000;
    FaultEnv env;
    ChainManager::StateDigest before;
    {
        DatabaseOptions options;
        options.env = &env;
        testing::TestNode node(dir, &clock, std::move(options));
        std::vector<Status> failures;
        node.node->set_storage_failure_hook([&](const Status& s) { failures.push_back(s); });
        for (int i = 0; i < 3; ++i) node.mine(address(1));
        before = node.chain->state_digest();

        env.set_disk_full(true);
        std::atomic<bool> stop{false};
        auto mined = node.node->mine_block(address(1), stop);
        CHECK(mined.status() == codes::kDbWrite);
        REQUIRE_FALSE(failures.empty());
        CHECK(failures.front() == codes::kDbWrite);
        CHECK_FALSE(counted_rejected(node.metrics));  // the block is not to blame

        env.set_disk_full(false);
        CHECK(node.node->mine_block(address(1), stop).status() == codes::kDbWrite);
        CHECK(node.chain->tip().height == 3);
    }
    testing::TestNode reopened(dir, &clock);
    CHECK(reopened.chain->state_digest() == before);
    reopened.mine(address(1));
    std::filesystem::remove_all(dir);
}

TEST_CASE("a read error while connecting a block stops the node and marks nothing invalid") {
    const std::string dir_a = temp_dir("reorg-a"), dir_b = temp_dir("reorg-b");
    uint64_t clock = consensus::devnet_params().genesis_timestamp + 1000;
    testing::TestNode b_node(dir_b, &clock);
    {
        testing::TestNode a_node(dir_a, &clock);
        a_node.mine(address(1));
        REQUIRE(
            b_node.node
                ->submit_block(*a_node.chain->block(a_node.chain->tip().hash), BlockSource::kPeer)
                .ok());
        clock += 2;
        a_node.mine(address(2));
        separate_key_ranges(*a_node.db);
    }
    for (int i = 0; i < 2; ++i) {  // B's branch: heights 2 and 3, heavier than A's
        clock += 2;
        b_node.mine(address(3));
    }
    const auto branch = [&](uint64_t h) {
        return *b_node.chain->block(*b_node.chain->hash_at_height(h));
    };
    FaultEnv env;
    {
        DatabaseOptions options;
        options.env = &env;
        testing::TestNode a_node(dir_a, &clock, std::move(options));
        std::vector<Status> failures;
        a_node.node->set_storage_failure_hook([&](const Status& s) { failures.push_back(s); });
        REQUIRE(a_node.node->submit_block(branch(2), BlockSource::kPeer).ok());  // a tie: stored
        env.set_reads_fail(true);
        // Heavier: the reorganisation reads A's tip body and undo data, which fail.
        auto r = a_node.node->submit_block(branch(3), BlockSource::kPeer);
        CHECK(r.status() == codes::kDbRead);
        REQUIRE_FALSE(failures.empty());
        CHECK(failures.front() == codes::kDbRead);
        CHECK_FALSE(counted_rejected(a_node.metrics));
        env.set_reads_fail(false);
        for (uint64_t h : {2, 3}) {
            auto info = a_node.chain->block_info(*b_node.chain->hash_at_height(h));
            REQUIRE(info.has_value());
            CHECK_FALSE(is_invalid(info->status));
        }
    }
    // Restarted with a sound disk, the node finishes the reorganisation.
    testing::TestNode a_node(dir_a, &clock);
    CHECK(a_node.chain->tip().hash == b_node.chain->tip().hash);
    std::filesystem::remove_all(dir_a);
    std::filesystem::remove_all(dir_b);
}

TEST_CASE("a blob chunk in a damaged table file is served as db-corruption, not an abort") {
    const std::string dir = temp_dir("blob");
    Bytes blob(8 * kChunkBytes);
    for (size_t i = 0; i < blob.size(); ++i) blob[i] = static_cast<uint8_t>(i * 131 + i / 7);
    const Hash256 root = blob_root(blob);
    {
        auto db = Database::open(dir);
        REQUIRE(db.ok());
        auto store = BlobStore::open(**db);
        REQUIRE(store.ok());
        for (uint64_t i = 0; i < 8; ++i) {
            auto proof = verifier::make_chunk_proof(blob, i);
            REQUIRE(proof.ok());
            REQUIRE((*store)->put_chunk(root, *proof).ok());
        }
    }
    REQUIRE(Database::open(dir).ok());  // the log becomes a table file
    // The middle of the table: chunk bytes, which fill nearly all of it.
    for (const auto& table : step::test::table_files(dir))
        REQUIRE(step::test::flip_byte(
            table, static_cast<long long>(std::filesystem::file_size(table) / 2)));
    auto db = Database::open(dir);
    REQUIRE(db.ok());
    auto store = BlobStore::open(**db);
    REQUIRE(store.ok());
    int corrupt = 0;
    for (uint64_t i = 0; i < 8; ++i) {
        auto chunk = (*store)->get_chunk(root, i);
        if (chunk.ok()) continue;
        CHECK(chunk.status() == codes::kDbCorruption);
        ++corrupt;
    }
    CHECK(corrupt == 1);

    // getblobchunk answers the same chunk with an error that names the code.
    RpcDispatcher d;
    register_blob_methods(d, **store);
    int rpc_corrupt = 0;
    for (uint64_t i = 0; i < 8; ++i) {
        const json req = {{"jsonrpc", "2.0"},
                          {"id", 1},
                          {"method", rpc::kGetBlobChunk},
                          {"params", {{"blob_root", to_hex(root)}, {"index", i}}}};
        int status = 0;
        const json answer = json::parse(d.handle(req.dump(), false, status));
        if (answer.contains("result")) continue;
        CHECK(answer["error"]["code"] == rpc::kErrInternal);
        CHECK(answer["error"]["data"]["code"] == std::string(codes::kDbCorruption.name));
        ++rpc_corrupt;
    }
    CHECK(rpc_corrupt == 1);
    db.value().reset();
    std::filesystem::remove_all(dir);
}

TEST_CASE("an RPC method that meets a failed read answers its code and the node serves on") {
    RpcDispatcher d;
    d.add("broken", false, [](const json&) -> json {
        throw consensus::KvReadError(Status::error(codes::kDbRead, "database read: IO error"));
    });
    d.add("fine", false, [](const json&) -> json { return 1; });
    const auto call = [&](const std::string& method) {
        const json req = {
            {"jsonrpc", "2.0"}, {"id", 1}, {"method", method}, {"params", json::object()}};
        int status = 0;
        return json::parse(d.handle(req.dump(), false, status));
    };
    const json broken = call("broken");
    CHECK(broken["error"]["code"] == rpc::kErrInternal);
    CHECK(broken["error"]["data"]["code"] == std::string(codes::kDbRead.name));
    CHECK(broken["error"]["data"]["category"] == "storage");
    CHECK(call("fine")["result"] == 1);
}
