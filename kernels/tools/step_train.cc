// step-train SPEC [options]: trains a task spec with the deterministic kernels, writes its trace
// leaves and final checkpoint, and evaluates on the held-out set. See docs/kernels.md.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kernels/backend.h"
#include "kernels/backend_select.h"
#include "kernels/model.h"
#include "kernels/run.h"
#include "kernels/safetensors.h"
#include "kernels/sample.h"
#include "kernels/tools/check_runs.h"
#include "kernels/errors.h"

#ifndef STEP_SOURCE_DIR
#define STEP_SOURCE_DIR "."
#endif

using namespace step;
using namespace step::kernels;

namespace {

struct Args {
    std::string spec, backend = kBackendAuto, digests, checkpoint, resume, export_dir;
    std::string export_model, test_logits;  // --export (safetensors), --test-logits
    bool sample = false;                     // --sample N: generate instead of training
    SampleOptions sampling;                  // --sample, --prompt, --temperature, --seed
    std::string golden = std::string(STEP_SOURCE_DIR) + "/tests/golden";
    unsigned threads = 1;
    uint64_t steps = 0, leaf_interval = 0;
    bool json = false, check = false, quiet = false;
};

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
}

int usage() {
    std::fprintf(stderr,
                 "usage: step-train SPEC [--threads N] [--backend NAME] [--steps N]\n"
                 "                  [--leaf-interval N] [--digests FILE] [--checkpoint FILE]\n"
                 "                  [--resume FILE] [--output json] [--quiet] [--export-peer DIR]\n"
                 "                  [--export MODEL.safetensors] [--test-logits FILE]\n"
                 "       step-train SPEC [--resume FILE] --sample N [--prompt TEXT]\n"
                 "                  [--temperature T] [--seed N] [--output json]\n"
                 "       step-train --check [--golden DIR] [--threads N] [--backend NAME]\n"
                 "backends in this build: %s; auto (the default) takes cuda when a device is\n"
                 "usable, else cpu; --check with auto checks every backend this machine has\n"
                 "model architectures (a spec's model): %s\n",
                 joined(backend_names()).c_str(), joined(model_names()).c_str());
    return 2;
}

int fail(const std::string& what) {
    std::fprintf(stderr, "step-train: %s\n", what.c_str());
    return 1;
}

bool parse_u64(const char* s, uint64_t& out) {
    char* end = nullptr;
    unsigned long long v = std::strtoull(s, &end, 10);
    if (!*s || *end || s[0] == '-') return false;
    out = v;
    return true;
}

bool parse_float(const char* s, float& out) {
    char* end = nullptr;
    out = std::strtof(s, &end);
    return *s && !*end;
}

// --sample N: N bytes generated from the state (--resume, else the spec's untrained initial
// state) after the prompt, printed escaped (kernels/sample.h); no training.
int sample_mode(const Args& a, const TaskSpec& spec, const Exec& ex) {
    auto state = a.resume.empty() ? init_state(spec) : load_checkpoint(a.resume);
    if (!state.ok()) return fail(state.status().to_string());
    auto bytes = sample_bytes(spec.model, *state, a.sampling, ex);
    if (!bytes.ok()) return fail(bytes.status().to_string());
    const std::string prompt = escape_for_terminal(as_bytes(a.sampling.prompt));
    const std::string text = escape_for_terminal(*bytes);
    if (a.json) {
        nlohmann::json j{{"event", "sample"},   {"model", state->model},
                         {"step", state->step}, {"prompt", prompt},
                         {"text", text},        {"hex", to_hex(*bytes)},
                         {"temperature", a.sampling.temperature}, {"seed", a.sampling.seed}};
        std::printf("%s\n", j.dump().c_str());
    } else {
        const std::string all = prompt + text;
        std::printf("%s%s", all.c_str(), all.empty() || all.back() != '\n' ? "\n" : "");
    }
    return 0;
}

