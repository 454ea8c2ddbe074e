#include "node/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

#include "node/regular_file.h"

namespace step::node {
namespace {

std::atomic<LogLevel> g_level{LogLevel::kInfo};
std::mutex g_mutex;
FILE* g_file = nullptr;  // guarded by g_mutex

std::string timestamp_utc() {
    using namespace std::chrono;
    const auto now = system_clock::now();
    const auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    const std::time_t t = system_clock::to_time_t(now);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
    return buf;
}

}  // namespace

std::optional<LogLevel> parse_log_level(std::string_view name) {
    if (name == "trace") return LogLevel::kTrace;
    if (name == "debug") return LogLevel::kDebug;
    if (name == "info") return LogLevel::kInfo;
    if (name == "warn" || name == "warning") return LogLevel::kWarn;
    if (name == "error") return LogLevel::kError;
    return std::nullopt;
}

std::string_view log_level_name(LogLevel level) {
    switch (level) {
        case LogLevel::kTrace: return "TRACE";
        case LogLevel::kDebug: return "DEBUG";
        case LogLevel::kInfo: return "INFO";
        case LogLevel::kWarn: return "WARN";
        case LogLevel::kError: return "ERROR";
    }
    return "?";
}

void set_log_level(LogLevel level) { g_level = level; }
LogLevel log_level() { return g_level; }

bool set_log_file(const std::string& path) {
    std::lock_guard lock(g_mutex);
    if (g_file) std::fclose(g_file);
    g_file = nullptr;
    if (path.empty()) return true;
    // Never a FIFO or device named debug.log: opening one for writing could block start-up.
    const OpenedFile opened = open_regular_file(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (!opened.ok()) return false;
    g_file = ::fdopen(opened.fd, "a");
    if (!g_file) ::close(opened.fd);
    return g_file != nullptr;
}

void log_line(LogLevel level, std::string_view message) {
    if (level < log_level()) return;
    std::string line = timestamp_utc();
    line += ' ';
    line += log_level_name(level);
    line.append(6 - log_level_name(level).size(), ' ');
    line += message;
    line += '\n';
    std::lock_guard lock(g_mutex);
    std::fwrite(line.data(), 1, line.size(), stderr);
    if (g_file) {
        std::fwrite(line.data(), 1, line.size(), g_file);
        std::fflush(g_file);
    }
}

}  // namespace step::node
