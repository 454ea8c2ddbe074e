// STEP amounts as the wallet shows and reads them: a typed u64 of base units (1 STEP = 10^9
// units, PROTOCOL.md section 2) written as a decimal with at most 9 fractional digits.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace step::wallet {

inline constexpr uint64_t kUnitsPerStep = 1'000'000'000;
inline constexpr int kStepDecimals = 9;

// A quantity of base units. Typed so a count of STEP can never be mistaken for base units.
class Amount {
public:
    constexpr Amount() = default;
    static constexpr Amount from_units(uint64_t units) { return Amount(units); }
    constexpr uint64_t units() const { return units_; }
    auto operator<=>(const Amount&) const = default;

private:
    constexpr explicit Amount(uint64_t units) : units_(units) {}
    uint64_t units_ = 0;
};

// Parses STEP text as people type it: "1", "1.5", "0.000000001". Rejected, each with its code:
// empty text or junk (amount-syntax), a sign (amount-negative for '-', amount-syntax for '+'),
// more than 9 decimals (amount-precision), more than u64 base units (amount-overflow).
Result<Amount> parse_step_amount(std::string_view text);

// Parses base units as the RPC sends them: a decimal string of digits only, e.g. "1500000000".
Result<Amount> parse_base_units(std::string_view text);

// Shortest exact STEP text: "1.5", "10", "0.000000001", "0". parse_step_amount inverts it.
std::string format_step_amount(Amount amount);

// Base units as a decimal string, as the RPC expects them.
std::string format_base_units(Amount amount);

// Overflow-checked sum; amount-overflow when it exceeds u64 base units.
Result<Amount> checked_add(Amount a, Amount b);

}  // namespace step::wallet
