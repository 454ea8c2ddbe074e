// The only I/O seam of consensus: a read-only key-value view of the parent state, and a sorted
// map of writes that consensus hands back (the node stores them in LevelDB atomically).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <stdexcept>

#include "common/bytes.h"
#include "common/status.h"

namespace step::consensus {

// Thrown by a KvRead whose store cannot answer (an I/O error, a corrupt record). A failing disk
// must never look like an absent key: consensus would compute another state and fork the node
// off the network. Consensus lets it pass untouched; the node catches it at its boundaries (an
// RPC call answers an error, a block connect or the miner stops the node, start-up exits with
// a code; docs/storage.md "When storage fails"), as Bitcoin Core does with dbwrapper_error.
class KvReadError : public std::runtime_error {
public:
    explicit KvReadError(Status status)
        : std::runtime_error(status.to_string()), status_(std::move(status)) {}
    const Status& status() const { return status_; }

private:
    Status status_;
};

// Visits one entry of a prefix scan; returns false to stop the scan.
using KvVisitor = std::function<bool(ByteSpan key, ByteSpan value)>;

// Read access to a state snapshot. Contract for implementers: get() returns the exact stored
// bytes, or nullopt when the key is absent; when the store cannot tell (I/O error, corruption)
// it throws KvReadError, never returns nullopt. scan() reports failures the same way. Both are
// called from one thread.
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
