#include "base/log.h"
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace rampart {
namespace {

bool g_journal = false;
LogLevel g_max = LogLevel::Info;
LogTarget g_target = LogTarget::Auto;

constexpr std::string_view kLevelNames[] = {"emerg",   "alert",  "crit", "err",
                                            "warning", "notice", "info", "debug"};
constexpr std::string_view kTargetNames[] = {"auto", "console", "journal", "null"};

}  // namespace

// systemd sets JOURNAL_STREAM=dev:ino when stderr is connected to the journal.
bool stderr_is_journal() {
  const char* e = getenv("JOURNAL_STREAM");
  if (!e) return false;
  unsigned long long dev = 0, ino = 0;
  if (sscanf(e, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st;
  if (fstat(STDERR_FILENO, &st) != 0) return false;
  return st.st_dev == dev && st.st_ino == ino;
}

void log_init() {
  g_journal = stderr_is_journal();
}

void log_set_max_level(LogLevel level) {
  g_max = level;
}

LogLevel log_max_level() {
  return g_max;
}

bool log_enabled(LogLevel level) {
  return g_target != LogTarget::Null && static_cast<int>(level) <= static_cast<int>(g_max);
}

void log_set_target(LogTarget target) {
  g_target = target;
}

LogTarget log_target() {
  return g_target;
}

std::string_view log_level_name(LogLevel level) {
  return kLevelNames[static_cast<size_t>(level)];
}

std::optional<LogLevel> log_level_from_name(std::string_view name) {
  for (size_t i = 0; i < std::size(kLevelNames); ++i)
    if (kLevelNames[i] == name) return static_cast<LogLevel>(i);
  return std::nullopt;
}

std::string_view log_target_name(LogTarget target) {
  return kTargetNames[static_cast<size_t>(target)];
}

std::optional<LogTarget> log_target_from_name(std::string_view name) {
  for (size_t i = 0; i < std::size(kTargetNames); ++i)
    if (kTargetNames[i] == name) return static_cast<LogTarget>(i);
  return std::nullopt;
}

void log_write(LogLevel level, std::string_view message) {
  if (!log_enabled(level)) return;
  std::string line;
  line.reserve(message.size() + 8);
  if (g_journal && g_target != LogTarget::Console) {
    line += '<';
    line += char('0' + static_cast<int>(level));
    line += '>';
  } else if (level <= LogLevel::Warning) {
    line += level == LogLevel::Error ? "error: " : "warning: ";
  }
  line += message;
  line += '\n';
  fwrite(line.data(), 1, line.size(), stderr);
}

bool RateLimit::allow(uint64_t now_us, uint64_t* suppressed) {
  if (now_us >= window_start_ + interval_us_) {
    window_start_ = now_us;
    in_window_ = 0;
  }
  if (in_window_ >= limit_) {
    ++suppressed_;
    return false;
  }
  ++in_window_;
  if (suppressed) *suppressed = suppressed_;
  suppressed_ = 0;
  return true;
}

}  // namespace rampart
