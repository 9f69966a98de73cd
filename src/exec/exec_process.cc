#include "exec/exec_process.h"
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace rampart {

namespace {

// What a program gets instead of rampartd's environment.
const char* const kEnvironment[] = {
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LC_ALL=C",
    nullptr,
};

int pidfd_open(pid_t pid) {
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
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

Result<pid_t> spawn_child(const std::vector<std::string>& argv, const ExecPipes::ChildEnds& ends) {
  FileActions fa;
  posix_spawn_file_actions_adddup2(&fa.a, ends.in.get(), STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&fa.a, ends.out.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&fa.a, ends.err.get(), STDERR_FILENO);
  // ossec-execd runs scripts from "/" too (OSSEC's firewall-drop.sh puts its lock there).
  posix_spawn_file_actions_addchdir_np(&fa.a, "/");
  posix_spawn_file_actions_addclosefrom_np(&fa.a, 3);
  SpawnAttr attr;
  // rampartd blocks SIGTERM & co. for its signalfd and ignores SIGPIPE: a program gets neither.
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
  return pid;
}

}  // namespace

Result<std::unique_ptr<ExecProcess>> ExecProcess::spawn(sd_event* event, ExecSpec spec,
                                                        ExecCallbacks callbacks) {
  std::unique_ptr<ExecProcess> p(new ExecProcess());
  p->callbacks_ = std::move(callbacks);
  ExecPipes::ChildEnds ends;
  auto pipes = ExecPipes::open(event, p->callbacks_.on_stdout, p->callbacks_.on_stderr, ends);
  if (!pipes) return std::unexpected(pipes.error());
  p->pipes_ = std::move(*pipes);
  auto pid = spawn_child(spec.argv, ends);
  if (!pid) return std::unexpected(pid.error());
  p->pid_ = *pid;
  p->pidfd_.reset(pidfd_open(p->pid_));
  if (!p->pidfd_) {
    int e = errno;
    kill(-p->pid_, SIGKILL);
    waitpid(p->pid_, nullptr, 0);
    return fail_errno(e, "pidfd_open");
  }

  sd_event_source* s = nullptr;
  int r = sd_event_add_io(event, &s, p->pidfd_.get(), EPOLLIN, on_pidfd, p.get());
  if (r >= 0) {
    p->pid_source_.reset(s);
    // Output first, the exit last: what a program printed is logged before its status.
    sd_event_source_set_priority(s, SD_EVENT_PRIORITY_NORMAL + 1);
    r = sd_event_add_time_relative(event, &s, CLOCK_MONOTONIC, spec.timeout_usec, 10000, on_timeout,
                                   p.get());
    if (r >= 0) p->timer_.reset(s);
  }
  if (r < 0) {
    kill(-p->pid_, SIGKILL);
    return fail_errno(r, "cannot watch {}", spec.argv[0]);
  }
  p->write_stdin(std::move(spec.input), !spec.keep_stdin_open);
  return p;
}

void ExecProcess::write_stdin(std::string data, bool close_after) {
  pipes_->write_stdin(std::move(data), close_after);
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
  self->pid_source_.reset();
  self->timer_.reset();
  self->pipes_->drain();
  auto on_exit = std::move(self->callbacks_.on_exit);
  ExecExit e = self->exit_;
  if (on_exit) on_exit(e);  // may destroy *self: nothing after
  return 0;
}

int ExecProcess::on_timeout(sd_event_source*, uint64_t, void* userdata) {
  auto* self = static_cast<ExecProcess*>(userdata);
  self->exit_.timed_out = true;
  // The program runs in a session of its own: kill everything it started with it.
  kill(-self->pid_, SIGKILL);
  syscall(SYS_pidfd_send_signal, self->pidfd_.get(), SIGKILL, nullptr, 0);
  return 0;
}

Result<std::unique_ptr<ExecRun>> SpawnRunner::start(ExecSpec spec, ExecCallbacks callbacks) {
  auto p = ExecProcess::spawn(event_, std::move(spec), std::move(callbacks));
  if (!p) return std::unexpected(p.error());
  return std::unique_ptr<ExecRun>(std::move(*p));
}

}  // namespace rampart
