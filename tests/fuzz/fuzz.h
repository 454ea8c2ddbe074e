// One fuzz harness per decoder that reads bytes from outside (docs/development.md, "Fuzzing").
// A harness is one function written with STEP_FUZZ_TARGET(name) in tests/fuzz/<name>.cc. It is
// compiled two ways: as a libFuzzer binary in the sanitizer build (fuzz_main.cc supplies
// LLVMFuzzerTestOneInput), and into the g++ unit test test-fuzz-corpus, which replays every
// committed file of tests/fuzz/corpus/<name>/ through the same function.
//
// A harness returns normally for every input. Decoders reject bad bytes with a Status; anything
// else (a crash, an uncaught exception, a sanitizer report, a failed STEP_FUZZ_CHECK such as a
// decoded value that does not re-encode to its bytes) is a finding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace step::fuzz {

using TargetFn = void (*)(const uint8_t* data, size_t size);

struct Target {
    std::string_view name;
    TargetFn run;
};

// Every target linked into this binary, in registration order.
std::vector<Target>& targets();

struct Registration {
    Registration(std::string_view name, TargetFn run) { targets().push_back({name, run}); }
};

// Reports a broken invariant with its place and aborts: a finding under libFuzzer and a failed
// (crashed) test in the corpus replay.
[[noreturn]] void check_failed(const char* what, const char* file, int line);

// A checksummed file (node/record_file.h) as the fuzzer wrote it, or, when `fix` is set, with its
// last 32 bytes replaced by the SHA-256 of the rest, so mutations reach the record parser
// instead of stopping at the checksum.
std::vector<uint8_t> record_file_bytes(std::string_view file, bool fix);

// Splits a fuzz input into the pieces harnesses need: a few leading control bytes, then the rest.
class Input {
public:
    Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
    // The next byte, 0 once exhausted.
    uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
    // Everything not consumed yet.
    std::string_view rest() const {
        return {reinterpret_cast<const char*>(data_) + pos_, size_ - pos_};
    }

private:
    const uint8_t* data_;
    size_t size_;
    size_t pos_ = 0;
};

}  // namespace step::fuzz

#define STEP_FUZZ_CHECK(cond) \
    ((cond) ? static_cast<void>(0) : ::step::fuzz::check_failed(#cond, __FILE__, __LINE__))

// Defines the harness `name`: the body sees `data` and `size`.
#define STEP_FUZZ_TARGET(name)                                                               \
    static void step_fuzz_##name(const uint8_t* data, size_t size);                          \
    static const ::step::fuzz::Registration step_fuzz_registration_##name(#name,             \
                                                                          step_fuzz_##name); \
    static void step_fuzz_##name(const uint8_t* data, size_t size)
