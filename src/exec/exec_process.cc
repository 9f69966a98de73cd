#include "exec/exec_process.h"
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/log.h"
namespace rampart {

namespace {

// What a script gets instead of rampartd's environment.
const char* const kEnvironment[] = {
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LC_ALL=C",
    nullptr,
};

int pidfd_open(pid_t pid) {
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
}

void set_nonblocking(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

struct FileActions {
  posix_spawn_file_actions_t a;
  FileActions() { posix_spawn_file_actions_init(&a); }
  ~FileActions() { posix_spawn_file_actions_destroy(&a); }
};
struct SpawnAttr {
  posix_spawnattr_t a;
  SpawnAttr() { posix_spawnattr_init(&a); }
  ~SpawnAttr() { posix_spawnattr_destroy(&a); }
};

}  // namespace

std::string ExecExit::describe(uint64_t timeout_sec) const {
  if (timed_out)
    return fmt::format("killed after its {}s time limit (<exec_timeout>)", timeout_sec);
  if (signal) return fmt::format("killed by signal {} ({})", signal, strsignal(signal));
  return fmt::format("exit status {}", code);
}

Result<std::unique_ptr<ExecProcess>> ExecProcess::spawn(sd_event* event,
                                                        const std::vector<std::string>& argv,
                                                        std::string input, bool keep_stdin_open,
                                                        uint64_t timeout_usec,
                                                        Callbacks callbacks) {
  std::unique_ptr<ExecProcess> p(new ExecProcess());
  p->event_ = event;
  p->callbacks_ = std::move(callbacks);
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0) return fail_errno(errno, "pipe");
  Fd in_r(in[0]);
  p->stdin_.reset(in[1]);
  if (pipe2(out, O_CLOEXEC) != 0) return fail_errno(errno, "pipe");
  Fd out_w(out[1]);
  p->out_.fd.reset(out[0]);
  if (pipe2(err, O_CLOEXEC) != 0) return fail_errno(errno, "pipe");
  Fd err_w(err[1]);
  p->err_.fd.reset(err[0]);
  p->err_.is_stdout = false;

  FileActions fa;
  posix_spawn_file_actions_adddup2(&fa.a, in_r.get(), STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&fa.a, out_w.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&fa.a, err_w.get(), STDERR_FILENO);
  posix_spawn_file_actions_addchdir_np(&fa.a, "/");
  posix_spawn_file_actions_addclosefrom_np(&fa.a, 3);
  SpawnAttr attr;
  // rampartd blocks SIGTERM & co. for its signalfd and ignores SIGPIPE: a script gets neither.
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr.a, &none);
  posix_spawnattr_setsigdefault(&attr.a, &all);
  posix_spawnattr_setflags(&attr.a,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID);

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  if (int r = posix_spawn(&pid, argv[0].c_str(), &fa.a, &attr.a, args.data(),
                          const_cast<char* const*>(kEnvironment));
      r != 0)
    return fail_errno(r, "cannot run {}", argv[0]);
  p->pid_ = pid;
  p->pidfd_.reset(pidfd_open(pid));
  if (!p->pidfd_) {
    int e = errno;
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return fail_errno(e, "pidfd_open");
  }

  sd_event_source* s = nullptr;
  auto watch = [&](int fd, uint32_t events, sd_event_io_handler_t handler, void* data,
                   EventSourcePtr& slot) -> Result<void> {
    if (int r = sd_event_add_io(event, &s, fd, events, handler, data); r < 0)
      return fail_errno(r, "sd_event_add_io");
    slot.reset(s);
    return {};
  };
  set_nonblocking(p->out_.fd.get());
  set_nonblocking(p->err_.fd.get());
  set_nonblocking(p->stdin_.get());
  // Output first, the exit last: what a script printed is logged before its status.
  Result<void> ok = watch(p->out_.fd.get(), EPOLLIN, on_out, p.get(), p->out_.source);
  if (ok) ok = watch(p->err_.fd.get(), EPOLLIN, on_out, p.get(), p->err_.source);
  if (ok) ok = watch(p->pidfd_.get(), EPOLLIN, on_pidfd, p.get(), p->pid_source_);
  if (ok) ok = watch(p->stdin_.get(), EPOLLOUT, on_in, p.get(), p->stdin_source_);
  if (ok) {
    if (int r = sd_event_add_time_relative(event, &s, CLOCK_MONOTONIC, timeout_usec, 10000,
                                           on_timeout, p.get());
        r < 0)
      ok = fail_errno(r, "cannot add a time limit");
    else
      p->timer_.reset(s);
  }
  if (!ok) {
    kill(-pid, SIGKILL);
    return std::unexpected(ok.error());
  }
  sd_event_source_set_priority(p->pid_source_.get(), SD_EVENT_PRIORITY_NORMAL + 1);
  p->write_stdin(std::move(input), !keep_stdin_open);
  return p;
}