// Files for tests/peer/torch_check.py: the start state, each step's batch indices, losses, and
// the first step's gradients (binary32 little-endian).
Status export_peer(const std::string& dir, Backend& be, const TaskSpec& spec,
                   const Dataset& train, const TrainState& start, uint64_t steps) {
    STEP_TRY(save_checkpoint(dir + "/init.state", start));
    auto t = Trainer::create(be, spec);
    if (!t.ok()) return t.status();
    STEP_TRY((*t)->load(start));
    std::ofstream batches(dir + "/batches.txt"), losses(dir + "/losses.txt");
    for (uint64_t i = 0; i < steps; ++i) {
        auto idx = batch_indices(spec.seed, train.count(), 1, 0, spec.batch, (*t)->step());
        if (!idx.ok()) return idx.status();
        for (size_t j = 0; j < idx->size(); ++j) batches << (j ? " " : "") << (*idx)[j];
        batches << "\n";
        auto loss = (*t)->train_step(gather_records(train, *idx));
        if (!loss.ok()) return loss.status();
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(*loss));
        losses << buf << "\n";
        if (i == 0) {
            auto g = (*t)->last_gradients();
            std::ofstream gf(dir + "/grads0.bin", std::ios::binary);
            gf.write(reinterpret_cast<const char*>(g.data()),
                     static_cast<std::streamsize>(g.size() * sizeof(float)));
        }
    }
    if (!batches || !losses) return Status::error(codes::kFileWrite, "cannot write into " + dir);
    return Status();
}

Status write_floats(const std::string& path, const std::vector<float>& values) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(values.data()),
            static_cast<std::streamsize>(values.size() * sizeof(float)));
    if (!f) return Status::error(codes::kFileWrite, "cannot write " + path);
    return Status();
}

// --export: the final model's parameters as safetensors (named as PyTorch names the layers).
Status export_model(const std::string& path, const TaskSpec& spec, const TrainState& state,
                    const Exec& ex) {
    auto model = make_model(spec.model);
    if (!model.ok()) return model.status();
    auto bytes = encode_safetensors(**model, state,
                                    {{"model", (*model)->spec().text()},
                                     {"state_root", to_hex(state_root(state, ex))},
                                     {"step", std::to_string(state.step)},
                                     {"format", "pt"}});
    if (!bytes.ok()) return bytes.status();
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(bytes->data()), static_cast<std::streamsize>(bytes->size()));
    if (!f) return Status::error(codes::kFileWrite, "cannot write " + path);
    return Status();
}

// The held-out evaluation, and with --test-logits every test record's logits (binary32
// little-endian, [records][classes]) for the PyTorch peer check of the exported model.
Result<EvalResult> evaluate_test(const Args& a, Backend& be, const TaskSpec& spec,
                                 const RecordFormat& fmt, const TrainState& final_state) {
    auto test = load_records(spec.test_path, fmt);
    if (!test.ok()) return test.status();
    auto t = Trainer::create(be, spec);
    if (!t.ok()) return t.status();
    STEP_TRY((*t)->load(final_state));
    if (!a.test_logits.empty()) STEP_TRY(write_floats(a.test_logits, (*t)->logits(*test)));
    return (*t)->evaluate(*test);
}

// --check: the golden runs on the named backend, or with auto on each this machine has (the
// solver's self-test: does this machine, on each device, reproduce the reference bits?).
int check_backends(const Args& a, const Exec& ex) {
    const std::vector<std::string> names =
        a.backend == kBackendAuto ? usable_backends() : std::vector<std::string>{a.backend};
    if (a.backend == kBackendAuto && !cuda_unusable_reason().empty())
        std::fprintf(stderr, "step-train --check: cuda not checked: %s\n", cuda_unusable_reason().c_str());
    int worst = 0;
    for (const std::string& name : names) {
        auto backend = choose_backend(name, ex);
        if (!backend.ok()) return fail(backend.status().to_string());
        std::fprintf(stderr, "step-train --check: %s\n", backend->note.c_str());
        worst = std::max(worst, check_golden_runs(a.golden, *backend->backend, ex, a.json));
    }
    return worst;
}

}  // namespace

