// Logging to stderr, with syslog priority prefixes when stderr is the journal.
#pragma once

#include <fmt/format.h>

#include <string_view>

#include "base/error.h"

namespace rampart {

enum class LogLevel { Error = 3, Warning = 4, Notice = 5, Info = 6, Debug = 7 };

void log_init();
// True when systemd connected stderr to the journal (JOURNAL_STREAM names stderr's device and
// inode): then lines get syslog priority prefixes, and structured records are the log.
bool stderr_is_journal();
void log_write(LogLevel level, std::string_view message);
void log_set_max_level(LogLevel level);

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
