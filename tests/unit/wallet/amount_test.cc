#include <catch2/catch.hpp>

#include "wallet/amount.h"

using namespace step::wallet;

static uint64_t units_of(const char* text) {
    auto r = parse_step_amount(text);
    REQUIRE(r.ok());
    return r->units();
}

static std::string code_of(const char* text) {
    auto r = parse_step_amount(text);
    REQUIRE_FALSE(r.ok());
    return r.status().code();
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
    CHECK(code_of("") == "amount-syntax");
    CHECK(code_of("abc") == "amount-syntax");
    CHECK(code_of("1.2.3") == "amount-syntax");
    CHECK(code_of("1e9") == "amount-syntax");
    CHECK(code_of(" 1") == "amount-syntax");
    CHECK(code_of("1 ") == "amount-syntax");
    CHECK(code_of("1.") == "amount-syntax");
    CHECK(code_of(".5") == "amount-syntax");
    CHECK(code_of("+1") == "amount-syntax");
    CHECK(code_of("1,5") == "amount-syntax");
    CHECK(code_of("-1") == "amount-negative");
    CHECK(code_of("-0.5") == "amount-negative");
    CHECK(code_of("0.0000000001") == "amount-precision");
    CHECK(code_of("1.0000000000") == "amount-precision");
    CHECK(code_of("18446744073.709551616") == "amount-overflow");
    CHECK(code_of("18446744074") == "amount-overflow");
    CHECK(code_of("99999999999999999999999") == "amount-overflow");
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
    CHECK(parse_base_units("18446744073709551616").status().code() == "amount-overflow");
    CHECK(parse_base_units("").status().code() == "amount-syntax");
    CHECK(parse_base_units("1.5").status().code() == "amount-syntax");
    CHECK(parse_base_units("-1").status().code() == "amount-syntax");
}

TEST_CASE("checked_add reports overflow instead of wrapping") {
    CHECK(checked_add(Amount::from_units(2), Amount::from_units(3))->units() == 5);
    CHECK(checked_add(Amount::from_units(UINT64_MAX), Amount::from_units(1)).status().code() ==
          "amount-overflow");
}
