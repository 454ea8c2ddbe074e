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

    // State-key writes whose bytes differ from the base (deletes for emptied values).
    KvWrites writes() const;

private:
    template <class T>
    struct Entry {
        T value;
        std::optional<Bytes> original;
    };
    const KvRead& base_;
    std::map<Address, Entry<AccountState>> accounts_;
    std::optional<Entry<ChainTotals>> totals_;
    std::map<uint64_t, Entry<std::vector<Address>>> releases_;
};

}  // namespace step::consensus::detail
