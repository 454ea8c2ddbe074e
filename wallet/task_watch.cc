#include "wallet/task_watch.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "wallet/context.h"
#include "wallet/errors.h"

namespace step::wallet {

using nlohmann::json;

namespace {

constexpr size_t kBarWidth = 30;        // characters of the progress bar
constexpr size_t kSparklineWidth = 40;  // losses shown (the latest)

// The nearest window end after `height` among the committed units' windows, each moved by its
// `window_delay` (a drawn verifier's data challenge answered late), as consensus moves them.
void nearest_deadline(const json& units, uint64_t height, const consensus::Params& params,
                      TaskWatchView& v) {
    for (const json& u : units) {
        auto commit = json_u64(u, "commit_height");
        if (!commit.ok() || *commit == 0) continue;
        auto delay = json_u64(u, "window_delay");  // absent from an older node's answer
        const consensus::UnitWindows w =
            consensus::unit_windows(*commit, params, delay.ok() ? *delay : 0);
        const std::pair<uint64_t, const char*> ends[] = {{w.commit_end, "audit commit"},
                                                         {w.reveal_end, "audit reveal"},
                                                         {w.open_end, "trace opening"},
                                                         {w.final_at, "finality"}};
        for (const auto& [at, name] : ends) {
            if (at <= height) continue;
            if (!v.blocks_to_deadline || at - height < *v.blocks_to_deadline) {
                v.blocks_to_deadline = at - height;
                v.deadline_name = name;
            }
            break;  // the first end still ahead is this unit's next deadline
        }
    }
}

std::string time_text(double seconds) {
    char buf[32];
    if (seconds < 120) std::snprintf(buf, sizeof buf, "%.0f s", seconds);
    else if (seconds < 7200) std::snprintf(buf, sizeof buf, "%.0f min", seconds / 60);
    else std::snprintf(buf, sizeof buf, "%.1f h", seconds / 3600);
    return buf;
}

}  // namespace

std::string TaskWatchView::change_key() const {
    std::string k = std::to_string(height) + "/" + std::to_string(units_final) + "/" +
                    std::to_string(losses.size()) + "/" + (done ? "d" : "") + (cancelled ? "c" : "");
    return k;
}

Result<TaskWatchView> make_watch_view(const json& task, const json& progress,
                                      const consensus::Params& params) {
    TaskWatchView v;
    auto height = json_u64(progress, "height");
    auto final_units = json_u64(progress, "units_final");
    auto total = json_u64(progress, "units_total");
    auto rounds = json_u64(progress, "rounds");
    auto submitted = json_u64(task, "submit_height");
    for (const Status& s : {height.status(), final_units.status(), total.status(), rounds.status(),
                            submitted.status()})
        if (!s.ok()) return s;
    v.task_id = progress.value("task_id", std::string());
    v.height = *height;
    v.units_final = *final_units;
    v.units_total = *total;
    v.rounds = static_cast<uint32_t>(*rounds);
    v.done = progress.value("done", false);
    v.cancelled = progress.value("cancelled", false);
    if (progress.contains("current_round") && progress["current_round"].is_number_unsigned())
        v.current_round = progress["current_round"].get<uint32_t>();
    const json units = progress.value("committed_units", json::array());
    for (const json& u : units)
        if (u.contains("reported_loss") && u["reported_loss"].is_number())
            v.losses.push_back(u["reported_loss"].get<double>());
    if (v.finished()) return v;
    nearest_deadline(units, v.height, params, v);
    // Units final per block since submission, extrapolated to the units left.
    const uint64_t elapsed = v.height > *submitted ? v.height - *submitted : 0;
    if (v.units_final > 0 && elapsed > 0) {
        const double per_unit = static_cast<double>(elapsed) / static_cast<double>(v.units_final);
        v.blocks_left = static_cast<uint64_t>(
            std::ceil(per_unit * static_cast<double>(v.units_total - v.units_final)));
    }
    return v;
}

std::string loss_sparkline(const std::vector<double>& losses, size_t width) {
    static const char* const kBlocks[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
    std::vector<double> shown;
    for (double l : losses)
        if (std::isfinite(l)) shown.push_back(l);
    if (shown.size() > width) shown.erase(shown.begin(), shown.end() - static_cast<long>(width));
    if (shown.empty()) return "";
    const auto [lo, hi] = std::minmax_element(shown.begin(), shown.end());
    std::string out;
    for (double l : shown) {
        const double t = *hi > *lo ? (l - *lo) / (*hi - *lo) : 0.5;
        out += kBlocks[std::clamp(static_cast<int>(t * 7.0 + 0.5), 0, 7)];
    }
    return out;
}

std::vector<std::string> render_watch(const TaskWatchView& v, std::optional<double> seconds_per_block) {
    std::vector<std::string> lines;
    const size_t filled =
        v.units_total ? static_cast<size_t>(kBarWidth * v.units_final / v.units_total) : 0;
    std::string bar = "[" + std::string(filled, '#') + std::string(kBarWidth - filled, '.') + "]";
    lines.push_back("task " + v.task_id.substr(0, 16) + "...  height " + std::to_string(v.height));
    std::string state = v.done ? "done" : v.cancelled ? "cancelled"
                                        : "round " + std::to_string(*v.current_round + 1) + " of " +
                                              std::to_string(v.rounds);
    lines.push_back(bar + " " + std::to_string(v.units_final) + "/" + std::to_string(v.units_total) +
                    " units final, " + state);
    if (!v.losses.empty()) {
        char last[32];
        std::snprintf(last, sizeof last, "%.4f", v.losses.back());
        lines.push_back("reported loss " + loss_sparkline(v.losses, kSparklineWidth) + " " + last +
                        " (self-reported by solvers)");
    }
    if (v.blocks_to_deadline)
        lines.push_back("next deadline: " + v.deadline_name + " in " +
                        std::to_string(*v.blocks_to_deadline) + " block(s)");
    if (v.blocks_left)
        lines.push_back("left: about " + std::to_string(*v.blocks_left) + " blocks" +
                        (seconds_per_block ? " (" + time_text(*v.blocks_left * *seconds_per_block) + ")" : ""));
    return lines;
}

json watch_json(const TaskWatchView& v, std::optional<double> seconds_per_block) {
    json j = {{"task_id", v.task_id},         {"height", v.height},
              {"units_final", v.units_final}, {"units_total", v.units_total},
              {"rounds", v.rounds},           {"done", v.done},
              {"cancelled", v.cancelled},     {"losses", v.losses}};
    j["current_round"] = v.current_round ? json(*v.current_round) : json(nullptr);
    if (v.blocks_to_deadline)
        j["next_deadline"] = {{"what", v.deadline_name}, {"blocks", *v.blocks_to_deadline}};
    if (v.blocks_left) j["blocks_left"] = *v.blocks_left;
    if (v.blocks_left && seconds_per_block) j["seconds_left"] = *v.blocks_left * *seconds_per_block;
    return j;
}

}  // namespace step::wallet
