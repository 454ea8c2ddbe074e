// Byte containers and hex conversion shared by every part.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace step {

using Bytes = std::vector<uint8_t>;
using ByteSpan = std::span<const uint8_t>;
using Hash256 = std::array<uint8_t, 32>;

inline ByteSpan as_bytes(std::string_view s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Lowercase hex, two digits a byte.
std::string to_hex(ByteSpan data);
// Accepts upper or lower case; nullopt on odd length or a non-hex digit.
std::optional<Bytes> from_hex(std::string_view hex);
// Exactly 32 bytes of hex, or nullopt.
std::optional<Hash256> hash_from_hex(std::string_view hex);

}  // namespace step
