// The task specs several benchmarks share (one owner): step-bench train-gpt and cuda-step time
// the same GPT step.
#pragma once

#include "kernels/data.h"
#include "kernels/model.h"
#include "kernels/spec.h"

namespace step::bench {

// examples/gpt-tiny.toml's (and gpt-text.toml's) model, batch, optimiser and leaf interval:
// gpt{256,64,2,64,4}, batch 16, AdamW, max_grad_norm 1, leaf interval 4.
inline kernels::TaskSpec gpt_bench_spec() {
    using namespace step::kernels;
    TaskSpec s;
    s.model = *parse_model_spec("gpt{256,64,2,64,4}", Activation::kGelu);
    s.optimizer.kind = OptimizerKind::kAdamW;
    s.optimizer.lr = 0.003f;
    s.optimizer.beta1 = 0.9f;
    s.optimizer.beta2 = 0.99f;
    s.optimizer.eps = 1e-8f;
    s.optimizer.weight_decay = 0.01f;
    s.optimizer.max_grad_norm = 1.0f;
    s.batch = 16;
    s.steps = s.steps_per_unit = 1000;
    s.seed = 1;
    s.leaf_interval = 4;
    s.checkpoint_interval = 8;
    s.data_format = kTextFormatName;
    return s;
}

}  // namespace step::bench
