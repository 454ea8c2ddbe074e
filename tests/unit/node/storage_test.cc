#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "node/storage/block_store.h"
#include "node/storage/database.h"
#include "node/errors.h"
#include "tests/support/status_check.h"

using namespace step;
using namespace step::node;

namespace {

std::string temp_dir(const std::string& name) {
    auto dir = std::filesystem::temp_directory_path() /
               ("step-storage-test-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    return dir.string();
}

Bytes b(const std::string& s) { return Bytes(s.begin(), s.end()); }

}  // namespace

TEST_CASE("database batches, reads and prefix scans") {
    const std::string dir = temp_dir("basic");
    auto db = Database::open(dir);
    REQUIRE(db.ok());
    WriteBatch batch;
    batch.put(b("a1"), b("x"));
    batch.put(b("a2"), b("y"));
    batch.put(b("b1"), b("z"));
    REQUIRE((*db)->write(batch, true).ok());
    CHECK((*db)->get(b("a2")) == b("y"));
    CHECK_FALSE((*db)->get(b("a3")).has_value());

    std::vector<std::string> seen;
    (*db)->scan(b("a"), [&](ByteSpan k, ByteSpan) {
        seen.emplace_back(k.begin(), k.end());
        return true;
    });
    CHECK(seen == std::vector<std::string>{"a1", "a2"});

    WriteBatch del;
    del.erase(b("a1"));
    REQUIRE((*db)->write(del, false).ok());
    CHECK_FALSE((*db)->get(b("a1")).has_value());
    db.value().reset();  // close before removing the files
    std::filesystem::remove_all(dir);
}

// A child process commits batches that each move a counter and write that many keys; the parent
// kills it with SIGKILL mid-stream. After reopening, the store must hold exactly the keys of the
// last counter value: every batch is all-or-nothing even when the process dies at any point.
TEST_CASE("write batches are atomic across SIGKILL") {
    const std::string dir = temp_dir("crash");
    for (int round = 0; round < 5; ++round) {
        int ready[2];
        REQUIRE(::pipe(ready) == 0);
        pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            ::close(ready[0]);
            auto db = Database::open(dir);
            if (!db.ok()) ::_exit(3);
            uint64_t counter = 0;
            if (auto c = (*db)->get(b("counter"))) counter = std::stoull(std::string(c->begin(), c->end()));
            for (;;) {
                ++counter;
                WriteBatch batch;
                batch.put(b("counter"), b(std::to_string(counter)));
                // 200 keys per batch, each tagged with the counter that wrote it.
                for (int i = 0; i < 200; ++i)
                    batch.put(b("k" + std::to_string(i)), b(std::to_string(counter)));
                if (!(*db)->write(batch, counter % 3 == 0).ok()) ::_exit(4);
                if (ready[1] >= 0) {  // tell the parent a batch is committed, then keep going
                    (void)!::write(ready[1], "r", 1);
                    ::close(ready[1]);
                    ready[1] = -1;
                }
            }
        }
        ::close(ready[1]);
        char byte = 0;
        REQUIRE(::read(ready[0], &byte, 1) == 1);
        ::close(ready[0]);
        ::usleep(static_cast<useconds_t>(20000 + round * 7000));
        ::kill(pid, SIGKILL);
        int wstatus = 0;
        ::waitpid(pid, &wstatus, 0);
        REQUIRE(WIFSIGNALED(wstatus));

        auto db = Database::open(dir);
        REQUIRE(db.ok());
        auto counter = (*db)->get(b("counter"));
        REQUIRE(counter.has_value());
        for (int i = 0; i < 200; ++i) {
            auto v = (*db)->get(b("k" + std::to_string(i)));
            REQUIRE(v.has_value());
            CHECK(*v == *counter);
        }
    }
    std::filesystem::remove_all(dir);
}

TEST_CASE("index records and undo data round-trip and reject garbage") {
    IndexRecord r;
    r.status = BlockStatus::kInvalid;
    r.height = 1234567;
    r.cumulative_work[31] = 9;
    r.invalid_reason = "bad-state-root";
    r.header = b("header-bytes");
    auto back = decode_index_record(encode_index_record(r));
    REQUIRE(back.ok());
    CHECK(back->status == r.status);
    CHECK(back->height == r.height);
    CHECK(back->cumulative_work == r.cumulative_work);
    CHECK(back->invalid_reason == r.invalid_reason);
    CHECK(back->header == r.header);
    Bytes truncated = encode_index_record(r);
    truncated.pop_back();
    CHECK(decode_index_record(truncated).status() == step::node::codes::kCorruptIndex);

    KvChanges undo = {{b("a"), b("1")}, {b("bb"), std::nullopt}, {b("c"), Bytes{}}};
    auto u = decode_undo(encode_undo(undo));
    REQUIRE(u.ok());
    CHECK(*u == undo);
    Bytes bad = encode_undo(undo);
    bad.push_back(0);
    CHECK(decode_undo(bad).status() == step::node::codes::kCorruptUndo);
}

TEST_CASE("height keys sort in height order") {
    CHECK(keys::height(1) < keys::height(2));
    CHECK(keys::height(255) < keys::height(256));
    CHECK(keys::height(65535) < keys::height(1ull << 40));
    CHECK(keys::state(b("a1"))[0] == keys::kState);
}

// Bytes written before the coding library (the commit before it), pinned: existing datadirs
// hold them.
TEST_CASE("index records, undo data and height keys keep their pinned bytes") {
    IndexRecord r;
    r.status = BlockStatus::kInvalid;
    r.height = 0x0102030405;
    r.cumulative_work[0] = 0xaa;
    r.cumulative_work[31] = 0x55;
    r.invalid_reason = "bad-pow";
    r.header = Bytes{1, 2, 3};
    CHECK(to_hex(encode_index_record(r)) ==
          "0103" "0504030201000000"
          "aa00000000000000000000000000000000000000000000000000000000000055"
          "07000000" "6261642d706f77" "03000000" "010203");
    const Bytes enc = encode_index_record(r);
    for (size_t n = 0; n < enc.size(); ++n)
        CHECK(decode_index_record(ByteSpan(enc).first(n)).status() == step::node::codes::kCorruptIndex);
    KvChanges undo = {{Bytes{1, 2}, Bytes{3}}, {Bytes{4}, std::nullopt}};
    CHECK(to_hex(encode_undo(undo)) == "02000000" "02000000" "0102" "01" "01000000" "03"
                                       "01000000" "04" "00");
    const Bytes u = encode_undo(undo);
    for (size_t n = 0; n < u.size(); ++n)
        CHECK(decode_undo(ByteSpan(u).first(n)).status() == step::node::codes::kCorruptUndo);
    CHECK(to_hex(keys::height(0x0102030405060708ull)) == "680102030405060708");
}
