// step-bench whistle_catch_rate: what a whistleblower agent catches per core-hour against solvers
//   that each forge one leaf of a unit, for the example task (examples/mnist-mlp.toml).
//   - the CPU time of one segment replay, the agent's unit of work: verifier::run_audit of the C
//     steps from a checkpoint to the next (from G_0 here: every segment costs the same), one
//     thread, over the 500-digit fixture;
//   - segments and leaves replayed per core-hour, and whole units (every segment) checked;
//   - caught per core-hour: W opened units are watched, each with one forged leaf placed
//     uniformly (so in one segment); the agent's own next_replay (wallet/agent_logic.h) picks the
//     segments, a pick of the forged segment catches the unit, and a caught unit is replaced by a
//     new forged one (a market that keeps W forged units open); the number of picks is one
//     core-hour of segment replays. Reported per core-hour and at --cpu-share, with the share of
//     the forged units seen in that hour that were caught.
// Options: --spec PATH, --data PATH (default tests/fixtures/mnist-train-500.rec), --runs N
//   (segment replays timed, default 3), --units W (default 10), --cpu-share S (default the
//   agent's 0.25), --seed N; paths relative to the working directory (the repository root).
#include <algorithm>
#include <cstdio>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_json.h"
#include "bench/benches.h"
#include "kernels/backend.h"
#include "kernels/data.h"
#include "kernels/simd.h"
#include "kernels/spec.h"
#include "kernels/state.h"
#include "verifier/audit.h"
#include "verifier/trace.h"
#include "wallet/agent.h"
#include "wallet/agent_logic.h"

namespace step::bench {

namespace {

std::string arg(const std::vector<std::string>& args, const std::string& name,
                const std::string& dflt) {
    for (size_t i = 0; i + 1 < args.size(); ++i)
        if (args[i] == name) return args[i + 1];
    return dflt;
}

double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

int fail(const Status& s) {
    std::fprintf(stderr, "step-bench whistle_catch_rate: %s\n", s.to_string().c_str());
    return 1;
}

// The CPU seconds of one segment replay (the fastest of `runs`: the least disturbed).
Result<double> time_segment(const kernels::TaskSpec& spec, const kernels::Dataset& data, int runs,
                            uint32_t per_checkpoint) {
    kernels::Exec ex;
    ex.simd = kernels::detect_simd();
    auto backend = kernels::make_cpu_backend(ex);
    auto start = kernels::init_state(spec);
    if (!start.ok()) return start.status();
    const verifier::UnitRef ref{Hash256{}, 0, 0};
    const Bytes bytes = kernels::state_to_bytes(*start);
    const Hash256 leaf0 = verifier::trace_leaf(ref, 0, *start, ex);
    double best = 0;
    for (int r = 0; r < runs; ++r) {
        const double t0 = thread_cpu_seconds();
        auto work =
            verifier::run_audit(*backend, ex, spec, data, ref, per_checkpoint, bytes, leaf0);
        if (!work.ok()) return work.status();
        const double t = thread_cpu_seconds() - t0;
        best = r == 0 ? t : std::min(best, t);
    }
    return best;
}

struct Catches {
    uint64_t caught = 0;
    uint64_t seen = 0;  // forged units watched during the picks
};

// W forged units watched; `picks` segment replays chosen by next_replay.
Catches simulate(uint32_t segments, uint32_t units, uint64_t picks, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<wallet::agent::WatchedUnit> watched(units);
    std::vector<uint32_t> forged(units);
    Catches c;
    auto fresh = [&](size_t i) {
        watched[i] = wallet::agent::WatchedUnit{segments, false, {}, {}};
        forged[i] = static_cast<uint32_t>(rng() % segments);
        ++c.seen;
    };
    for (size_t i = 0; i < units; ++i) fresh(i);
    for (uint64_t p = 0; p < picks; ++p) {
        auto pick = wallet::agent::next_replay(watched, rng());
        if (!pick) break;
        watched[pick->unit].replayed.insert(pick->segment);
        if (pick->segment == forged[pick->unit]) {
            ++c.caught;
            fresh(pick->unit);
        }
    }
    return c;
}

}  // namespace

int wallet_whistle(const std::vector<std::string>& args) {
    auto spec = kernels::load_task_spec(arg(args, "--spec", "examples/mnist-mlp.toml"));
    if (!spec.ok()) return fail(spec.status());
    auto data = kernels::load_records(arg(args, "--data", "tests/fixtures/mnist-train-500.rec"),
                                      *kernels::record_format("mnist-u8"));
    if (!data.ok()) return fail(data.status());
    auto shape = verifier::trace_shape(*spec);
    if (!shape.ok()) return fail(shape.status());
    const int runs = std::stoi(arg(args, "--runs", "3"));
    const auto units = static_cast<uint32_t>(std::stoul(arg(args, "--units", "10")));
    const double share =
        std::stod(arg(args, "--cpu-share", std::to_string(wallet::agent::kDefaultCpuShare)));
    const uint64_t seed = std::stoull(arg(args, "--seed", "1"));
    const uint32_t per = shape->leaves_per_checkpoint;
    const uint32_t segments = (shape->last_leaf + per - 1) / per;

    auto secs = time_segment(*spec, *data, runs, per);
    if (!secs.ok()) return fail(secs.status());
    const double per_hour = 3600.0 / *secs;
    const std::string params =
        "C=" + std::to_string(spec->checkpoint_interval) +
        " L=" + std::to_string(spec->leaf_interval) + " U=" + std::to_string(spec->steps_per_unit) +
        " segments/unit=" + std::to_string(segments) + ", 1 thread, CPU time";
    emit({"whistle_segment_replay", *secs * 1e3, "ms", "", 0, params});
    emit({"whistle_segments_per_core_hour", per_hour, "segments", "", 0, ""});
    emit({"whistle_leaves_per_core_hour", per_hour * per, "leaves", "", 0, ""});
    emit({"whistle_units_checked_per_core_hour", per_hour / segments, "units", "", 0,
          "every segment of a unit replayed"});
    const Catches core = simulate(segments, units, static_cast<uint64_t>(per_hour), seed);
    const std::string watched = std::to_string(units) + " forged units open, next_replay picks";
    emit({"whistle_catches_per_core_hour", static_cast<double>(core.caught), "units", "", 0,
          watched});
    const Catches at = simulate(segments, units, static_cast<uint64_t>(per_hour * share), seed);
    emit({"whistle_catches_per_hour_at_share", static_cast<double>(at.caught), "units", "", 0,
          "--cpu-share " + std::to_string(share) + ", " + watched});
    emit({"whistle_caught_share_at_share",
          100.0 * static_cast<double>(at.caught) / static_cast<double>(at.seen), "%", "", 0,
          "of the forged units watched in that hour"});
    return 0;
}

}  // namespace step::bench
