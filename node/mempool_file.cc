#include "node/mempool_file.h"

#include "consensus/encoding.h"
#include "consensus/proto/chain.pb.h"
#include "node/errors.h"

namespace step::node {

size_t max_mempool_file_bytes(const MempoolFileLimits& limits) {
    const size_t max_records = limits.max_pool_bytes / kMempoolFileMinTxBytes;
    return kMempoolFileHeaderBytes + limits.max_pool_bytes +
           max_records * kMempoolFileRecordHeaderBytes + kMempoolFileChecksumBytes;
}

RecordFileFormat mempool_file_format(const MempoolFileLimits& limits) {
    RecordFileFormat f;
    f.name = "mempool";
    f.magic = {'S', 'T', 'E', 'P', 'M', 'P', 'L', 0};
    f.version = kMempoolFileVersion;
    f.max_file_bytes = max_mempool_file_bytes(limits);
    f.max_record_bytes = limits.max_tx_bytes;
    f.codes = {
        codes::kMempoolFileMissing,      codes::kMempoolFileIo,       codes::kMempoolFileTooLarge,
        codes::kMempoolFileMagic,        codes::kMempoolFileVersion,  codes::kMempoolFileTruncated,
        codes::kMempoolFileTrailingData, codes::kMempoolFileChecksum, codes::kMempoolFileMalformed};
    return f;
}

Bytes encode_mempool_file(const std::vector<pb::Transaction>& txs) {
    std::vector<Bytes> records;
    records.reserve(txs.size());
    for (const auto& tx : txs) records.push_back(consensus::encode_tx(tx));
    return encode_record_file(mempool_file_format({}), records);
}

Result<std::vector<Bytes>> decode_mempool_file(ByteSpan file, const MempoolFileLimits& limits) {
    return decode_record_file(file, mempool_file_format(limits));
}

Status write_mempool_file(const std::string& path, const std::vector<pb::Transaction>& txs) {
    return write_file_atomically(path, encode_mempool_file(txs), mempool_file_format({}));
}

Result<std::vector<Bytes>> read_mempool_file(const std::string& path,
                                             const MempoolFileLimits& limits) {
    return read_record_file(path, mempool_file_format(limits));
}

}  // namespace step::node
