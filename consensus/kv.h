// The only I/O seam of consensus: a read-only key-value view of the parent state, and a sorted
// map of writes that consensus hands back (the node stores them in LevelDB atomically).
#pragma once

#include <functional>
#include <map>
#include <optional>

#include "common/bytes.h"

namespace step::consensus {

// Read access to a state snapshot. Contract for implementers: get() must return the exact
// stored bytes or nullopt when the key is absent. An I/O failure must NOT look like absence
// (that would fork the node): abort or throw instead. get() is called from one thread.
// Visits one entry of a prefix scan; returns false to stop the scan.
using KvVisitor = std::function<bool(ByteSpan key, ByteSpan value)>;

class KvRead {
public:
    virtual ~KvRead() = default;
    virtual std::optional<Bytes> get(ByteSpan key) const = 0;
    // Visits the entries whose key starts with prefix, in key order. Consensus only makes point
    // reads, so any store can serve it; read-only listings (RPC) scan where the store can and
    // get false where it cannot.
    virtual bool scan(ByteSpan prefix, const KvVisitor& fn) const {
        (void)prefix;
        (void)fn;
        return false;
    }
};

// key -> new value, nullopt = delete. Sorted, so the byte order of a batch is deterministic.
using KvWrites = std::map<Bytes, std::optional<Bytes>>;

// Byte-wise ordering that also compares against a ByteSpan, so lookups need no key copy.
struct BytesLess {
    using is_transparent = void;
    bool operator()(ByteSpan a, ByteSpan b) const;
};

// In-memory store: the reference implementation used by tests and benchmarks.
class MemoryKv final : public KvRead {
public:
    std::optional<Bytes> get(ByteSpan key) const override;
    bool scan(ByteSpan prefix, const KvVisitor& fn) const override;
    void apply(const KvWrites& writes);
    size_t size() const { return data_.size(); }
    const std::map<Bytes, Bytes, BytesLess>& data() const { return data_; }

private:
    std::map<Bytes, Bytes, BytesLess> data_;
};

// A base view with pending writes layered on top (reads see the writes first). The base must
// outlive the overlay. Useful to validate a chain of mempool transactions or blocks in memory.
class OverlayKv final : public KvRead {
public:
    explicit OverlayKv(const KvRead& base) : base_(base) {}
    std::optional<Bytes> get(ByteSpan key) const override;
    void apply(const KvWrites& writes);
    const KvWrites& writes() const { return writes_; }

private:
    const KvRead& base_;
    KvWrites writes_;
};

}  // namespace step::consensus
