// LevelDB behind a small interface: point reads, prefix scans and atomic write batches.
// Only database.cc includes LevelDB headers (tests include leveldb/env.h to inject faults).
//
// Failures (docs/storage.md "When storage fails"): a read LevelDB cannot answer throws
// consensus::KvReadError ("db-corruption" or "db-read"), never looks like absence. The first
// write LevelDB refuses (disk full, I/O error) fails the database: that write and every later
// one return "db-write" without reaching LevelDB, and on_write_failure is called once. LevelDB
// leaves a half-appended record at the end of its log when a write fails; appending more after
// it is what made a datadir unreadable ("Corruption: checksum mismatch") once room was made.
// Refusing every later write keeps the damage at the log's tail, which recovery drops.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/bytes.h"
#include "common/status.h"

namespace leveldb {
class Env;
}

namespace step::node {

struct DatabaseOptions {
    // LevelDB's file system; null: the default one. Tests inject faults here (an EnvWrapper
    // that fails writes with ENOSPC), at no cost to production.
    leveldb::Env* env = nullptr;
    // Called once, from the writing thread, with the first write LevelDB refused: stepd stops
    // on it (node/init.cc). Must not write to the database.
    std::function<void(const Status&)> on_write_failure;
};

// A set of puts and deletes applied all-or-nothing by Database::write.
class WriteBatch {
public:
    WriteBatch();
    ~WriteBatch();
    WriteBatch(WriteBatch&&) noexcept;
    WriteBatch& operator=(WriteBatch&&) noexcept;

    void put(ByteSpan key, ByteSpan value);
    void erase(ByteSpan key);

private:
    friend class Database;
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

class Database {
public:
    ~Database();
    // Opens (creating when missing) the LevelDB database in `path`. Errors: "db-corruption"
    // (LevelDB found its files damaged), "db-open" (any other failure: I/O, permissions).
    static Result<std::unique_ptr<Database>> open(const std::string& path,
                                                  DatabaseOptions options = {});

    // nullopt when absent. Throws consensus::KvReadError when LevelDB cannot answer: a node that
    // mistook a failing disk for missing state would fork itself off the network.
    std::optional<Bytes> get(ByteSpan key) const;
    // sync: fsync before returning, so the batch survives power loss (used on tip changes).
    // Error "db-write": refused by LevelDB, or by this database after an earlier refusal.
    Status write(WriteBatch& batch, bool sync);
    // Calls fn for each key starting with prefix, in key order, until fn returns false. Throws
    // consensus::KvReadError as get() does.
    void scan(ByteSpan prefix, const std::function<bool(ByteSpan key, ByteSpan value)>& fn) const;
    // True once a write was refused: nothing more is written (the node is stopping).
    bool failed() const;

private:
    struct Impl;
    explicit Database(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace step::node
