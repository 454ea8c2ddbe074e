#include <catch2/catch.hpp>
#include <string>

#include "common/status.h"

using namespace step;

namespace {

constexpr ErrorCode kRefused{"test-refused", ErrorCategory::kPolicy};
constexpr ErrorCode kRefusedBroken{"test-refused", ErrorCategory::kStorage};  // same spelling

}  // namespace

TEST_CASE("an error carries its code's name and category") {
    const Status s = Status::error(kRefused, "no room");
    CHECK_FALSE(s.ok());
    CHECK(s.code() == "test-refused");
    CHECK(s.category() == ErrorCategory::kPolicy);
    CHECK(s.category_name() == "policy");
    CHECK(s.message() == "no room");
    CHECK(s.to_string() == "test-refused: no room");
}

TEST_CASE("is() matches name and category, never an ok status") {
    CHECK(Status::error(kRefused, "m").is(kRefused));
    CHECK_FALSE(Status::error(kRefused, "m").is(kRefusedBroken));
    CHECK_FALSE(Status().is(kRefused));
}

TEST_CASE("with_message keeps the code and category") {
    const Status s = Status::error(kRefused, "inner").with_message("outer: inner");
    CHECK(s.is(kRefused));
    CHECK(s.message() == "outer: inner");
}

TEST_CASE("category names round-trip and unknown names are refused") {
    for (auto c : {ErrorCategory::kConsensus, ErrorCategory::kPolicy, ErrorCategory::kMalformed,
                   ErrorCategory::kInternal, ErrorCategory::kStorage, ErrorCategory::kNotFound})
        CHECK(category_from_name(category_name(c)) == c);
    CHECK(category_name(ErrorCategory::kNotFound) == "not-found");
    CHECK_FALSE(category_from_name("").has_value());
    CHECK_FALSE(category_from_name("Consensus").has_value());
}

TEST_CASE("a received code keeps the category it came with") {
    const Status s = Status::from_received("test-refused", ErrorCategory::kPolicy, "from a node");
    CHECK(s.is(kRefused));
    CHECK(s.message() == "from a node");
}
