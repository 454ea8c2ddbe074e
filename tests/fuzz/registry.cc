#include <cstdio>
#include <cstdlib>

#include "common/coding.h"
#include "common/hash.h"
#include "tests/fuzz/fuzz.h"

namespace step::fuzz {

std::vector<Target>& targets() {
    static std::vector<Target> all;
    return all;
}

void check_failed(const char* what, const char* file, int line) {
    std::fprintf(stderr, "fuzz check failed: %s at %s:%d\n", what, file, line);
    std::abort();
}

std::vector<uint8_t> record_file_bytes(std::string_view file, bool fix) {
    std::vector<uint8_t> bytes(file.begin(), file.end());
    if (!fix || bytes.size() < kHashBytes) return bytes;
    const size_t content = bytes.size() - kHashBytes;
    const Hash256 sum = sha256(ByteSpan(bytes.data(), content));
    std::copy(sum.begin(), sum.end(), bytes.begin() + static_cast<long>(content));
    return bytes;
}

}  // namespace step::fuzz
