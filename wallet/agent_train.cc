#include "wallet/agent_train.h"

#include <algorithm>
#include <bit>
#include <chrono>

#include <nlohmann/json.hpp>

#include "common/merkle.h"
#include "common/rpc_methods.h"
#include "wallet/errors.h"
#include "wallet/secure_file.h"

namespace step::wallet::agent {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// The progress file: {"leaf0": hex, "leaves": [hex, ...], "loss_bits": u32}. `leaves` runs from
// leaf 0 to the last checkpoint written; `loss_bits` (the last step's loss as binary32 bits, so it
// round-trips exactly) only once the unit is trained to its last leaf.
struct Progress {
    std::vector<Hash256> leaves;
    std::optional<float> last_loss;
};

Status save_progress(const std::string& path, const Progress& p) {
    json j = {{"leaf0", to_hex(p.leaves.front())}, {"leaves", json::array()}};
    for (const Hash256& l : p.leaves) j["leaves"].push_back(to_hex(l));
    if (p.last_loss) j["loss_bits"] = std::bit_cast<uint32_t>(*p.last_loss);
    return atomic_write_file(path, j.dump(), 0600, WriteMode::kReplace);
}

// The saved progress of the unit whose leaf 0 is `leaf0`; nullopt when there is none, or it
// belongs to another start state (the round before was redone), or does not parse.
std::optional<Progress> load_progress(const std::string& path, const Hash256& leaf0) {
    auto text = read_small_file(path, 64u << 20);
    if (!text.ok()) return std::nullopt;
    const json j = json::parse(*text, nullptr, false);
    if (!j.is_object() || j.value("leaf0", std::string()) != to_hex(leaf0) ||
        !j.contains("leaves") || !j["leaves"].is_array())
        return std::nullopt;
    Progress p;
    for (const json& l : j["leaves"]) {
        auto h = l.is_string() ? hash_from_hex(l.get<std::string>()) : std::nullopt;
        if (!h) return std::nullopt;
        p.leaves.push_back(*h);
    }
    if (p.leaves.empty() || p.leaves.front() != leaf0) return std::nullopt;
    if (j.contains("loss_bits") && j["loss_bits"].is_number_unsigned())
        p.last_loss = std::bit_cast<float>(j["loss_bits"].get<uint32_t>());
    return p;
}

Status save_bytes(const std::string& dir, const Hash256& leaf, const Bytes& bytes) {
    return atomic_write_file(state_file_path(dir, leaf), std::string(bytes.begin(), bytes.end()),
                             0600, WriteMode::kReplace);
}

Status save_state(const std::string& dir, const Hash256& leaf, const kernels::TrainState& s) {
    return save_bytes(dir, leaf, kernels::state_to_bytes(s));
}

// The state a checkpoint file holds, when it is the one `committed` commits to at `leaf`.
std::optional<kernels::TrainState> load_checkpoint(const UnitTraining& job, uint32_t leaf,
                                                   const Hash256& committed) {
    auto file = read_small_file(state_file_path(job.state_dir, committed), rpc::kMaxBlobBytes);
    if (!file.ok()) return std::nullopt;
    const Bytes bytes(file->begin(), file->end());
    if (kernels::leaf_digest(job.unit.task_id, job.unit.round, job.unit.unit, leaf,
                             blob_root(bytes)) != committed)
        return std::nullopt;
    auto s = kernels::state_from_bytes(bytes);
    if (!s.ok()) return std::nullopt;
    return std::move(*s);
}

// Where training starts: the last intact checkpoint of the saved progress, else leaf 0.
struct Resume {
    Progress progress;
    kernels::TrainState state;
    uint32_t leaf = 0;
};

Resume resume_point(const UnitTraining& job, const Hash256& leaf0) {
    Resume r{Progress{{leaf0}, std::nullopt}, job.start, 0};
    auto saved = load_progress(job.progress_path, leaf0);
    if (!saved) return r;
    // The newest checkpoint first; a torn or missing state file falls back to the one before.
    auto leaf =
        static_cast<uint32_t>(std::min<size_t>(saved->leaves.size() - 1, job.shape.last_leaf));
    for (leaf -= leaf % job.shape.leaves_per_checkpoint; leaf > 0;
         leaf -= job.shape.leaves_per_checkpoint) {
        // The last leaf counts only with its loss (written with it): the commit reports it.
        if (leaf == job.shape.last_leaf && !saved->last_loss) continue;
        auto s = load_checkpoint(job, leaf, saved->leaves[leaf]);
        if (!s) continue;
        saved->leaves.resize(leaf + 1);
        if (leaf != job.shape.last_leaf) saved->last_loss.reset();
        return Resume{std::move(*saved), std::move(*s), leaf};
    }
    return r;
}

}  // namespace

