#include "exec/exec_pipes.h"
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "exec/exec_runner.h"
namespace rampart {

namespace {

// rampartd's end non-blocking (the loop never waits), both ends close-on-exec (the program
// gets its end through dup2 or systemd, nothing else inherits them).
Result<void> make_pipe(Fd& ret_read, Fd& ret_write) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return fail_errno(errno, "pipe");
  ret_read.reset(p[0]);
  ret_write.reset(p[1]);
  return {};
}

void set_nonblocking(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

}  // namespace

Result<std::unique_ptr<ExecPipes>> ExecPipes::open(sd_event* event, LineHandler on_stdout,
                                                   LineHandler on_stderr, ChildEnds& ret_child) {
  std::unique_ptr<ExecPipes> p(new ExecPipes());
  ChildEnds child;
  Result<void> ok = make_pipe(child.in, p->stdin_);
  if (ok) ok = make_pipe(p->out_.fd, child.out);
  if (ok && on_stderr) ok = make_pipe(p->err_.fd, child.err);
  if (!ok) return std::unexpected(ok.error());
  p->out_.on_line = std::move(on_stdout);
  p->err_.on_line = std::move(on_stderr);

  sd_event_source* s = nullptr;
  auto watch = [&](Fd& fd, uint32_t events, sd_event_io_handler_t handler,
                   EventSourcePtr& slot) -> Result<void> {
    if (!fd) return {};
    set_nonblocking(fd.get());
    if (int r = sd_event_add_io(event, &s, fd.get(), events, handler, p.get()); r < 0)
      return fail_errno(r, "sd_event_add_io");
    slot.reset(s);
    return {};
  };
  ok = watch(p->out_.fd, EPOLLIN, on_out, p->out_.source);
  if (ok) ok = watch(p->err_.fd, EPOLLIN, on_out, p->err_.source);
  if (ok) ok = watch(p->stdin_, EPOLLOUT, on_in, p->stdin_source_);
  if (!ok) return std::unexpected(ok.error());
  sd_event_source_set_enabled(p->stdin_source_.get(), SD_EVENT_OFF);
  ret_child = std::move(child);
  return p;
}

void ExecPipes::write_stdin(std::string data, bool close_after) {
  if (!stdin_) return;
  pending_in_ += data;
  close_in_after_ = close_after;
  pump_stdin();
}

void ExecPipes::pump_stdin() {
  while (!pending_in_.empty()) {
    ssize_t n = ::write(stdin_.get(), pending_in_.data(), pending_in_.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n < 0) {  // EPIPE: the program does not read its input
      pending_in_.clear();
      close_in_after_ = true;
      break;
    }
    pending_in_.erase(0, static_cast<size_t>(n));
  }
  if (pending_in_.empty() && close_in_after_) {
    stdin_source_.reset();
    stdin_.reset();
    return;
  }
  sd_event_source_set_enabled(stdin_source_.get(),
                              pending_in_.empty() ? SD_EVENT_OFF : SD_EVENT_ON);
}

int ExecPipes::on_in(sd_event_source*, int, uint32_t, void* userdata) {
  static_cast<ExecPipes*>(userdata)->pump_stdin();
  return 0;
}

void ExecPipes::read_stream(Stream& s, bool at_exit) {
  char buf[4096];
  while (s.fd) {
    ssize_t n = ::read(s.fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n > 0) {
      s.buffer.append(buf, static_cast<size_t>(n));
      emit_exec_lines(s.buffer, false, s.on_line);
      continue;
    }
    if (n < 0 && errno == EAGAIN && !at_exit) return;
    // EOF, an error, or (at exit) nothing more now: a grandchild may keep the pipe open.
    emit_exec_lines(s.buffer, true, s.on_line);
    s.source.reset();
    s.fd.reset();
    return;
  }
}

int ExecPipes::on_out(sd_event_source*, int fd, uint32_t, void* userdata) {
  auto* self = static_cast<ExecPipes*>(userdata);
  self->read_stream(fd == self->out_.fd.get() ? self->out_ : self->err_, false);
  return 0;
}

void ExecPipes::drain() {
  read_stream(out_, true);
  read_stream(err_, true);
  stdin_source_.reset();
  stdin_.reset();
}

}  // namespace rampart
