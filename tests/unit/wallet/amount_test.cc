#include <catch2/catch.hpp>

#include "wallet/amount.h"
#include "wallet/errors.h"
#include "tests/support/status_check.h"

using namespace step::wallet;

static uint64_t units_of(const char* text) {
    auto r = parse_step_amount(text);
    REQUIRE(r.ok());
    return r->units();
}

static step::Status code_of(const char* text) {
    auto r = parse_step_amount(text);
    REQUIRE_FALSE(r.ok());
    return r.status();
}

TEST_CASE("STEP amounts parse to base units with up to 9 decimals") {
    CHECK(units_of("0") == 0);
    CHECK(units_of("1") == 1'000'000'000);
    CHECK(units_of("1.5") == 1'500'000'000);
    CHECK(units_of("0.000000001") == 1);
    CHECK(units_of("0.1") == 100'000'000);
    CHECK(units_of("007.250") == 7'250'000'000);
    CHECK(units_of("18446744073.709551615") == UINT64_MAX);
}

TEST_CASE("STEP amount parsing rejects junk, signs, extra decimals and overflow") {
    CHECK(code_of("") == step::wallet::codes::kAmountSyntax);
    CHECK(code_of("abc") == step::wallet::codes::kAmountSyntax);
    CHECK(code_of("1.2.3") == step::wallet::codes::kAmountSyntax);
    CHECK(code_of("1e9") == step::wallet::codes::kAmountSyntax);
    CHECK(code_of(" 1") == step::wallet::codes::kAmountSyntax);
    CHECK(code_of("1 ") == step::wallet::codes::kAmountSyntax);
    CHECK(code_of("1.") == step::wallet::codes::kAmountSyntax);
    CHECK(code_of(".5") == step::wallet::codes::kAmountSyntax);
    CHECK(code_of("+1") == step::wallet::codes::kAmountSyntax);
    CHECK(code_of("1,5") == step::wallet::codes::kAmountSyntax);
    CHECK(code_of("-1") == step::wallet::codes::kAmountNegative);
    CHECK(code_of("-0.5") == step::wallet::codes::kAmountNegative);
    CHECK(code_of("0.0000000001") == step::wallet::codes::kAmountPrecision);
    CHECK(code_of("1.0000000000") == step::wallet::codes::kAmountPrecision);
    CHECK(code_of("18446744073.709551616") == step::wallet::codes::kAmountOverflow);
    CHECK(code_of("18446744074") == step::wallet::codes::kAmountOverflow);
    CHECK(code_of("99999999999999999999999") == step::wallet::codes::kAmountOverflow);
}

TEST_CASE("STEP amounts format as the shortest exact decimal and round-trip") {
    CHECK(format_step_amount(Amount::from_units(0)) == "0");
    CHECK(format_step_amount(Amount::from_units(1)) == "0.000000001");
    CHECK(format_step_amount(Amount::from_units(1'500'000'000)) == "1.5");
    CHECK(format_step_amount(Amount::from_units(10'000'000'000)) == "10");
    CHECK(format_step_amount(Amount::from_units(UINT64_MAX)) == "18446744073.709551615");
    for (uint64_t u : std::initializer_list<uint64_t>{0, 1, 10, 999'999'999, 1'000'000'001, 123'456'789'012,
                       UINT64_MAX - 1, UINT64_MAX}) {
        auto back = parse_step_amount(format_step_amount(Amount::from_units(u)));
        REQUIRE(back.ok());
        CHECK(back->units() == u);
    }
}

TEST_CASE("base-unit strings from the RPC parse strictly") {
    auto r = parse_base_units("1500000000");
    REQUIRE(r.ok());
    CHECK(r->units() == 1'500'000'000);
    CHECK(format_base_units(*r) == "1500000000");
    CHECK(parse_base_units("18446744073709551615").ok());
    CHECK(parse_base_units("18446744073709551616").status() == step::wallet::codes::kAmountOverflow);
    CHECK(parse_base_units("").status() == step::wallet::codes::kAmountSyntax);
    CHECK(parse_base_units("1.5").status() == step::wallet::codes::kAmountSyntax);
    CHECK(parse_base_units("-1").status() == step::wallet::codes::kAmountSyntax);
}

TEST_CASE("checked_add reports overflow instead of wrapping") {
    CHECK(checked_add(Amount::from_units(2), Amount::from_units(3))->units() == 5);
    CHECK(checked_add(Amount::from_units(UINT64_MAX), Amount::from_units(1)).status() ==
          step::wallet::codes::kAmountOverflow);
}
