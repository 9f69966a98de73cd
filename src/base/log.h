// Logging to stderr, with syslog priority prefixes when stderr is the journal.
#pragma once

#include <fmt/format.h>

#include <optional>
#include <string_view>

#include "base/error.h"

namespace rampart {

// syslog's priorities; rampart writes Error to Debug, the three above are for the maximum level
// an admin may set (org.freedesktop.LogControl1 takes any syslog level).
enum class LogLevel {
  Emergency = 0,
  Alert = 1,
  Critical = 2,
  Error = 3,
  Warning = 4,
  Notice = 5,
  Info = 6,
  Debug = 7
};
// Where lines go. rampartd only writes to stderr, which systemd usually connects to the
// journal: Auto and Journal prefix priorities when it is, Console never does, Null drops every
// line (the structured audit records go to the journal on their own and are never dropped).
enum class LogTarget { Auto, Console, Journal, Null };

void log_init();
// True when systemd connected stderr to the journal (JOURNAL_STREAM names stderr's device and
// inode): then lines get syslog priority prefixes, and structured records are the log.
bool stderr_is_journal();
void log_write(LogLevel level, std::string_view message);
void log_set_max_level(LogLevel level);
LogLevel log_max_level();
// Whether a line of `level` would be written now: skip building costly debug text when not.
bool log_enabled(LogLevel level);
void log_set_target(LogTarget target);
LogTarget log_target();

// syslog's names ("err", "debug") and systemd's target names, as LogControl1 spells them.
std::string_view log_level_name(LogLevel level);
std::optional<LogLevel> log_level_from_name(std::string_view name);
std::string_view log_target_name(LogTarget target);
std::optional<LogTarget> log_target_from_name(std::string_view name);

template <class... Args>
void log_error(fmt::format_string<Args...> f, Args&&... args) {
  log_write(LogLevel::Error, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void log_warning(fmt::format_string<Args...> f, Args&&... args) {
  log_write(LogLevel::Warning, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void log_notice(fmt::format_string<Args...> f, Args&&... args) {
  log_write(LogLevel::Notice, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void log_info(fmt::format_string<Args...> f, Args&&... args) {
  log_write(LogLevel::Info, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void log_debug(fmt::format_string<Args...> f, Args&&... args) {
  if (log_enabled(LogLevel::Debug))
    log_write(LogLevel::Debug, fmt::format(f, std::forward<Args>(args)...));
}

// The same, ending in ": " and the text of `code` (errno, or an sd-* function's negative errno).
template <class... Args>
void log_error_errno(int code, fmt::format_string<Args...> f, Args&&... args) {
  log_write(LogLevel::Error, fmt::format(f, std::forward<Args>(args)...) + ": " + errno_text(code));
}
template <class... Args>
void log_warning_errno(int code, fmt::format_string<Args...> f, Args&&... args) {
  log_write(LogLevel::Warning,
            fmt::format(f, std::forward<Args>(args)...) + ": " + errno_text(code));
}

// Allows `limit` messages per `interval_us`, then counts what it suppressed.
class RateLimit {
 public:
  RateLimit(uint64_t interval_us, unsigned limit) : interval_us_(interval_us), limit_(limit) {}
  // True when a message may be written now; `suppressed` gets how many were dropped since the
  // last one that was written.
  bool allow(uint64_t now_us, uint64_t* suppressed);

 private:
  uint64_t interval_us_;
  unsigned limit_;
  uint64_t window_start_ = 0;
  unsigned in_window_ = 0;
  uint64_t suppressed_ = 0;
};

}  // namespace rampart
