// The record-file layout shared by mempool.dat and peers.dat (node/record_file.h), read with
// small bounds so the fuzzer reaches every size check. A file that decodes re-encodes to itself.
#include "node/record_file.h"
#include "node/errors.h"
#include "node/mempool_file.h"
#include "tests/fuzz/fuzz.h"

STEP_FUZZ_TARGET(record_file) {
    using namespace step;
    fuzz::Input in(data, size);
    const uint8_t control = in.byte();
    node::RecordFileFormat format = node::mempool_file_format({4096, 64});
    format.max_file_bytes = 1u + control % 64 * 16;
    format.max_record_bytes = control >> 6 << 3;
    const auto file = fuzz::record_file_bytes(in.rest(), control & 1);
    auto records = node::decode_record_file(file, format);
    if (!records.ok()) return;
    STEP_FUZZ_CHECK(node::encode_record_file(format, *records) == file);
}
