// Bech32m (BIP-350) text encoding, used to show addresses to people ("step1...").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace step::consensus {

struct Bech32Decoded {
    std::string hrp;             // lowercase
    std::vector<uint8_t> data;   // 5-bit groups, checksum removed
};

// hrp: 1..83 chars in 33..126; data: 5-bit values. Returns lowercase text, or nullopt when the
// inputs are out of range or the result would exceed 90 characters.
std::optional<std::string> bech32m_encode(std::string_view hrp, const std::vector<uint8_t>& data);
// Strict BIP-350 decoding with the bech32m constant: nullopt on mixed case, bad characters,
// missing separator, empty hrp, short checksum, > 90 characters or a wrong checksum.
std::optional<Bech32Decoded> bech32m_decode(std::string_view text);

// Regroups bits (8 -> 5 with padding, 5 -> 8 without); nullopt on invalid padding.
std::optional<std::vector<uint8_t>> convert_bits(const std::vector<uint8_t>& in, int from_bits,
                                                 int to_bits, bool pad);

}  // namespace step::consensus
