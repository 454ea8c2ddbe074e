// Training on a backend: the state lives in device buffers between steps and crosses to the host
// only when saved (at leaf intervals), so the CUDA backend runs many steps without copies.
//
// One step t (the state's counter) on a batch of B records, exactly:
//   x, labels  = unpack_u8_records(batch)    (a token model: tokens = bytes 0..T-1 of each
//                                             record, labels = bytes 1..T, as int32)
//   logits     = model forward(params, x)      (R = B * positions rows: B, or B*T for a GPT)
//   row_loss, dlogits = xent_fwd_bwd(logits, labels) over R rows  (dlogits divided by (float)R)
//   loss       = sum_div(row_loss, R, (float)R)
//   grads      = model backward
//   clip_grad_norm(grads, P, max_grad_norm)   only when optimizer.max_grad_norm > 0
//   sgd:   sgd_momentum(params, grads, momentum, lr, momentum, wd)
//   adamw: b1t = b1t * beta1; b2t = b2t * beta2; adamw(params, grads, m, v, ..., b1t, b2t)
//   step = step + 1
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "common/bytes.h"
#include "common/status.h"
#include "kernels/backend.h"
#include "kernels/data.h"
#include "kernels/model.h"
#include "kernels/spec.h"
#include "kernels/state.h"

namespace step::kernels {

struct EvalResult {
    double loss = 0;       // mean row loss (reporting only, not consensus)
    double accuracy = 0;   // fraction of argmax == label (first maximum wins)
    uint64_t count = 0;    // rows: records x the model's positions
};

class Trainer {
public:
    // Errors: the model's ("unknown-model", "bad-model"), "bad-spec".
    static Result<std::unique_ptr<Trainer>> create(Backend& backend, const TaskSpec& spec);
    ~Trainer();

    // Puts `s` on the device; "state-mismatch" when it belongs to another model/optimiser.
    Status load(const TrainState& s);
    // Downloads the state (NaNs canonicalised).
    TrainState save();
    // The same into `s`, reusing its memory: a run saves a state at every leaf, and a fresh
    // 2 MB vector each time cost more than hashing it (zero-fill and page faults).
    void save_into(TrainState& s);
    uint64_t step() const { return step_; }

    // One step on B records (B * record_bytes bytes, batch-row order). Returns the batch loss.
    Result<float> train_step(ByteSpan batch);
    // Loss and accuracy over all of `ds` in batches of B (a last partial batch included).
    EvalResult evaluate(const Dataset& ds);
    // The logits of every record of `ds` ([records * positions][classes], host), batched as
    // evaluate().
    std::vector<float> logits(const Dataset& ds);

    const Model& model() const { return *model_; }
    // Gradients of the last step (host copy), for the PyTorch peer check.
    std::vector<float> last_gradients();

private:
    // Runs the model over `ds` in batches of B (a last partial batch included), handing each
    // batch's first record index, size, host logits and row losses to the callback.
    using BatchOutputs = std::function<void(uint64_t at, int b, const std::vector<float>& logits,
                                            const std::vector<float>& row_loss)>;
    void forward_all(const Dataset& ds, const BatchOutputs& each);
    // Puts b records (host bytes) on the device as the model's input and the labels.
    ModelInput unpack(const uint8_t* records, int b);
    // The label of prediction `position` of a record.
    int label_of(const uint8_t* record, int position) const;
    Trainer(Backend& backend, const TaskSpec& spec, std::unique_ptr<Model> model);
    Backend& be_;
    TaskSpec spec_;
    std::unique_ptr<Model> model_;
    std::unique_ptr<ModelRun> run_;
    uint64_t P_ = 0, step_ = 0;
    std::vector<float> scalars_;  // adamw: b1t, b2t (host-side; part of the state)
    Buffer params_, grads_, slot1_, slot2_, records_, x_, labels_, row_loss_, dlogits_, loss_;
    Buffer clip_work_, clip_norm_;  // only with optimizer.max_grad_norm > 0
};

// The protocol's pure step: state -> state on one batch (uploads, steps, downloads).
Result<TrainState> train_step(Backend& backend, const TaskSpec& spec, const TrainState& state,
                              ByteSpan batch);

}  // namespace step::kernels
