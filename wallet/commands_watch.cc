// task watch TASK_ID: polls the node and redraws the task's view in place on a terminal
// (wallet/task_watch.h); one JSON line per change with --output json, one text line per change
// when stdout is not a terminal. Exits when the task is done (0) or cancelled (task-cancelled).
#include <unistd.h>

#include <chrono>
#include <optional>
#include <ostream>
#include <thread>

#include "common/rpc_methods.h"
#include "wallet/commands.h"
#include "wallet/errors.h"
#include "wallet/task_watch.h"

namespace step::wallet {

using nlohmann::json;
namespace {

constexpr std::chrono::milliseconds kDefaultWatchPoll{1000};

// Draws each changed view: in place on a terminal (cursor up over the previous lines), else
// appended.
class WatchPrinter {
public:
    WatchPrinter(std::ostream& out, bool json, bool terminal) : out_(out), json_(json), terminal_(terminal) {}
    void show(const TaskWatchView& v, std::optional<double> seconds_per_block) {
        if (json_) {
            out_ << watch_json(v, seconds_per_block).dump() << "\n" << std::flush;
            return;
        }
        const std::vector<std::string> lines = render_watch(v, seconds_per_block);
        if (!terminal_) {
            std::string one;
            for (const std::string& l : lines) one += (one.empty() ? "" : "; ") + l;
            out_ << one << "\n" << std::flush;
            return;
        }
        if (drawn_ > 0) out_ << "\033[" << drawn_ << "F";  // to the first line drawn last time
        for (const std::string& l : lines) out_ << "\033[2K" << l << "\n";
        for (size_t i = lines.size(); i < drawn_; ++i) out_ << "\033[2K\n";  // a shorter view
        drawn_ = std::max(drawn_, lines.size());
        out_ << std::flush;
    }

private:
    std::ostream& out_;
    bool json_, terminal_;
    size_t drawn_ = 0;
};

}  // namespace

Result<CommandOutput> cmd_task_watch(Context& ctx, const std::string& task_id) {
    if (!hash_from_hex(task_id))
        return Status::error(codes::kBadTaskId, "'" + task_id + "' is not a task id (64 hex digits)");
    std::chrono::milliseconds poll = kDefaultWatchPoll;
    if (ctx.options.poll_ms) {
        auto ms = parse_base_units(*ctx.options.poll_ms);
        if (!ms.ok() || ms->units() == 0 || ms->units() > 600'000)
            return usage("--poll-ms must be 1..600000, not '" + *ctx.options.poll_ms + "'");
        poll = std::chrono::milliseconds(ms->units());
    }
    auto rpc = ctx.rpc();
    if (!rpc.ok()) return rpc.status();
    WatchPrinter printer(*ctx.out, ctx.options.output == OutputFormat::kJson, ::isatty(STDOUT_FILENO) == 1);
    std::string last_key;
    std::optional<std::pair<std::chrono::steady_clock::time_point, uint64_t>> first_seen;
    for (;;) {
        const json params = {{"task_id", task_id}};
        auto task = rpc->call(rpc::kGetTask, params, RpcAuth::kNone);
        if (!task.ok()) return task.status();
        auto progress = rpc->call(rpc::kGetTaskProgress, params, RpcAuth::kNone);
        if (!progress.ok()) return progress.status();
        auto view = make_watch_view(*task, *progress, *ctx.params);
        if (!view.ok()) return view.status();
        // The block rate as seen while watching: time per block since the first answer.
        const auto now = std::chrono::steady_clock::now();
        if (!first_seen) first_seen.emplace(now, view->height);
        std::optional<double> seconds_per_block;
        if (view->height > first_seen->second)
            seconds_per_block = std::chrono::duration<double>(now - first_seen->first).count() /
                                static_cast<double>(view->height - first_seen->second);
        if (view->change_key() != last_key) {
            printer.show(*view, seconds_per_block);
            last_key = view->change_key();
        }
        if (view->cancelled)
            return Status::error(codes::kTaskCancelled, "task " + task_id + " was cancelled");
        if (view->done) return CommandOutput{json(), ""};
        std::this_thread::sleep_for(poll);
    }
}

}  // namespace step::wallet
