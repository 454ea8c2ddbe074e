// Trainer: the step sequence documented in trainer.h, on any backend.
#include "kernels/trainer.h"

#include <cmath>

#include "kernels/detmath.h"
#include "kernels/errors.h"
#include "kernels/ops.h"

namespace step::kernels {

Result<std::unique_ptr<Trainer>> Trainer::create(Backend& backend, const TaskSpec& spec) {
    STEP_TRY(validate_task_spec(spec));
    auto model = make_model(spec.model);
    if (!model.ok()) return model.status();
    auto fmt = record_format(spec.data_format);
    if (!fmt.ok()) return fmt.status();
    if ((*model)->input_features() != fmt->features || (*model)->classes() != fmt->classes)
        return Status::error(codes::kBadSpec, "spec.model: input/classes do not match data format " +
                                             fmt->name);
    if ((*model)->input_kind() == InputKind::kTokens && fmt->name != kTextFormatName)
        return Status::error(codes::kBadSpec, "spec.data.format: a language model reads " +
                                                  std::string(kTextFormatName) + " records");
    return std::unique_ptr<Trainer>(new Trainer(backend, spec, std::move(model).value()));
}

Trainer::Trainer(Backend& be, const TaskSpec& spec, std::unique_ptr<Model> model)
    : be_(be), spec_(spec), model_(std::move(model)) {
    P_ = model_->param_count();
    const int B = static_cast<int>(spec.batch);
    const size_t pb = sizeof(float) * P_;
    run_ = model_->bind(be_, B);
    params_ = be_.alloc(pb);
    grads_ = be_.alloc(pb);
    slot1_ = be_.alloc(pb);
    if (spec.optimizer.kind == OptimizerKind::kAdamW) {
        slot2_ = be_.alloc(pb);
        scalars_ = {1.0f, 1.0f};
    }
    const size_t features = model_->input_features(), classes = model_->classes();
    const size_t rows = static_cast<size_t>(B) * model_->positions();
    if (model_->input_kind() == InputKind::kTokens) {
        x_ = be_.alloc(sizeof(int32_t) * B * features);  // the tokens
    } else {
        records_ = be_.alloc(static_cast<size_t>(B) * (features + 1));
        x_ = be_.alloc(sizeof(float) * B * features);
    }
    labels_ = be_.alloc(sizeof(int32_t) * rows);
    row_loss_ = be_.alloc(sizeof(float) * rows);
    dlogits_ = be_.alloc(sizeof(float) * rows * classes);
    loss_ = be_.alloc(sizeof(float));
    if (spec.optimizer.max_grad_norm > 0.0f) {
        clip_work_ = be_.alloc(sizeof(float) * ops::clip_work_floats(P_));
        clip_norm_ = be_.alloc(sizeof(float));
    }
}

Trainer::~Trainer() = default;

Status Trainer::load(const TrainState& s) {
    if (s.model != model_->spec().text() || s.optimizer != spec_.optimizer.kind ||
        s.param_count != P_ || s.values.size() != state_value_count(s.optimizer, P_))
        return Status::error(codes::kStateMismatch, "state is for " + s.model + " / " +
                                                   optimizer_name(s.optimizer) + ", trainer for " +
                                                   model_->spec().text());
    if (s.kernel_version != kKernelVersion)
        return Status::error(codes::kStateMismatch, "state has kernel_version " +
                                                   std::to_string(s.kernel_version));
    const size_t pb = sizeof(float) * P_;
    be_.upload(params_.f(), s.values.data(), pb);
    be_.upload(slot1_.f(), s.values.data() + P_, pb);
    if (spec_.optimizer.kind == OptimizerKind::kAdamW) {
        be_.upload(slot2_.f(), s.values.data() + 2 * P_, pb);
        scalars_ = {s.values[3 * P_], s.values[3 * P_ + 1]};
    }
    step_ = s.step;
    return Status();
}

TrainState Trainer::save() {
    TrainState s;
    save_into(s);
    return s;
}

void Trainer::save_into(TrainState& s) {
    s.kernel_version = kKernelVersion;
    s.optimizer = spec_.optimizer.kind;
    s.model = model_->spec().text();
    s.step = step_;
    s.param_count = P_;
    s.values.resize(state_value_count(s.optimizer, P_));
    const size_t pb = sizeof(float) * P_;
    be_.download(s.values.data(), params_.f(), pb);
    be_.download(s.values.data() + P_, slot1_.f(), pb);
    if (spec_.optimizer.kind == OptimizerKind::kAdamW) {
        be_.download(s.values.data() + 2 * P_, slot2_.f(), pb);
        s.values[3 * P_] = scalars_[0];
        s.values[3 * P_ + 1] = scalars_[1];
    }
    for (float& v : s.values)
        if (det_isnan(v)) v = bits_float(0x7fc00000u);
}

ModelInput Trainer::unpack(const uint8_t* records, int b) {
    const int features = model_->input_features(), rb = features + 1;
    if (model_->input_kind() == InputKind::kFeatures) {
        be_.upload(records_.u8(), records, static_cast<size_t>(b) * rb);
        be_.unpack_u8_records(records_.u8(), b, rb, features, x_.f(), labels_.i32());
        return ModelInput{x_.f(), nullptr};
    }
    // Tokens and next-token targets are integer copies of the record bytes (no arithmetic), so
    // the host makes them for every backend.
    const size_t n = static_cast<size_t>(b) * features;
    std::vector<int32_t> tokens(n), targets(n);
    for (size_t i = 0; i < static_cast<size_t>(b); ++i) {
        const uint8_t* rec = records + i * rb;
        for (int t = 0; t < features; ++t) {
            tokens[i * features + t] = rec[t];
            targets[i * features + t] = rec[t + 1];
        }
    }
    be_.upload(x_.i32(), tokens.data(), sizeof(int32_t) * n);
    be_.upload(labels_.i32(), targets.data(), sizeof(int32_t) * n);
    return ModelInput{nullptr, x_.i32()};
}

int Trainer::label_of(const uint8_t* record, int position) const {
    if (model_->input_kind() == InputKind::kFeatures) return record[model_->input_features()];
    return record[position + 1];
}

Result<float> Trainer::train_step(ByteSpan batch) {
    const int B = static_cast<int>(spec_.batch);
    const int features = model_->input_features(), classes = model_->classes();
    const size_t rb = static_cast<size_t>(features) + 1;
    if (batch.size() != rb * B)
        return Status::error(codes::kBadBatch, "batch has " + std::to_string(batch.size()) +
                                              " bytes, expected " + std::to_string(rb * B));
    const ModelInput in = unpack(batch.data(), B);
    const int rows = B * model_->positions();
    const float* logits = run_->forward(params_.f(), in);
    be_.xent_fwd_bwd(logits, labels_.i32(), rows, classes, row_loss_.f(), dlogits_.f());
    be_.sum_div(row_loss_.f(), static_cast<size_t>(rows), static_cast<float>(rows), loss_.f());
    run_->backward(params_.f(), in, dlogits_.f(), grads_.f());
    const OptimizerSpec& o = spec_.optimizer;
    if (o.max_grad_norm > 0.0f)
        be_.clip_grad_norm(grads_.f(), P_, o.max_grad_norm, clip_work_.f(), clip_norm_.f());
    if (o.kind == OptimizerKind::kSgd) {
        be_.sgd_momentum(params_.f(), grads_.f(), slot1_.f(), P_, o.lr, o.momentum,
                         o.weight_decay);
    } else {
        scalars_[0] = scalars_[0] * o.beta1;
        scalars_[1] = scalars_[1] * o.beta2;
        be_.adamw(params_.f(), grads_.f(), slot1_.f(), slot2_.f(), P_, o.lr, o.beta1, o.beta2,
                  o.eps, o.weight_decay, scalars_[0], scalars_[1]);
    }
    ++step_;
    float loss = 0.0f;
    be_.download(&loss, loss_.f(), sizeof(float));
    return loss;
}

std::vector<float> Trainer::last_gradients() {
    std::vector<float> g(P_);
    be_.download(g.data(), grads_.f(), sizeof(float) * P_);
    return g;
}

void Trainer::forward_all(const Dataset& ds, const BatchOutputs& each) {
    const int classes = model_->classes();
    const uint64_t n = ds.count();
    std::unique_ptr<ModelRun> tail_run;
    for (uint64_t at = 0; at < n;) {
        int b = static_cast<int>(std::min<uint64_t>(spec_.batch, n - at));
        ModelRun* run = run_.get();
        if (b != static_cast<int>(spec_.batch)) {
            tail_run = model_->bind(be_, b);
            run = tail_run.get();
        }
        const ModelInput in = unpack(ds.record(at), b);
        const int rows = b * model_->positions();
        const float* logits = run->forward(params_.f(), in);
        be_.xent_fwd_bwd(logits, labels_.i32(), rows, classes, row_loss_.f(), dlogits_.f());
        std::vector<float> host_logits(static_cast<size_t>(rows) * classes), rl(rows);
        be_.download(host_logits.data(), logits, sizeof(float) * host_logits.size());
        be_.download(rl.data(), row_loss_.f(), sizeof(float) * rows);
        each(at, b, host_logits, rl);
        at += b;
    }
}

EvalResult Trainer::evaluate(const Dataset& ds) {
    const int classes = model_->classes(), pos = model_->positions();
    double loss_sum = 0;
    uint64_t correct = 0;
    forward_all(ds, [&](uint64_t at, int b, const std::vector<float>& logits,
                        const std::vector<float>& row_loss) {
        for (int i = 0; i < b * pos; ++i) {
            loss_sum += static_cast<double>(row_loss[i]);
            const float* row = logits.data() + static_cast<size_t>(i) * classes;
            int best = 0;
            for (int j = 1; j < classes; ++j)
                if (row[j] > row[best]) best = j;
            if (best == label_of(ds.record(at + i / pos), i % pos)) ++correct;
        }
    });
    EvalResult r;
    const uint64_t n = ds.count() * static_cast<uint64_t>(pos);
    r.count = n;
    r.loss = n ? loss_sum / static_cast<double>(n) : 0;
    r.accuracy = n ? static_cast<double>(correct) / static_cast<double>(n) : 0;
    return r;
}

std::vector<float> Trainer::logits(const Dataset& ds) {
    std::vector<float> all;
    all.reserve(ds.count() * static_cast<uint64_t>(model_->classes()));
    forward_all(ds, [&](uint64_t, int, const std::vector<float>& logits, const std::vector<float>&) {
        all.insert(all.end(), logits.begin(), logits.end());
    });
    return all;
}

Result<TrainState> train_step(Backend& backend, const TaskSpec& spec, const TrainState& state,
                              ByteSpan batch) {
    auto t = Trainer::create(backend, spec);
    if (!t.ok()) return t.status();
    STEP_TRY((*t)->load(state));
    auto loss = (*t)->train_step(batch);
    if (!loss.ok()) return loss.status();
    return (*t)->save();
}

}  // namespace step::kernels