ExecProcess::~ExecProcess() = default;  // a script still running at shutdown finishes alone

void ExecProcess::write_stdin(std::string data, bool close_after) {
  if (!stdin_) return;
  pending_in_ += data;
  close_in_after_ = close_after;
  pump_stdin();
}

void ExecProcess::pump_stdin() {
  while (!pending_in_.empty()) {
    ssize_t n = ::write(stdin_.get(), pending_in_.data(), pending_in_.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n < 0) {  // EPIPE: the script does not read its input
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

int ExecProcess::on_in(sd_event_source*, int, uint32_t, void* userdata) {
  static_cast<ExecProcess*>(userdata)->pump_stdin();
  return 0;
}

void ExecProcess::emit_lines(Stream& s, bool final) {
  auto& cb = s.is_stdout ? callbacks_.on_stdout : callbacks_.on_stderr;
  size_t start = 0;
  for (;;) {
    size_t nl = s.buffer.find('\n', start);
    if (nl == std::string::npos) break;
    if (cb) cb(std::string_view(s.buffer).substr(start, nl - start));
    start = nl + 1;
  }
  s.buffer.erase(0, start);
  // A line that never ends is logged in pieces rather than held without bound.
  if ((final && !s.buffer.empty()) || s.buffer.size() >= kMaxLine) {
    if (cb) cb(s.buffer);
    s.buffer.clear();
  }
}

void ExecProcess::read_stream(Stream& s, bool until_eof) {
  char buf[4096];
  while (s.fd) {
    ssize_t n = ::read(s.fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n > 0) {
      s.buffer.append(buf, static_cast<size_t>(n));
      emit_lines(s, false);
      continue;
    }
    if (n < 0 && errno == EAGAIN && !until_eof) return;
    // EOF, an error, or (at exit) nothing more now: a grandchild may keep the pipe open.
    emit_lines(s, true);
    s.source.reset();
    s.fd.reset();
    return;
  }
}

int ExecProcess::on_out(sd_event_source*, int fd, uint32_t, void* userdata) {
  auto* self = static_cast<ExecProcess*>(userdata);
  Stream& s = fd == self->out_.fd.get() ? self->out_ : self->err_;
  self->read_stream(s, false);
  return 0;
}

int ExecProcess::on_pidfd(sd_event_source*, int, uint32_t, void* userdata) {
  auto* self = static_cast<ExecProcess*>(userdata);
  siginfo_t info{};
  if (waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(self->pidfd_.get()), &info,
             WEXITED | WNOHANG) != 0 ||
      info.si_pid == 0)
    return 0;
  if (info.si_code == CLD_EXITED) {
    self->exit_.code = info.si_status;
  } else {
    self->exit_.code = -1;
    self->exit_.signal = info.si_status;
  }
  self->finished();
  return 0;
}

int ExecProcess::on_timeout(sd_event_source*, uint64_t, void* userdata) {
  auto* self = static_cast<ExecProcess*>(userdata);
  self->exit_.timed_out = true;
  // The script runs in a session of its own: kill everything it started with it.
  kill(-self->pid_, SIGKILL);
  syscall(SYS_pidfd_send_signal, self->pidfd_.get(), SIGKILL, nullptr, 0);
  return 0;
}

void ExecProcess::finished() {
  pid_source_.reset();
  timer_.reset();
  read_stream(out_, true);
  read_stream(err_, true);
  stdin_source_.reset();
  stdin_.reset();
  auto on_exit = std::move(callbacks_.on_exit);
  ExecExit e = exit_;
  if (on_exit) on_exit(e);  // may destroy *this: nothing after
}

}  // namespace rampart
