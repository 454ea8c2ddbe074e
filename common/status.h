// Errors as values at module boundaries (STYLE.md): a machine-readable code plus a human message.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace step {

// A Status is either ok or an error with a stable, machine-readable code (kebab-case, e.g.
// "bad-signature") and a message for people. Codes are owned by the module that emits them.
class Status {
public:
    Status() = default;
    static Status ok_status() { return Status(); }
    static Status error(std::string code, std::string message) {
        Status s;
        s.code_ = std::move(code);
        s.message_ = std::move(message);
        return s;
    }

    bool ok() const { return code_.empty(); }
    const std::string& code() const { return code_; }
    const std::string& message() const { return message_; }
    std::string to_string() const { return ok() ? "ok" : code_ + ": " + message_; }

private:
    std::string code_;
    std::string message_;
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
