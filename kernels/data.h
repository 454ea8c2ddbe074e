// Training data: fixed-size records, their Merkle root, sharding and the keyed batch order.
//
// Record format "mnist-u8" (785 bytes): 784 u8 pixels (row-major 28x28) then one label byte in
// [0, 9]. The model input is pixel / 255.0f (one binary32 division). A .rec file is the records
// concatenated, nothing else.
//
// Record format "text-u8-65" (65 bytes): a window of 65 consecutive bytes of a text. A byte-level
// language model reads bytes 0..63 and predicts bytes 1..64 (every position's next byte); read
// as features and a label (RecordFormat below), the first 64 bytes are the features and byte 64
// the label, with 256 classes. How a text becomes windows (stride, split, normalisation) is the
// importer's definition, import_text in data_import.h; docs/kernels.md "Records".
//
// dataset_root = merkle_root(H_data-record(record bytes) for each record in file order), so any
// single record is provable with merkle_proof.
//
// Shard k of K (unit k of a round) holds records [floor(n*k/K), floor(n*(k+1)/K)). Batches drop
// the last partial batch of every epoch: steps_per_epoch = shard_size / B. The batch of step t
// (the state's global step counter) on shard k is
//   epoch = t / steps_per_epoch, pos = t % steps_per_epoch,
//   perm  = KeyedPermutation(shard_size, rng_u64(seed, kDataOrder, epoch * 65536 + k)),
//   record j (j = 0..B-1) = shard_begin + perm(pos * B + j).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"

namespace step::kernels {

struct RecordFormat {
    std::string name;
    int features = 0;      // u8 inputs per record
    int record_bytes = 0;  // features + 1 label byte
    int classes = 0;
};
Result<RecordFormat> record_format(const std::string& name);
// Every format record_format knows (a node finds the blob holding a dataset root by trying each).
std::vector<RecordFormat> known_record_formats();
inline constexpr int kMnistPixels = 784;
inline constexpr int kMnistRecordBytes = 785;
inline constexpr int kTextContext = 64;                   // bytes a model reads per window
inline constexpr int kTextRecordBytes = kTextContext + 1;  // and the one each position predicts
inline constexpr int kByteClasses = 256;
inline constexpr char kTextFormatName[] = "text-u8-65";

struct Dataset {
    RecordFormat format;
    Bytes bytes;
    uint64_t count() const { return bytes.size() / static_cast<uint64_t>(format.record_bytes); }
    const uint8_t* record(uint64_t i) const { return bytes.data() + i * format.record_bytes; }
};

// Reads a .rec file; errors: "file-missing", "file-read", "bad-records" (size not a multiple
// of the record size, or a label out of range).
Result<Dataset> load_records(const std::string& path, const RecordFormat& format);
Status write_records(const std::string& path, const Dataset& ds);

Hash256 record_hash(ByteSpan record);
Hash256 dataset_root(const Dataset& ds);

struct ShardRange {
    uint64_t begin = 0, count = 0;
};
ShardRange shard_range(uint64_t n, uint32_t K, uint32_t k);

// Global record indices of the batch of `step` on shard k (B of them, in batch-row order).
// Error "shard-too-small" when the shard holds fewer than B records.
Result<std::vector<uint64_t>> batch_indices(uint64_t seed, uint64_t n, uint32_t K, uint32_t k,
                                            uint32_t B, uint64_t step);
// The batch's records, concatenated in batch-row order.
Bytes gather_records(const Dataset& ds, const std::vector<uint64_t>& indices);

}  // namespace step::kernels
