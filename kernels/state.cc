// Canonical state bytes, roots, leaf digests, the K-state mean and checkpoint files.
#include <algorithm>
#include <bit>
#include <cstring>
#include <span>
#include <fstream>
#include <iterator>

#include "common/coding.h"
#include "common/hash.h"
#include "common/hash_tags.h"
#include "common/merkle.h"
#include "kernels/detmath.h"
#include "kernels/ops.h"
#include "kernels/state.h"
#include "kernels/errors.h"

namespace step::kernels {

namespace {
constexpr char kMagic[8] = {'S', 'T', 'E', 'P', 'S', 'T', 'A', 'T'};
constexpr uint32_t kMaxModelText = 4096;

uint32_t read_u32(const uint8_t* p) {
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
uint64_t read_u64(const uint8_t* p) { return read_u32(p) | uint64_t(read_u32(p + 4)) << 32; }
}  // namespace

uint64_t state_value_count(OptimizerKind k, uint64_t params) {
    return k == OptimizerKind::kAdamW ? 3 * params + 2 : 2 * params;
}

uint64_t canonical_state_size(const std::string& model_text, OptimizerKind k, uint64_t params) {
    return 8 + 4 + 4 + 8 + 4 + model_text.size() + 8 + 8 + 4 * state_value_count(k, params);
}

Result<TrainState> init_state(const TaskSpec& spec) {
    auto model = make_model(spec.model);
    if (!model.ok()) return model.status();
    TrainState s;
    s.kernel_version = spec.kernel_version;
    s.optimizer = spec.optimizer.kind;
    s.model = spec.model.text();
    s.param_count = (*model)->param_count();
    s.values.assign(state_value_count(s.optimizer, s.param_count), 0.0f);
    (*model)->init(spec.seed, s.values.data());
    if (s.optimizer == OptimizerKind::kAdamW) {
        s.values[3 * s.param_count] = 1.0f;
        s.values[3 * s.param_count + 1] = 1.0f;
    }
    return s;
}

Bytes state_to_bytes(const TrainState& s) {
    Bytes out(8);
    std::memcpy(out.data(), kMagic, 8);
    out.reserve(canonical_state_size(s.model, s.optimizer, s.param_count));
    append_u32le(out, s.kernel_version);
    append_u32le(out, static_cast<uint32_t>(s.optimizer));
    append_u64le(out, s.step);
    append_u32le(out, static_cast<uint32_t>(s.model.size()));
    out.insert(out.end(), s.model.begin(), s.model.end());
    append_u64le(out, s.param_count);
    append_u64le(out, s.values.size());
    size_t at = out.size();
    out.resize(at + 4 * s.values.size());
    for (size_t i = 0; i < s.values.size(); ++i) {
        uint32_t u = det_isnan(s.values[i]) ? ops::kCanonicalNaN : float_bits(s.values[i]);
        uint8_t* p = out.data() + at + 4 * i;
        p[0] = uint8_t(u);
        p[1] = uint8_t(u >> 8);
        p[2] = uint8_t(u >> 16);
        p[3] = uint8_t(u >> 24);
    }
    return out;
}

Result<TrainState> state_from_bytes(ByteSpan b) {
    auto bad = [](const std::string& why) { return Status::error(codes::kBadState, why); };
    if (b.size() < 28 || std::memcmp(b.data(), kMagic, 8) != 0) return bad("not a state (magic)");
    TrainState s;
    s.kernel_version = read_u32(b.data() + 8);
    uint32_t opt = read_u32(b.data() + 12);
    if (opt != 1 && opt != 2) return bad("unknown optimiser kind " + std::to_string(opt));
    s.optimizer = static_cast<OptimizerKind>(opt);
    s.step = read_u64(b.data() + 16);
    uint32_t len = read_u32(b.data() + 24);
    if (len > kMaxModelText || b.size() < 28 + size_t{len} + 16) return bad("truncated header");
    s.model.assign(reinterpret_cast<const char*>(b.data() + 28), len);
    size_t at = 28 + len;
    s.param_count = read_u64(b.data() + at);
    uint64_t n = read_u64(b.data() + at + 8);
    at += 16;
    if (s.param_count > (uint64_t{1} << 40) || n != state_value_count(s.optimizer, s.param_count))
        return bad("value count does not match the optimiser's layout");
    if (b.size() - at != 4 * n) return bad("value bytes do not match the value count");
    s.values.resize(n);
    for (uint64_t i = 0; i < n; ++i) {
        uint32_t u = read_u32(b.data() + at + 4 * i);
        float v = bits_float(u);
        if (det_isnan(v) && u != ops::kCanonicalNaN) return bad("non-canonical NaN");
        s.values[i] = v;
    }
    return s;
}

Hash256 state_root_of_bytes(ByteSpan bytes, const Exec& ex) {
    size_t chunks = blob_chunk_count(bytes.size());
    std::vector<Hash256> hashes(chunks);
    auto one = [&](size_t i) {
        size_t lo = i * kChunkBytes;
        size_t len = std::min(kChunkBytes, bytes.size() - lo);
        hashes[i] = blob_chunk_hash(bytes.subspan(lo, len));
    };
    if (ex.pool && ex.pool->size() > 1)
        ex.pool->parallel_for(chunks, one);
    else
        for (size_t i = 0; i < chunks; ++i) one(i);
    return blob_root_from_chunks(bytes.size(), hashes);
}

// Serialises bytes [lo, lo + out.size()) of the canonical state into out. The header is small and
// copied from its own bytes; the values are copied as little-endian binary32 words with NaNs
// canonicalised, so a chunk never needs the whole 2 MB serialisation in memory.
static void canonical_slice(const Bytes& header, const TrainState& s, size_t lo,
                            std::span<uint8_t> out) {
    size_t at = 0;
    if (lo < header.size()) {
        at = std::min(out.size(), header.size() - lo);
        std::memcpy(out.data(), header.data() + lo, at);
    }
    size_t value_byte = lo + at - header.size();
    while (at < out.size()) {
        // Values start at header.size(), which need not be 4-aligned with the chunk: copy whole
        // words where they fit and the odd bytes of a word split across chunks one by one.
        const size_t word = value_byte / 4, skip = value_byte % 4;
        const float f = s.values[word];
        const uint32_t u = det_isnan(f) ? ops::kCanonicalNaN : float_bits(f);
        if (skip != 0 || out.size() - at < 4) {
            const size_t take = std::min<size_t>(4 - skip, out.size() - at);
            for (size_t b = 0; b < take; ++b) out[at + b] = uint8_t(u >> (8 * (skip + b)));
            at += take;
            value_byte += take;
            continue;
        }
        const size_t words = std::min((out.size() - at) / 4, s.values.size() - word);
        uint8_t* dst = out.data() + at;
        for (size_t i = 0; i < words; ++i) {
            const float v = s.values[word + i];
            const uint32_t w = det_isnan(v) ? ops::kCanonicalNaN : float_bits(v);
            if constexpr (std::endian::native == std::endian::little) {
                std::memcpy(dst + 4 * i, &w, 4);
            } else {
                dst[4 * i] = uint8_t(w);
                dst[4 * i + 1] = uint8_t(w >> 8);
                dst[4 * i + 2] = uint8_t(w >> 16);
                dst[4 * i + 3] = uint8_t(w >> 24);
            }
        }
        at += 4 * words;
        value_byte += 4 * words;
    }
}

Hash256 state_root(const TrainState& s, const Exec& ex) {
    // Same root as state_root_of_bytes(state_to_bytes(s)), without the full-size buffer: each
    // chunk is serialised into a 64 KiB buffer that stays in cache while it is hashed.
    TrainState head;
    head.kernel_version = s.kernel_version;
    head.optimizer = s.optimizer;
    head.step = s.step;
    head.model = s.model;
    head.param_count = s.param_count;
    Bytes header = state_to_bytes(head);
    header.resize(header.size() - 8);  // drop the (zero) value count; the real one follows
    append_u64le(header, s.values.size());
    const size_t total = header.size() + 4 * s.values.size();
    const size_t chunks = blob_chunk_count(total);
    std::vector<Hash256> hashes(chunks);
    auto one = [&](size_t i) {
        thread_local std::vector<uint8_t> buf(kChunkBytes);
        const size_t lo = i * kChunkBytes;
        const std::span<uint8_t> out(buf.data(), std::min(kChunkBytes, total - lo));
        canonical_slice(header, s, lo, out);
        hashes[i] = blob_chunk_hash(ByteSpan(out.data(), out.size()));
    };
    if (ex.pool && ex.pool->size() > 1)
        ex.pool->parallel_for(chunks, one);
    else
        for (size_t i = 0; i < chunks; ++i) one(i);
    return blob_root_from_chunks(total, hashes);
}

Hash256 leaf_digest(const Hash256& task_id, uint32_t round, uint32_t unit, uint32_t leaf,
                    const Hash256& root) {
    Bytes pre(task_id.begin(), task_id.end());
    append_u32le(pre, round);
    append_u32le(pre, unit);
    append_u32le(pre, leaf);
    pre.insert(pre.end(), root.begin(), root.end());
    return tagged_hash(tags::kTraceLeaf, pre);
}

Result<TrainState> mean_states(const std::vector<TrainState>& states, const Exec& ex) {
    if (states.empty()) return Status::error(codes::kStateMismatch, "mean of zero states");
    const TrainState& a = states[0];
    for (const auto& s : states)
        if (s.kernel_version != a.kernel_version || s.model != a.model ||
            s.optimizer != a.optimizer || s.param_count != a.param_count ||
            s.values.size() != a.values.size() || s.step != a.step)
            return Status::error(codes::kStateMismatch, "states of a round differ in shape or step");
    TrainState out = a;
    for (size_t k = 1; k < states.size(); ++k)
        ops::add_inplace(ex, out.values.data(), states[k].values.data(), out.values.size());
    ops::div_inplace(ex, out.values.data(), out.values.size(),
                     static_cast<float>(states.size()));
    return out;
}

Status save_checkpoint(const std::string& path, const TrainState& s) {
    Bytes b = state_to_bytes(s);
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    if (!f) return Status::error(codes::kFileWrite, "cannot write checkpoint " + path);
    f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    if (!f) return Status::error(codes::kFileWrite, "short write to " + path);
    return Status();
}

Result<TrainState> load_checkpoint(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return Status::error(codes::kFileMissing, "cannot open checkpoint " + path);
    Bytes b((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    auto s = state_from_bytes(b);
    if (!s.ok()) return s.status().with_message(path + ": " + s.status().message());
    return s;
}

}  // namespace step::kernels
