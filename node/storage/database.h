// LevelDB behind a small interface: point reads, prefix scans and atomic write batches.
// Only this file and database.cc include LevelDB headers.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/bytes.h"
#include "common/status.h"

namespace step::node {

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
    // Opens (creating when missing) the LevelDB database in `path`. Error "db-open".
    static Result<std::unique_ptr<Database>> open(const std::string& path);

    // nullopt when absent. A read error is not absence: it aborts the process (a node that
    // mistook a failing disk for missing state would fork itself off the network).
    std::optional<Bytes> get(ByteSpan key) const;
    // sync: fsync before returning, so the batch survives power loss (used on tip changes).
    Status write(WriteBatch& batch, bool sync);
    // Calls fn for each key starting with prefix, in key order, until fn returns false.
    void scan(ByteSpan prefix, const std::function<bool(ByteSpan key, ByteSpan value)>& fn) const;

private:
    struct Impl;
    explicit Database(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace step::node
