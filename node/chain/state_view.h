// consensus::KvRead over the chain state stored in LevelDB under the 's' prefix.
#pragma once

#include "consensus/kv.h"
#include "node/storage/block_store.h"
#include "node/storage/database.h"

namespace step::node {

class DbStateView final : public consensus::KvRead {
public:
    explicit DbStateView(const Database& db) : db_(db) {}
    // Read errors throw consensus::KvReadError from Database::get: absence is never a
    // disguised I/O failure.
    std::optional<Bytes> get(ByteSpan key) const override { return db_.get(keys::state(key)); }
    bool scan(ByteSpan prefix, const consensus::KvVisitor& fn) const override {
        const Bytes stored = keys::state(prefix);
        db_.scan(stored, [&](ByteSpan key, ByteSpan value) { return fn(key.subspan(1), value); });
        return true;
    }

private:
    const Database& db_;
};

}  // namespace step::node
