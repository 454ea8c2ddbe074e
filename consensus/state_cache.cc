#include "consensus/state_cache.h"

namespace step::consensus::detail {

Result<AccountState*> StateCache::account(const Address& addr) {
    auto it = accounts_.find(addr);
    if (it == accounts_.end()) {
        Entry<AccountState> e;
        e.original = base_.get(account_key(addr));
        if (e.original) {
            auto a = decode_account(*e.original);
            if (!a.ok()) return a.status();
            e.value = std::move(a).value();
        }
        it = accounts_.emplace(addr, std::move(e)).first;
    }
    return &it->second.value;
}

Result<ChainTotals*> StateCache::totals() {
    if (!totals_) {
        Entry<ChainTotals> e;
        e.original = base_.get(totals_key());
        if (e.original) {
            auto t = decode_totals(*e.original);
            if (!t.ok()) return t.status();
            e.value = *t;
        }
        totals_ = std::move(e);
    }
    return &totals_->value;
}

Result<std::vector<Address>*> StateCache::release_list(uint64_t height) {
    auto it = releases_.find(height);
    if (it == releases_.end()) {
        Entry<std::vector<Address>> e;
        e.original = base_.get(release_key(height));
        if (e.original) {
            auto l = decode_release_list(*e.original);
            if (!l.ok()) return l.status();
            e.value = std::move(l).value();
        }
        it = releases_.emplace(height, std::move(e)).first;
    }
    return &it->second.value;
}

KvWrites StateCache::writes() const {
    KvWrites out;
    auto put = [&out](Bytes key, std::optional<Bytes> now, const std::optional<Bytes>& before) {
        if (now != before) out.emplace(std::move(key), std::move(now));
    };
    for (const auto& [addr, e] : accounts_)
        put(account_key(addr),
            e.value.is_empty() ? std::nullopt : std::optional<Bytes>(encode_account(e.value)),
            e.original);
    if (totals_) {
        const auto& t = totals_->value;
        const bool zero = t == ChainTotals{};
        put(totals_key(), zero ? std::nullopt : std::optional<Bytes>(encode_totals(t)),
            totals_->original);
    }
    for (const auto& [h, e] : releases_)
        put(release_key(h),
            e.value.empty() ? std::nullopt : std::optional<Bytes>(encode_release_list(e.value)),
            e.original);
    return out;
}

}  // namespace step::consensus::detail
