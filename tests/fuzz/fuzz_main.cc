// libFuzzer entry for a binary built from one tests/fuzz/<target>.cc (scripts/fuzz.sh).
#include "tests/fuzz/fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const step::fuzz::TargetFn run = step::fuzz::targets().at(0).run;
    run(data, size);
    return 0;
}
