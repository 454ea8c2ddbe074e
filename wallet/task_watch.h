// `step-wallet task watch TASK_ID`: a live view of one task. The view is computed from the
// node's answers (gettask, gettaskprogress) by pure functions, so unit tests can check what a
// person sees without a node; commands_watch.cc polls and draws.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/status.h"
#include "consensus/params.h"

namespace step::wallet {

struct TaskWatchView {
    std::string task_id;
    uint64_t height = 0;
    uint64_t units_final = 0, units_total = 0;
    uint32_t rounds = 0;
    std::optional<uint32_t> current_round;  // none once done or cancelled
    std::vector<double> losses;             // committed units' reported losses, by (round, unit)
    // The nearest window a committed unit is waiting for (blocks from the tip) and its name.
    std::optional<uint64_t> blocks_to_deadline;
    std::string deadline_name;
    // Blocks still needed at the rate units have become final since the task was submitted.
    std::optional<uint64_t> blocks_left;
    bool done = false, cancelled = false;

    bool finished() const { return done || cancelled; }
    // What a person sees change: two views with the same key draw the same.
    std::string change_key() const;
};

// The view from a gettask and a gettaskprogress answer; rpc-bad-response when they lack fields.
Result<TaskWatchView> make_watch_view(const nlohmann::json& task, const nlohmann::json& progress,
                                      const consensus::Params& params);

// Reported losses as a row of block characters (lowest to highest), at most `width` wide (the
// latest values).
std::string loss_sparkline(const std::vector<double>& losses, size_t width);

// The view as lines of text; `seconds_per_block` (measured while watching) turns blocks into
// time when known.
std::vector<std::string> render_watch(const TaskWatchView& v, std::optional<double> seconds_per_block);
// The view as one JSON object (one line per change with --output json).
nlohmann::json watch_json(const TaskWatchView& v, std::optional<double> seconds_per_block);

}  // namespace step::wallet
