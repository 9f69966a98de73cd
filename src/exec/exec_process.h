// One run of an active-response program: posix_spawn without a shell, a clean environment, a
// session of its own, stdin/stdout/stderr on non-blocking pipes watched by sd-event, the exit
// seen through a pidfd, and the whole process group killed when it overstays its time limit.
// Nothing here ever blocks the loop.
#pragma once

#include <sys/types.h>
#include <systemd/sd-event.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/fd.h"
#include "base/handles_event.h"
namespace rampart {

struct ExecExit {
  int code = -1;   // exit status, or -1 when killed by a signal
  int signal = 0;  // the signal that ended it
  bool timed_out = false;
  bool ok() const { return code == 0 && !timed_out; }
  std::string describe(uint64_t timeout_sec) const;
};

class ExecProcess {
 public:
  struct Callbacks {
    std::function<void(std::string_view line)> on_stdout;
    std::function<void(std::string_view line)> on_stderr;
    // Called once, last; the callee may destroy the ExecProcess.
    std::function<void(const ExecExit& exit)> on_exit;
  };

  // Starts argv[0] with `input` on stdin; stdin is closed after it unless `keep_stdin_open`
  // (the JSON protocol's add waits for the script's check_keys line).
  static Result<std::unique_ptr<ExecProcess>> spawn(sd_event* event,
                                                    const std::vector<std::string>& argv,
                                                    std::string input, bool keep_stdin_open,
                                                    uint64_t timeout_usec, Callbacks callbacks);
  ~ExecProcess();
  ExecProcess(const ExecProcess&) = delete;
  ExecProcess& operator=(const ExecProcess&) = delete;

  // Queues more input; closes stdin once it is written when `close_after`.
  void write_stdin(std::string data, bool close_after);
  pid_t pid() const { return pid_; }

  static constexpr size_t kMaxLine = 4096;

 private:
  struct Stream {
    Fd fd;
    EventSourcePtr source;
    std::string buffer;
    bool is_stdout = true;
  };
  ExecProcess() = default;
  void read_stream(Stream& s, bool until_eof);
  void emit_lines(Stream& s, bool final);
  void pump_stdin();
  void finished();
  static int on_out(sd_event_source*, int fd, uint32_t revents, void* userdata);
  static int on_in(sd_event_source*, int fd, uint32_t revents, void* userdata);
  static int on_pidfd(sd_event_source*, int fd, uint32_t revents, void* userdata);
  static int on_timeout(sd_event_source*, uint64_t usec, void* userdata);

  sd_event* event_ = nullptr;
  pid_t pid_ = -1;
  Fd pidfd_;
  EventSourcePtr pid_source_, timer_;
  Fd stdin_;
  EventSourcePtr stdin_source_;
  std::string pending_in_;
  bool close_in_after_ = true;
  Stream out_, err_;
  ExecExit exit_;
  Callbacks callbacks_;
};

}  // namespace rampart