int main(int argc, char** argv) {
    Args a;
    for (int i = 1; i < argc; ++i) {
        std::string k = argv[i];
        auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
        const char* v = nullptr;
        if (k == "--check") a.check = true;
        else if (k == "--quiet") a.quiet = true;
        else if (k == "--help" || k == "-h") return usage();
        else if (k.rfind("--", 0) == 0) {
            if (!(v = next())) return fail("option " + k + " needs a value");
            uint64_t n = 0;
            if (k == "--threads") {
                if (!parse_u64(v, n) || n < 1 || n > 256) return fail("--threads: need 1..256");
                a.threads = static_cast<unsigned>(n);
            } else if (k == "--steps") {
                if (!parse_u64(v, a.steps)) return fail("--steps: need a count");
            } else if (k == "--leaf-interval") {
                if (!parse_u64(v, a.leaf_interval) || !a.leaf_interval)
                    return fail("--leaf-interval: need a positive count");
            } else if (k == "--backend") a.backend = v;
            else if (k == "--digests") a.digests = v;
            else if (k == "--checkpoint") a.checkpoint = v;
            else if (k == "--resume") a.resume = v;
            else if (k == "--golden") a.golden = v;
            else if (k == "--export-peer") a.export_dir = v;
            else if (k == "--export") a.export_model = v;
            else if (k == "--test-logits") a.test_logits = v;
            else if (k == "--sample") {
                if (!parse_u64(v, a.sampling.count)) return fail("--sample: need a byte count");
                a.sample = true;
            } else if (k == "--prompt") a.sampling.prompt = v;
            else if (k == "--temperature") {
                if (!parse_float(v, a.sampling.temperature))
                    return fail("--temperature: need a number (0: greedy)");
            } else if (k == "--seed") {
                if (!parse_u64(v, a.sampling.seed)) return fail("--seed: need an integer");
            }
            else if (k == "--output") {
                if (std::string(v) != "json" && std::string(v) != "text")
                    return fail("--output: json or text");
                a.json = std::string(v) == "json";
            } else return fail("unknown option " + k);
        } else if (a.spec.empty()) a.spec = k;
        else return usage();
    }

    ThreadPool pool(a.threads);
    Exec ex{&pool, detect_simd()};
    if (a.check) return check_backends(a, ex);
    if (a.spec.empty()) return usage();
    std::string spec_text;
    if (!read_text_file(a.spec, spec_text)) return fail("cannot open spec " + a.spec);
    auto spec = load_task_spec(a.spec);
    if (!spec.ok()) return fail(spec.status().to_string());
    if (a.sample) return sample_mode(a, *spec, ex);  // the CPU forward, whatever the backend

    auto backend = choose_backend(a.backend, ex);
    if (!backend.ok()) return fail(backend.status().to_string());
    if (!a.quiet) std::fprintf(stderr, "step-train: %s\n", backend->note.c_str());
    Backend& be = *backend->backend;
    auto fmt = record_format(spec->data_format);
    auto train = load_records(spec->train_path, *fmt);
    if (!train.ok()) return fail(train.status().to_string());

    auto start = a.resume.empty() ? init_state(*spec) : load_checkpoint(a.resume);
    if (!start.ok()) return fail(start.status().to_string());
    if (!a.export_dir.empty()) {
        Status s = export_peer(a.export_dir, be, *spec, *train, *start, a.steps ? a.steps : 100);
        if (!s.ok()) return fail(s.to_string());
        return 0;
    }

    RunOptions opt;
    opt.until_step = a.steps ? a.steps : spec->steps;
    opt.leaf_interval = a.leaf_interval ? a.leaf_interval : spec->leaf_interval;
    spec->leaf_interval = opt.leaf_interval;
    opt.task_id = task_id_of_file_bytes(as_bytes(spec_text));
    auto t0 = std::chrono::steady_clock::now();
    auto last = t0;
    uint64_t last_step = start->step;
    const uint64_t every = 100;
    // Progress goes to a terminal only: --output json and redirected output stay quiet (the
    // summary says how fast it ran).
    const bool show_progress = !a.quiet && !a.json && ::isatty(STDOUT_FILENO) == 1;
    opt.on_step = [&](uint64_t step, float loss) {
        if (!show_progress || (step % every != 0 && step != opt.until_step)) return;
        auto now = std::chrono::steady_clock::now();
        double dt = std::chrono::duration<double>(now - last).count();
        double sps = dt > 0 ? static_cast<double>(step - last_step) / dt : 0;
        last = now;
        last_step = step;
        std::printf("step %7llu  loss %.5f  %.1f steps/s\n", static_cast<unsigned long long>(step),
                    static_cast<double>(loss), sps);
        std::fflush(stdout);
    };
    // K = 1: one unit straight through when the run fits in it, or when --steps / --resume do
    // not fall on round boundaries (epochs cycle, so any step count runs); otherwise rounds of K
    // units of U steps with the state mean between rounds (leaves indexed per unit).
    const uint64_t U = spec->steps_per_unit;
    const bool one_unit = spec->units_per_round == 1 &&
                          (opt.until_step <= U || opt.until_step % U != 0 || start->step % U != 0);
    auto run = one_unit ? run_training(be, ex, *spec, *train, *start, opt)
                        : run_rounds(be, ex, *spec, *train, *start, opt.until_step, opt.task_id,
                                     opt.on_step);
    if (!run.ok()) return fail(run.status().to_string());
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    if (!a.digests.empty()) {
        std::ofstream f(a.digests, std::ios::trunc);
        for (const auto& h : run->leaves) f << to_hex(h) << "\n";
        if (!f) return fail("cannot write digests to " + a.digests);
    }
    if (!a.checkpoint.empty()) {
        Status s = save_checkpoint(a.checkpoint, run->final_state);
        if (!s.ok()) return fail(s.to_string());
    }
    if (!a.export_model.empty()) {
        Status s = export_model(a.export_model, *spec, run->final_state, ex);
        if (!s.ok()) return fail(s.to_string());
    }
    EvalResult ev;
    bool have_test = !spec->test_path.empty();
    if (have_test) {
        auto e = evaluate_test(a, be, *spec, *fmt, run->final_state);
        if (!e.ok()) return fail(e.status().to_string());
        ev = *e;
    }
    uint64_t ran = run->losses.size();
    double sps = run->train_seconds > 0 ? static_cast<double>(ran) / run->train_seconds : 0;
    double hash_share = run->train_seconds + run->hash_seconds > 0
                            ? run->hash_seconds / (run->train_seconds + run->hash_seconds)
                            : 0;
    std::string final_leaf = run->leaves.empty() ? "" : to_hex(run->leaves.back());
    if (a.json) {
        nlohmann::json j{{"event", "summary"},       {"steps", run->final_state.step},
                         {"steps_run", ran},         {"steps_per_s", sps},
                         {"wall_s", wall},           {"hash_share", hash_share},
                         {"leaves", run->leaves.size()}, {"final_leaf", final_leaf},
                         {"backend", be.name()},     {"threads", a.threads},
                         {"final_loss", run->losses.empty() ? 0.0f : run->losses.back()}};
        if (have_test) {
            j["test_loss"] = ev.loss;
            j["test_accuracy"] = ev.accuracy;
            j["test_count"] = ev.count;
            if (fmt->name == kTextFormatName) j["test_bits_per_byte"] = ev.loss / std::log(2.0);
        }
        std::printf("%s\n", j.dump().c_str());
    } else {
        std::printf("trained %llu steps (to step %llu) on %s with %u thread(s): %.1f steps/s, "
                    "hashing %.2f%% of time, %zu leaves\n",
                    static_cast<unsigned long long>(ran),
                    static_cast<unsigned long long>(run->final_state.step), be.name().c_str(),
                    a.threads, sps, 100 * hash_share, run->leaves.size());
        if (have_test && fmt->name == kTextFormatName)
            std::printf("validation: %.4f bits per byte (loss %.4f nats), next-byte accuracy "
                        "%.2f%% (%llu bytes)\n",
                        ev.loss / std::log(2.0), ev.loss, 100 * ev.accuracy,
                        static_cast<unsigned long long>(ev.count));
        else if (have_test)
            std::printf("test: loss %.4f  accuracy %.2f%% (%llu records)\n", ev.loss,
                        100 * ev.accuracy, static_cast<unsigned long long>(ev.count));
        if (!final_leaf.empty()) std::printf("final leaf %s\n", final_leaf.c_str());
    }
    return 0;
}
