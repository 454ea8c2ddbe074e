// Internal to node/chain: reads a 32-byte hash field of a stored header.
#pragma once

#include <cstring>
#include <string>

#include "common/bytes.h"

namespace step::node {

// The field's 32 bytes; all zero when it has another length (stored headers were checked, so
// only genesis's zero prev_hash ever meets that case).
inline Hash256 hash_of_field(const std::string& s) {
    Hash256 h{};
    if (s.size() == h.size()) std::memcpy(h.data(), s.data(), h.size());
    return h;
}

}  // namespace step::node
