// Training state and its canonical bytes (PROTOCOL.md sections 1 and 3).
//
// The state is the step counter plus one flat float array:
//   values = params[P] | slots | scalars
//   sgd:   slots = momentum[P];          scalars = (none)
//   adamw: slots = m[P], v[P];           scalars = beta1^t, beta2^t   (start at 1.0f)
// Every optimiser quantity that evolves is in it, so resuming equals running straight through.
//
// Canonical bytes (all integers little-endian):
//   "STEPSTAT" | u32 kernel_version | u32 optimizer kind | u64 step | u32 len | model text
//   | u64 param count | u64 value count | values as binary32 LE, every NaN as 0x7fc00000.
// state_root = blob_root(canonical bytes) (common/merkle.h, chunks hashed on the pool).
// Leaf digest = H_trace-leaf(task id[32] | u32 round | u32 unit | u32 leaf | state_root).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "kernels/exec.h"
#include "kernels/spec.h"

namespace step::kernels {

struct TrainState {
    uint32_t kernel_version = kKernelVersion;
    OptimizerKind optimizer = OptimizerKind::kSgd;
    std::string model;  // ModelSpec::text()
    uint64_t step = 0;
    uint64_t param_count = 0;
    std::vector<float> values;

    float* params() { return values.data(); }
    const float* params() const { return values.data(); }
};

// Number of floats in `values` for P parameters under optimiser `k`.
uint64_t state_value_count(OptimizerKind k, uint64_t params);
uint64_t canonical_state_size(const std::string& model_text, OptimizerKind k, uint64_t params);

// G_0: parameters from the model's seeded init, optimiser state zero, beta powers 1.
Result<TrainState> init_state(const TaskSpec& spec);

Bytes state_to_bytes(const TrainState& s);
// Rejects wrong magic, truncation, trailing bytes and non-canonical NaNs ("bad-state").
Result<TrainState> state_from_bytes(ByteSpan bytes);

Hash256 state_root(const TrainState& s, const Exec& ex);
Hash256 state_root_of_bytes(ByteSpan canonical, const Exec& ex);
Hash256 leaf_digest(const Hash256& task_id, uint32_t round, uint32_t unit, uint32_t leaf,
                    const Hash256& state_root);

// G_{r+1}: element-wise (((s0 + s1) + ...) + s_{K-1}) / (float)K over values; every state must
// share kernel version, model, optimiser, sizes and step ("state-mismatch" otherwise).
Result<TrainState> mean_states(const std::vector<TrainState>& states, const Exec& ex);

// Checkpoint files are the canonical bytes.
Status save_checkpoint(const std::string& path, const TrainState& s);
Result<TrainState> load_checkpoint(const std::string& path);

}  // namespace step::kernels
