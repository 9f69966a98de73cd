#include "exec/exec_runner.h"
#include <cstring>

namespace rampart {

std::string ExecExit::describe(uint64_t timeout_sec) const {
  if (timed_out)
    return fmt::format("killed after its {}s time limit (<exec_timeout>)", timeout_sec);
  if (!error.empty()) return error;
  if (signal) return fmt::format("killed by signal {} ({})", signal, strsignal(signal));
  return fmt::format("exit status {}", code);
}

void emit_exec_lines(std::string& buffer, bool final,
                     const std::function<void(std::string_view)>& emit) {
  size_t start = 0;
  for (;;) {
    size_t nl = buffer.find('\n', start);
    if (nl == std::string::npos) break;
    if (emit) emit(std::string_view(buffer).substr(start, nl - start));
    start = nl + 1;
  }
  buffer.erase(0, start);
  // A line that never ends is passed on in pieces rather than held without bound.
  if ((final && !buffer.empty()) || buffer.size() >= kMaxExecLine) {
    if (emit) emit(buffer);
    buffer.clear();
  }
}

}  // namespace rampart
