#include "consensus/kv.h"

#include <algorithm>

namespace step::consensus {

bool BytesLess::operator()(ByteSpan a, ByteSpan b) const {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
}

std::optional<Bytes> MemoryKv::get(ByteSpan key) const {
    auto it = data_.find(key);
    if (it == data_.end()) return std::nullopt;
    return it->second;
}

bool MemoryKv::scan(ByteSpan prefix, const KvVisitor& fn) const {
    for (auto it = data_.lower_bound(prefix); it != data_.end(); ++it) {
        const Bytes& k = it->first;
        if (k.size() < prefix.size() || !std::equal(prefix.begin(), prefix.end(), k.begin())) break;
        if (!fn(k, it->second)) break;
    }
    return true;
}

void MemoryKv::apply(const KvWrites& writes) {
    for (const auto& [k, v] : writes) {
        if (v)
            data_[k] = *v;
        else
            data_.erase(k);
    }
}

std::optional<Bytes> OverlayKv::get(ByteSpan key) const {
    auto it = writes_.find(Bytes(key.begin(), key.end()));
    if (it != writes_.end()) return it->second;
    return base_.get(key);
}

void OverlayKv::apply(const KvWrites& writes) {
    for (const auto& [k, v] : writes) writes_[k] = v;
}

}  // namespace step::consensus
