// Tests compare a Status with a code constant, never with a retyped string:
//     CHECK(check_transaction(tx, p) == codes::kBadSignature);
// is true when the Status is that error (name and category, Status::is), and Catch prints both
// sides when it is not.
#pragma once

#include <catch2/catch.hpp>
#include <string>

#include "common/status.h"

namespace step {

inline bool operator==(const Status& s, const ErrorCode& c) {
    return s.is(c);
}
inline bool operator!=(const Status& s, const ErrorCode& c) {
    return !s.is(c);
}

}  // namespace step

namespace Catch {

template <>
struct StringMaker<step::Status> {
    static std::string convert(const step::Status& s) {
        if (s.ok()) return "ok";
        return s.code() + " (" + std::string(s.category_name()) + "): " + s.message();
    }
};

template <>
struct StringMaker<step::ErrorCode> {
    static std::string convert(const step::ErrorCode& c) {
        return std::string(c.name) + " (" + std::string(step::category_name(c.category)) + ")";
    }
};

}  // namespace Catch

// A code's name as std::string, to compare with JSON answers (error.data.code, --output json).
inline std::string name_of(const step::ErrorCode& c) {
    return std::string(c.name);
}