std::string state_file_path(const std::string& dir, const Hash256& committed_leaf) {
    return dir + "/" + to_hex(committed_leaf) + ".state";
}

std::vector<uint32_t> served_leaves(const verifier::TraceShape& shape) {
    std::vector<uint32_t> out;
    for (uint32_t l = 0; l < shape.last_leaf; l += shape.leaves_per_checkpoint) out.push_back(l);
    out.push_back(shape.last_leaf);
    return out;
}

Result<TrainedUnit> train_unit(const UnitTraining& job, const std::atomic<bool>& stop) {
    const verifier::TraceShape& shape = job.shape;
    const Hash256 leaf0 = verifier::trace_leaf(job.unit, 0, job.start, job.exec);
    Resume at = resume_point(job, leaf0);
    TrainedUnit out;
    out.resumed_from = at.leaf;
    if (at.leaf == 0) STEP_TRY(save_state(job.state_dir, leaf0, job.start));
    const auto t0 = Clock::now();
    while (at.leaf < shape.last_leaf) {
        if (stop.load())
            return Status::error(codes::kCancelled, "stopped at leaf " + std::to_string(at.leaf) +
                                                        " of " + std::to_string(shape.last_leaf));
        const uint32_t to = std::min(at.leaf + shape.leaves_per_checkpoint, shape.last_leaf);
        at.progress.leaves.resize(at.leaf + 1);
        float loss = 0;
        auto next = verifier::replay_leaves(
            *job.backend, job.exec, job.spec, *job.data, job.unit, at.state, at.leaf, to,
            [&](uint32_t, const kernels::TrainState&, const Hash256& digest) {
                at.progress.leaves.push_back(digest);
            },
            std::nullopt, &loss);
        if (!next.ok()) return next.status();
        out.steps_trained += (to - at.leaf) * shape.leaf_interval;
        // The state first, then the progress that names it: a kill between the two leaves a
        // state file no progress points at, never progress whose state is missing.
        STEP_TRY(save_state(job.state_dir, at.progress.leaves[to], *next));
        if (to == shape.last_leaf) at.progress.last_loss = loss;
        STEP_TRY(save_progress(job.progress_path, at.progress));
        at.state = std::move(*next);
        at.leaf = to;
    }
    out.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    out.leaves = std::move(at.progress.leaves);
    out.root = merkle_root(out.leaves);
    out.last_loss = *at.progress.last_loss;
    return out;
}

Result<TrainedUnit> keep_trace(const UnitTraining& job, const verifier::UnitTrace& trace,
                               double seconds) {
    if (trace.leaves.size() != job.shape.leaf_count())
        return Status::error(codes::kStateCorrupt, "a trace of " + std::to_string(trace.leaves.size()) +
                                                       " leaves for a unit of " +
                                                       std::to_string(job.shape.leaf_count()));
    for (const verifier::Checkpoint& c : trace.checkpoints)
        STEP_TRY(save_bytes(job.state_dir, trace.leaves[c.leaf], c.bytes));
    if (!job.shape.is_checkpoint(job.shape.last_leaf))
        STEP_TRY(save_state(job.state_dir, trace.leaves.back(), trace.final_state));
    return TrainedUnit{trace.leaves, trace.root, trace.last_loss, 0, job.shape.steps, seconds};
}

Result<double> measure_step_rate(kernels::Backend& backend, const kernels::Exec& exec,
                                 const kernels::TaskSpec& spec, const kernels::Dataset& data,
                                 const Hash256& task_id) {
    auto shape = verifier::trace_shape(spec);
    if (!shape.ok()) return shape.status();
    auto start = kernels::init_state(spec);
    if (!start.ok()) return start.status();
    const auto t0 = Clock::now();
    auto end =
        verifier::replay_leaves(backend, exec, spec, data, {task_id, 0, 0}, *start, 0, 1, {});
    if (!end.ok()) return end.status();
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    return static_cast<double>(shape->leaf_interval) / std::max(secs, 1e-6);
}

}  // namespace step::wallet::agent
