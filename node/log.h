// Human-readable log lines "2026-01-01T12:00:00.123Z INFO  message" to stderr and, optionally,
// to a file. Thread-safe; one process-wide logger, configured once at start-up.
#pragma once

#include <optional>
#include <sstream>
#include <string>
#include <string_view>

namespace step::node {

enum class LogLevel { kTrace = 0, kDebug, kInfo, kWarn, kError };

std::optional<LogLevel> parse_log_level(std::string_view name);
std::string_view log_level_name(LogLevel level);

void set_log_level(LogLevel level);
LogLevel log_level();
// Also append every line to this file (opened in append mode); empty path closes it.
// Returns false when the file cannot be opened.
bool set_log_file(const std::string& path);

void log_line(LogLevel level, std::string_view message);

template <class... Args>
void log(LogLevel level, const Args&... args) {
    if (level < log_level()) return;
    std::ostringstream os;
    (os << ... << args);
    log_line(level, os.str());
}
template <class... Args> void log_debug(const Args&... a) { log(LogLevel::kDebug, a...); }
template <class... Args> void log_info(const Args&... a) { log(LogLevel::kInfo, a...); }
template <class... Args> void log_warn(const Args&... a) { log(LogLevel::kWarn, a...); }
template <class... Args> void log_error(const Args&... a) { log(LogLevel::kError, a...); }

}  // namespace step::node
