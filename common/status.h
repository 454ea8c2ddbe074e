// Errors as values at module boundaries (STYLE.md): a machine-readable code plus a human message.
#pragma once

#include <cassert>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace step {

// What kind of failure a code is: callers that must decide by kind (P2P: punish the peer or not;
// the chain: mark a block invalid or stop; RPC: which JSON-RPC error) ask this, never the string.
enum class ErrorCategory : uint8_t {
    kConsensus,  // invalid by the consensus rules: whoever sent it sent something invalid
    kPolicy,     // valid, but refused by local policy (mempool fee floor, a full store)
    kMalformed,  // input that does not parse or is out of bounds (bytes, options, user input)
    kInternal,   // this program or its surroundings failed (a bug, no device, unreachable node);
                 // says nothing about the input
    kStorage,    // the disk or database failed or holds corrupt data: says nothing about the input
    // The thing asked for does not exist (a blob, a key, a file). Its own kind because callers
    // act on it: the blob RPC answers "not found" and the wallet uploads a blob the node lacks.
    kNotFound,
};

// "consensus", "policy", "malformed", "internal", "storage", "not-found": logs and RPC
// (error.data.category). Stable, like the codes.
constexpr std::string_view category_name(ErrorCategory c) {
    switch (c) {
        case ErrorCategory::kConsensus: return "consensus";
        case ErrorCategory::kPolicy: return "policy";
        case ErrorCategory::kMalformed: return "malformed";
        case ErrorCategory::kInternal: return "internal";
        case ErrorCategory::kStorage: return "storage";
        case ErrorCategory::kNotFound: return "not-found";
    }
    return "internal";
}

// The category named `name` (category_name's inverse); nullopt for a name no category has.
constexpr std::optional<ErrorCategory> category_from_name(std::string_view name) {
    for (auto c : {ErrorCategory::kConsensus, ErrorCategory::kPolicy, ErrorCategory::kMalformed,
                   ErrorCategory::kInternal, ErrorCategory::kStorage, ErrorCategory::kNotFound})
        if (category_name(c) == name) return c;
    return std::nullopt;
}

// A code: its stable kebab-case name (what peers, RPC clients and tests see) and its category,
// defined together once as a constexpr constant in the errors.h of the part that emits it.
struct ErrorCode {
    std::string_view name;
    ErrorCategory category;
};

// A Status is either ok or an error with a code and a message for people.
class Status {
public:
    Status() = default;
    static Status ok_status() { return Status(); }
    static Status error(const ErrorCode& code, std::string message) {
        return Status(std::string(code.name), code.category, std::move(message));
    }
    // A Status whose code was read back from outside this process: a node's JSON-RPC error
    // (error.data.code and .category) or a code stored on disk. Never for a new code: those
    // are ErrorCode constants.
    static Status from_received(std::string code, ErrorCategory category, std::string message) {
        assert(!code.empty());
        return Status(std::move(code), category, std::move(message));
    }

    bool ok() const { return code_.empty(); }
    const std::string& code() const { return code_; }
    ErrorCategory category() const { return category_; }
    std::string_view category_name() const { return step::category_name(category_); }
    const std::string& message() const { return message_; }
    // An error with this code (name and category; two parts may spell a code alike).
    bool is(const ErrorCode& c) const { return !ok() && c.name == code_ && c.category == category_; }
    // The same error (code and category) with another message, e.g. one with more context.
    Status with_message(std::string message) const {
        assert(!ok());
        return Status(code_, category_, std::move(message));
    }
    std::string to_string() const { return ok() ? "ok" : code_ + ": " + message_; }

private:
    Status(std::string code, ErrorCategory category, std::string message)
        : code_(std::move(code)), message_(std::move(message)), category_(category) {}

    std::string code_;
    std::string message_;
    ErrorCategory category_ = ErrorCategory::kInternal;
};

// Result<T> holds a value or an error Status. Accessing value() of an error is a bug (asserted).
template <class T>
class Result {
public:
    Result(T value) : v_(std::move(value)) {}                        // NOLINT: implicit by design
    Result(Status status) : v_(std::move(status)) { assert(!std::get<Status>(v_).ok()); }  // NOLINT

    bool ok() const { return std::holds_alternative<T>(v_); }
    const T& value() const& {
        assert(ok());
        return std::get<T>(v_);
    }
    T& value() & {
        assert(ok());
        return std::get<T>(v_);
    }
    T&& value() && {
        assert(ok());
        return std::get<T>(std::move(v_));
    }
    const T& operator*() const& { return value(); }
    T& operator*() & { return value(); }
    const T* operator->() const { return &value(); }
    T* operator->() { return &value(); }

    // The error; ok Status when this holds a value.
    Status status() const { return ok() ? Status() : std::get<Status>(v_); }

private:
    std::variant<T, Status> v_;
};

}  // namespace step

// Propagate an error Status out of the enclosing function.
#define STEP_TRY(expr)                          \
    do {                                        \
        ::step::Status step_try_status_ = (expr); \
        if (!step_try_status_.ok()) return step_try_status_; \
    } while (0)
