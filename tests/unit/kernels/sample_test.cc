// Text generation from a GPT state (kernels/sample.h): reproducible draws, greedy = the argmax of
// the trainer's own logits step by step, a model overfit on a short text says it back, and the
// errors for a model that is not a byte-level language model.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "kernels/backend.h"
#include "kernels/errors.h"
#include "kernels/run.h"
#include "kernels/sample.h"
#include "kernels/trainer.h"
#include "tests/support/status_check.h"

using namespace step;
using namespace step::kernels;

namespace {

TaskSpec gpt_spec(const char* arch) {
    TaskSpec s;
    s.model = *parse_model_spec(arch, Activation::kGelu);
    s.data_format = kTextFormatName;
    s.optimizer.kind = OptimizerKind::kAdamW;
    s.optimizer.lr = 0.02f;
    s.optimizer.weight_decay = 0.0f;
    s.batch = 4;
    s.steps = s.steps_per_unit = 256;
    s.leaf_interval = 8;
    s.checkpoint_interval = 16;
    s.seed = 3;
    return s;
}

// Every window of text-u8-65 records over `text` repeated: one per phase of the period, so the
// model sees the text's every position at every place of its context.
Dataset periodic_windows(const std::string& text) {
    Dataset ds;
    ds.format = *record_format(kTextFormatName);
    for (size_t start = 0; start < text.size(); ++start)
        for (int i = 0; i < kTextRecordBytes; ++i)
            ds.bytes.push_back(static_cast<uint8_t>(text[(start + i) % text.size()]));
    return ds;
}

TrainState overfit(const TaskSpec& spec, const std::string& text, uint64_t steps) {
    ThreadPool pool(1);
    Exec ex{&pool, detect_simd()};
    auto be = make_cpu_backend(ex);
    RunOptions opt;
    opt.until_step = steps;
    auto r = run_training(*be, ex, spec, periodic_windows(text), *init_state(spec), opt);
    INFO(r.status().to_string());
    REQUIRE(r.ok());
    return r->final_state;
}

std::string as_string(const Bytes& b) {
    return std::string(b.begin(), b.end());
}

// The next byte as the trainer's evaluation sees it: the context's last 64 bytes as one record
// (filled out with 'x', which a causal model never reads at the row that counts), the argmax of
// that row of Trainer::logits.
int trainer_argmax(Trainer& t, const std::string& context) {
    const size_t n = std::min<size_t>(context.size(), kTextContext);
    Dataset one;
    one.format = *record_format(kTextFormatName);
    one.bytes.assign(kTextRecordBytes, 'x');
    std::copy(context.end() - static_cast<std::ptrdiff_t>(n), context.end(), one.bytes.begin());
    const std::vector<float> logits = t.logits(one);
    const float* row = logits.data() + (n - 1) * kByteClasses;
    return static_cast<int>(std::max_element(row, row + kByteClasses) - row);
}

}  // namespace

TEST_CASE("sampling: the same seed draws the same bytes, another seed others") {
    TaskSpec spec = gpt_spec("gpt{256,64,1,16,2}");
    TrainState s = *init_state(spec);
    SampleOptions opt;
    opt.count = 24;
    opt.seed = 7;
    auto a = sample_bytes(spec.model, s, opt);
    auto b = sample_bytes(spec.model, s, opt, Exec{nullptr, detect_simd()});
    REQUIRE(a.ok());
    REQUIRE(a->size() == 24);
    CHECK(*a == *b);
    opt.seed = 8;
    CHECK(*sample_bytes(spec.model, s, opt) != *a);
    opt.temperature = 0.5f;
    CHECK(*sample_bytes(spec.model, s, opt) == *sample_bytes(spec.model, s, opt));
}

TEST_CASE("sampling: greedy bytes are the argmax of the trainer's logits, past the context too") {
    TaskSpec spec = gpt_spec("gpt{256,64,1,16,2}");
    const std::string text = "In the beginning God created the heaven and the earth.\n";
    TrainState s = overfit(spec, text, 20);
    SampleOptions opt;
    opt.count = 70;  // the context slides: 10 prompt bytes + 70 > 64
    opt.prompt = "And God sa";
    opt.temperature = 0.0f;
    auto greedy = sample_bytes(spec.model, s, opt);
    REQUIRE(greedy.ok());
    auto be = make_cpu_backend(Exec{});
    auto t = Trainer::create(*be, spec);
    REQUIRE(t.ok());
    REQUIRE((*t)->load(s).ok());
    std::string context = opt.prompt;
    for (size_t i = 0; i < greedy->size(); ++i) {
        INFO("byte " << i);
        const int expect = trainer_argmax(**t, context);
        REQUIRE(static_cast<int>((*greedy)[i]) == expect);
        context += static_cast<char>(expect);
    }
}

TEST_CASE("sampling: a gpt overfit on a short text says it back greedily") {
    // 150 steps of batch 4 (about 1 s); the text needs context (after 'o' come 'w', 'x', 'v'
    // and 'g'), so the attention has to work for it.
    TaskSpec spec = gpt_spec("gpt{256,64,1,16,2}");
    const std::string text = "a quick brown fox jumps over the lazy dog.\n";
    TrainState s = overfit(spec, text, 150);
    SampleOptions opt;
    opt.prompt = "a quick";
    opt.count = 2 * text.size();
    opt.temperature = 0.0f;
    auto out = sample_bytes(spec.model, s, opt);
    REQUIRE(out.ok());
    const std::string expect = text.substr(7) + text + text.substr(0, 7);
    CHECK(as_string(*out) == expect);
    // An untrained model says nothing of the kind.
    auto untrained = sample_bytes(spec.model, *init_state(spec), opt);
    CHECK(as_string(*untrained) != expect);
}

TEST_CASE("sampling: an MLP, a state of another model and a bad temperature are refused") {
    TaskSpec mlp;
    mlp.model = *parse_model_spec("mlp{784,16,10}", Activation::kRelu);
    mlp.data_format = "mnist-u8";
    SampleOptions opt;
    opt.count = 4;
    CHECK(sample_bytes(mlp.model, *init_state(mlp), opt).status() == codes::kNotLanguageModel);
    TaskSpec gpt = gpt_spec("gpt{256,64,1,16,2}");
    CHECK(sample_bytes(gpt.model, *init_state(mlp), opt).status() == codes::kStateMismatch);
    CHECK(sample_bytes(gpt.model, *init_state(gpt_spec("gpt{256,64,1,16,4}")), opt).status() ==
          codes::kStateMismatch);
    opt.temperature = -1.0f;
    CHECK(sample_bytes(gpt.model, *init_state(gpt), opt).status() == codes::kBadSample);
}

TEST_CASE("sampling: bytes are escaped for a terminal") {
    const Bytes b{'a', '\n', '\t', '\\', 0x00, 0x1b, 0x7f, 0xe9, '~'};
    CHECK(escape_for_terminal(b) == "a\n\t\\\\\\x00\\x1b\\x7f\\xe9~");
}
