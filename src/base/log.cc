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

void log_write(LogLevel level, std::string_view message) {
  if (static_cast<int>(level) > static_cast<int>(g_max)) return;
  std::string line;
  line.reserve(message.size() + 8);
  if (g_journal) {
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
