// BIP-350 bech32m, written from the specification (BIP-173 structure, constant 0x2bc830a3).
#include "consensus/bech32.h"

namespace step::consensus {
namespace {

constexpr char kCharset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
constexpr uint32_t kBech32mConst = 0x2bc830a3;
constexpr size_t kMaxLength = 90;

uint32_t polymod(const std::vector<uint8_t>& values) {
    static constexpr uint32_t kGen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd,
                                         0x2a1462b3};
    uint32_t chk = 1;
    for (uint8_t v : values) {
        const uint32_t top = chk >> 25;
        chk = ((chk & 0x1ffffff) << 5) ^ v;
        for (int i = 0; i < 5; ++i)
            if ((top >> i) & 1) chk ^= kGen[i];
    }
    return chk;
}

std::vector<uint8_t> hrp_expand(std::string_view hrp) {
    std::vector<uint8_t> out;
    out.reserve(hrp.size() * 2 + 1);
    for (char c : hrp) out.push_back(static_cast<uint8_t>(static_cast<uint8_t>(c) >> 5));
    out.push_back(0);
    for (char c : hrp) out.push_back(static_cast<uint8_t>(static_cast<uint8_t>(c) & 31));
    return out;
}

int charset_index(char c) {
    for (int i = 0; i < 32; ++i)
        if (kCharset[i] == c) return i;
    return -1;
}

}  // namespace

std::optional<std::string> bech32m_encode(std::string_view hrp, const std::vector<uint8_t>& data) {
    if (hrp.empty() || hrp.size() > 83 || hrp.size() + 1 + data.size() + 6 > kMaxLength)
        return std::nullopt;
    std::string lower;
    for (char c : hrp) {
        if (c < 33 || c > 126) return std::nullopt;
        lower.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
    }
    for (uint8_t v : data)
        if (v > 31) return std::nullopt;
    std::vector<uint8_t> values = hrp_expand(lower);
    values.insert(values.end(), data.begin(), data.end());
    values.insert(values.end(), 6, 0);
    const uint32_t mod = polymod(values) ^ kBech32mConst;
    std::string out = lower + "1";
    for (uint8_t v : data) out.push_back(kCharset[v]);
    for (int i = 0; i < 6; ++i) out.push_back(kCharset[(mod >> (5 * (5 - i))) & 31]);
    return out;
}

std::optional<Bech32Decoded> bech32m_decode(std::string_view text) {
    if (text.size() > kMaxLength) return std::nullopt;
    bool has_lower = false, has_upper = false;
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 33 || u > 126) return std::nullopt;
        has_lower |= (c >= 'a' && c <= 'z');
        has_upper |= (c >= 'A' && c <= 'Z');
    }
    if (has_lower && has_upper) return std::nullopt;
    const size_t sep = text.rfind('1');
    // Non-empty hrp, and at least the 6 checksum characters after the separator.
    if (sep == std::string_view::npos || sep == 0 || sep + 7 > text.size()) return std::nullopt;
    Bech32Decoded out;
    for (size_t i = 0; i < sep; ++i) {
        char c = text[i];
        out.hrp.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
    }
    std::vector<uint8_t> data;
    for (size_t i = sep + 1; i < text.size(); ++i) {
        char c = text[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        const int v = charset_index(c);
        if (v < 0) return std::nullopt;
        data.push_back(static_cast<uint8_t>(v));
    }
    std::vector<uint8_t> values = hrp_expand(out.hrp);
    values.insert(values.end(), data.begin(), data.end());
    if (polymod(values) != kBech32mConst) return std::nullopt;
    data.resize(data.size() - 6);
    out.data = std::move(data);
    return out;
}

std::optional<std::vector<uint8_t>> convert_bits(const std::vector<uint8_t>& in, int from_bits,
                                                 int to_bits, bool pad) {
    uint32_t acc = 0;
    int bits = 0;
    const uint32_t maxv = (1u << to_bits) - 1;
    std::vector<uint8_t> out;
    for (uint8_t v : in) {
        if ((v >> from_bits) != 0) return std::nullopt;
        acc = (acc << from_bits) | v;
        bits += from_bits;
        while (bits >= to_bits) {
            bits -= to_bits;
            out.push_back(static_cast<uint8_t>((acc >> bits) & maxv));
        }
    }
    if (pad) {
        if (bits > 0) out.push_back(static_cast<uint8_t>((acc << (to_bits - bits)) & maxv));
    } else if (bits >= from_bits || ((acc << (to_bits - bits)) & maxv) != 0) {
        return std::nullopt;
    }
    return out;
}

}  // namespace step::consensus
