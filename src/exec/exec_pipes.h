// rampartd's ends of a program's stdin and output pipes, non-blocking and pumped by sd-event,
// whoever starts the program (posix_spawn or systemd, which gets the other ends).
#pragma once

#include <systemd/sd-event.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/error.h"
#include "base/fd.h"
#include "base/handles_event.h"
namespace rampart {

class ExecPipes {
 public:
  using LineHandler = std::function<void(std::string_view line)>;
  // The program's ends: stdin to read, stdout (and stderr, when asked for) to write.
  struct ChildEnds {
    Fd in, out, err;
  };

  // Lines of stdout go to `on_stdout`; with `on_stderr`, stderr gets a pipe of its own.
  static Result<std::unique_ptr<ExecPipes>> open(sd_event* event, LineHandler on_stdout,
                                                 LineHandler on_stderr, ChildEnds& ret_child);
  ~ExecPipes() = default;
  ExecPipes(const ExecPipes&) = delete;
  ExecPipes& operator=(const ExecPipes&) = delete;

  // Queues input; closes stdin once it is written when `close_after` (EPIPE drops the rest).
  void write_stdin(std::string data, bool close_after);
  // The program has ended: reads what its pipes still hold, passes on a last unfinished line,
  // and closes everything. A grandchild that keeps a pipe open is not waited for.
  void drain();

 private:
  struct Stream {
    Fd fd;
    EventSourcePtr source;
    std::string buffer;
    LineHandler on_line;
  };
  ExecPipes() = default;
  void read_stream(Stream& s, bool at_exit);
  void pump_stdin();
  static int on_out(sd_event_source*, int fd, uint32_t revents, void* userdata);
  static int on_in(sd_event_source*, int fd, uint32_t revents, void* userdata);

  Fd stdin_;
  EventSourcePtr stdin_source_;
  std::string pending_in_;
  bool close_in_after_ = true;
  Stream out_, err_;
};

}  // namespace rampart
