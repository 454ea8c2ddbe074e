#include "consensus/state_cache.h"

namespace step::consensus::detail {

Result<AccountState*> StateCache::account(const Address& addr) {
    auto it = d_.accounts.find(addr);
    if (it == d_.accounts.end()) {
        Entry<AccountState> e;
        e.original = base_.get(account_key(addr));
        if (e.original) {
            auto a = decode_account(*e.original);
            if (!a.ok()) return a.status();
            e.value = std::move(a).value();
        }
        it = d_.accounts.emplace(addr, std::move(e)).first;
    }
    return &it->second.value;
}

Result<ChainTotals*> StateCache::totals() {
    if (!d_.totals) {
        Entry<ChainTotals> e;
        e.original = base_.get(totals_key());
        if (e.original) {
            auto t = decode_totals(*e.original);
            if (!t.ok()) return t.status();
            e.value = *t;
        }
        d_.totals = std::move(e);
    }
    return &d_.totals->value;
}

Result<std::vector<Address>*> StateCache::release_list(uint64_t height) {
    auto it = d_.releases.find(height);
    if (it == d_.releases.end()) {
        Entry<std::vector<Address>> e;
        e.original = base_.get(release_key(height));
        if (e.original) {
            auto l = decode_release_list(*e.original);
            if (!l.ok()) return l.status();
            e.value = std::move(l).value();
        }
        it = d_.releases.emplace(height, std::move(e)).first;
    }
    return &it->second.value;
}

std::optional<Bytes>* StateCache::raw(const Bytes& key) {
    auto it = d_.raw.find(key);
    if (it == d_.raw.end()) {
        Entry<std::optional<Bytes>> e;
        e.original = base_.get(key);
        e.value = e.original;
        it = d_.raw.emplace(key, std::move(e)).first;
    }
    return &it->second.value;
}

StateCache::Snapshot StateCache::save() const { return Snapshot{d_}; }

void StateCache::restore(Snapshot s) { d_ = std::move(s.data); }

KvWrites StateCache::writes() const {
    KvWrites out;
    auto put = [&out](Bytes key, std::optional<Bytes> now, const std::optional<Bytes>& before) {
        if (now != before) out.emplace(std::move(key), std::move(now));
    };
    for (const auto& [addr, e] : d_.accounts)
        put(account_key(addr),
            e.value.is_empty() ? std::nullopt : std::optional<Bytes>(encode_account(e.value)),
            e.original);
    if (d_.totals) {
        const auto& t = d_.totals->value;
        const bool zero = t == ChainTotals{};
        put(totals_key(), zero ? std::nullopt : std::optional<Bytes>(encode_totals(t)),
            d_.totals->original);
    }
    for (const auto& [h, e] : d_.releases)
        put(release_key(h),
            e.value.empty() ? std::nullopt : std::optional<Bytes>(encode_release_list(e.value)),
            e.original);
    for (const auto& [k, e] : d_.raw) put(k, e.value, e.original);
    return out;
}

}  // namespace step::consensus::detail
