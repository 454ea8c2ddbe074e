// Records, dataset roots, sharding and the keyed batch order (definitions in data.h).
#include <algorithm>
#include <fstream>
#include <iterator>

#include "common/hash.h"
#include "common/hash_tags.h"
#include "common/merkle.h"
#include "kernels/data.h"
#include "kernels/rng.h"
#include "kernels/errors.h"

namespace step::kernels {

std::vector<RecordFormat> known_record_formats() {
    return {RecordFormat{"mnist-u8", kMnistPixels, kMnistRecordBytes, 10},
            RecordFormat{kTextFormatName, kTextContext, kTextRecordBytes, kByteClasses}};
}

Result<RecordFormat> record_format(const std::string& name) {
    for (const RecordFormat& f : known_record_formats())
        if (f.name == name) return f;
    std::string known;
    for (const RecordFormat& f : known_record_formats()) known += (known.empty() ? "" : ", ") + f.name;
    return Status::error(codes::kUnknownFormat, "unknown record format '" + name + "' (known: " + known + ")");
}

Result<Dataset> load_records(const std::string& path, const RecordFormat& format) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return Status::error(codes::kFileMissing, "cannot open data file " + path);
    Dataset ds;
    ds.format = format;
    ds.bytes.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    if (f.bad()) return Status::error(codes::kFileRead, "error reading " + path);
    if (ds.bytes.empty() || ds.bytes.size() % format.record_bytes != 0)
        return Status::error(codes::kBadRecords, path + ": size " + std::to_string(ds.bytes.size()) +
                                                " is not a positive multiple of " +
                                                std::to_string(format.record_bytes));
    for (uint64_t i = 0; i < ds.count(); ++i)
        if (ds.record(i)[format.features] >= format.classes)
            return Status::error(codes::kBadRecords, path + ": record " + std::to_string(i) +
                                                    " has label out of range");
    return ds;
}

Status write_records(const std::string& path, const Dataset& ds) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    if (!f) return Status::error(codes::kFileWrite, "cannot write " + path);
    f.write(reinterpret_cast<const char*>(ds.bytes.data()),
            static_cast<std::streamsize>(ds.bytes.size()));
    if (!f) return Status::error(codes::kFileWrite, "short write to " + path);
    return Status();
}

Hash256 record_hash(ByteSpan record) { return tagged_hash(tags::kDataRecord, record); }

Hash256 dataset_root(const Dataset& ds) {
    std::vector<Hash256> leaves(ds.count());
    for (uint64_t i = 0; i < ds.count(); ++i)
        leaves[i] = record_hash(ByteSpan(ds.record(i), ds.format.record_bytes));
    return merkle_root(leaves);
}

ShardRange shard_range(uint64_t n, uint32_t K, uint32_t k) {
    auto at = [&](uint64_t j) {
        return static_cast<uint64_t>((static_cast<unsigned __int128>(n) * j) / K);
    };
    return {at(k), at(k + 1) - at(k)};
}

Result<std::vector<uint64_t>> batch_indices(uint64_t seed, uint64_t n, uint32_t K, uint32_t k,
                                            uint32_t B, uint64_t step) {
    if (K == 0 || k >= K || B == 0) return Status::error(codes::kBadShard, "need 0 <= k < K and B > 0");
    ShardRange sh = shard_range(n, K, k);
    if (sh.count < B)
        return Status::error(codes::kShardTooSmall, "shard " + std::to_string(k) + " holds " +
                                                    std::to_string(sh.count) +
                                                    " records, fewer than the batch");
    uint64_t per_epoch = sh.count / B;
    uint64_t epoch = step / per_epoch, pos = step % per_epoch;
    KeyedPermutation perm(sh.count, rng_u64(seed, RngPurpose::kDataOrder, epoch * 65536 + k));
    std::vector<uint64_t> out(B);
    for (uint32_t j = 0; j < B; ++j) out[j] = sh.begin + perm(pos * B + j);
    return out;
}

Bytes gather_records(const Dataset& ds, const std::vector<uint64_t>& indices) {
    size_t rb = static_cast<size_t>(ds.format.record_bytes);
    Bytes out;  // appended, not zero-filled first: this runs every training step
    out.reserve(indices.size() * rb);
    for (uint64_t i : indices) out.insert(out.end(), ds.record(i), ds.record(i) + rb);
    return out;
}

}  // namespace step::kernels
