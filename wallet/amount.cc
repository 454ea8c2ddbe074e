#include "wallet/amount.h"
#include "wallet/errors.h"

#include <limits>

namespace step::wallet {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

Status syntax_error(std::string_view text) {
    return Status::error(codes::kAmountSyntax, "invalid amount '" + std::string(text) +
                                              "': expected a number of STEP such as 1.5");
}

Status overflow_error(std::string_view text) {
    return Status::error(codes::kAmountOverflow,
                         "amount '" + std::string(text) + "' is too large (at most " +
                             format_step_amount(Amount::from_units(
                                 std::numeric_limits<uint64_t>::max())) +
                             " STEP)");
}

// Accumulates decimal digits into v, reporting false on u64 overflow.
bool accumulate_digits(std::string_view digits, uint64_t& v) {
    constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
    for (char c : digits) {
        uint64_t d = static_cast<uint64_t>(c - '0');
        if (v > (kMax - d) / 10) return false;
        v = v * 10 + d;
    }
    return true;
}

bool all_digits(std::string_view s) {
    for (char c : s)
        if (!is_digit(c)) return false;
    return true;
}

}  // namespace

Result<Amount> parse_step_amount(std::string_view text) {
    if (text.empty()) return Status::error(codes::kAmountSyntax, "empty amount");
    if (text.front() == '-')
        return Status::error(codes::kAmountNegative,
                             "amount '" + std::string(text) + "' is negative");
    size_t dot = text.find('.');
    std::string_view whole = text.substr(0, dot);
    std::string_view frac = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
    // Digits are required on both sides of a point: "1." and ".5" are more likely typos than
    // intent, and a strict grammar keeps what a script passes identical to what is sent.
    if (whole.empty() || !all_digits(whole)) return syntax_error(text);
    if (dot != std::string_view::npos && (frac.empty() || !all_digits(frac)))
        return syntax_error(text);
    if (frac.size() > static_cast<size_t>(kStepDecimals))
        return Status::error(codes::kAmountPrecision, "amount '" + std::string(text) +
                                                     "' has more than 9 decimals (1 base unit "
                                                     "is 0.000000001 STEP)");
    uint64_t whole_steps = 0;
    if (!accumulate_digits(whole, whole_steps)) return overflow_error(text);
    uint64_t frac_units = 0;
    accumulate_digits(frac, frac_units);  // at most 9 digits: cannot overflow
    for (size_t i = frac.size(); i < static_cast<size_t>(kStepDecimals); ++i) frac_units *= 10;
    constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
    if (whole_steps > (kMax - frac_units) / kUnitsPerStep) return overflow_error(text);
    return Amount::from_units(whole_steps * kUnitsPerStep + frac_units);
}

Result<Amount> parse_base_units(std::string_view text) {
    if (text.empty() || !all_digits(text))
        return Status::error(codes::kAmountSyntax,
                             "invalid base-unit amount '" + std::string(text) + "'");
    uint64_t v = 0;
    if (!accumulate_digits(text, v))
        return Status::error(codes::kAmountOverflow,
                             "base-unit amount '" + std::string(text) + "' exceeds 64 bits");
    return Amount::from_units(v);
}

std::string format_step_amount(Amount amount) {
    uint64_t whole = amount.units() / kUnitsPerStep;
    uint64_t frac = amount.units() % kUnitsPerStep;
    std::string out = std::to_string(whole);
    if (frac == 0) return out;
    std::string digits = std::to_string(frac);
    digits.insert(0, static_cast<size_t>(kStepDecimals) - digits.size(), '0');
    while (digits.back() == '0') digits.pop_back();
    return out + "." + digits;
}

std::string format_base_units(Amount amount) { return std::to_string(amount.units()); }

Result<Amount> checked_add(Amount a, Amount b) {
    if (a.units() > std::numeric_limits<uint64_t>::max() - b.units())
        return Status::error(codes::kAmountOverflow, "amount sum exceeds 64 bits");
    return Amount::from_units(a.units() + b.units());
}

}  // namespace step::wallet
