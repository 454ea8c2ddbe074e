// Internal to consensus/: a write-back cache of decoded state over a KvRead, used while applying
// transactions and blocks. It remembers each key's original bytes, so it can emit exactly the
// writes that change something.
#pragma once

#include <map>
#include <optional>
#include <vector>

#include "common/status.h"
#include "consensus/kv.h"
#include "consensus/state.h"

namespace step::consensus::detail {

class StateCache {
public:
    explicit StateCache(const KvRead& base) : base_(base) {}

    // Pointers stay valid for the cache's life (std::map nodes never move).
    Result<AccountState*> account(const Address& addr);
    Result<ChainTotals*> totals();
    Result<std::vector<Address>*> release_list(uint64_t height);

    // Raw bytes of any other state key (the market's records; nullopt = absent). The caller
    // encodes and decodes; writing nullopt deletes.
    std::optional<Bytes>* raw(const Bytes& key);

    // State-key writes whose bytes differ from the base (deletes for emptied values).
    KvWrites writes() const;

    // Whole-cache copy, so a rule with many steps (the market's) can fail after mutating and
    // leave the cache exactly as it was. Pointers taken before restore() are invalidated.
    struct Snapshot;
    Snapshot save() const;
    void restore(Snapshot s);

private:
    template <class T>
    struct Entry {
        T value;
        std::optional<Bytes> original;
    };
    const KvRead& base_;
    struct Data {
        std::map<Address, Entry<AccountState>> accounts;
        std::optional<Entry<ChainTotals>> totals;
        std::map<uint64_t, Entry<std::vector<Address>>> releases;
        std::map<Bytes, Entry<std::optional<Bytes>>> raw;
    };
    Data d_;

public:
    struct Snapshot {
        Data data;
    };
};

}  // namespace step::consensus::detail
