#include "exec/exec_unit.h"
#include <signal.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdlib>
#include <vector>

#include "base/handles_event.h"
#include "base/log.h"
#include "exec/exec_pipes.h"
#include "exec/exec_process.h"
#include "exec/exec_unit_properties.h"
namespace rampart {

namespace {

constexpr const char* kSystemd = "org.freedesktop.systemd1";
constexpr const char* kProperties = "org.freedesktop.DBus.Properties";
// How long past its time limit a unit may go unreported (systemd busy reloading, a lost
// signal) before rampart kills it itself and stops waiting.
constexpr uint64_t kGraceUsec = 30'000'000;

// What rampart reads of a unit, after every PropertiesChanged.
struct UnitState {
  std::string active_state;
  uint32_t job = 0;  // a job is pending (the start, at first)
  std::string result;
  int32_t main_code = 0;
  int32_t main_status = 0;
};

// One property of a GetAll reply, by name; the others are skipped.
int read_property(sd_bus_message* m, std::string_view name, UnitState& st) {
  auto read_string = [&](std::string& out) {
    const char* s = nullptr;
    int r = sd_bus_message_read(m, "v", "s", &s);
    if (r >= 0) out = s;
    return r;
  };
  if (name == "ActiveState") return read_string(st.active_state);
  if (name == "Result") return read_string(st.result);
  if (name == "ExecMainCode") return sd_bus_message_read(m, "v", "i", &st.main_code);
  if (name == "ExecMainStatus") return sd_bus_message_read(m, "v", "i", &st.main_status);
  if (name == "Job") {
    const char* path = nullptr;
    return sd_bus_message_read(m, "v", "(uo)", &st.job, &path);
  }
  return sd_bus_message_skip(m, "v");
}

int read_unit_state(sd_bus_message* m, UnitState& st) {
  int r = sd_bus_message_enter_container(m, 'a', "{sv}");
  while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
    const char* name = nullptr;
    r = sd_bus_message_read(m, "s", &name);
    if (r >= 0) r = read_property(m, name, st);
    if (r >= 0) r = sd_bus_message_exit_container(m);
  }
  return r < 0 ? r : sd_bus_message_exit_container(m);
}

std::string basename_of(std::string_view path) {
  size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// A reference that does not close the connection when dropped (BusPtr does).
using BusRef = Handle<sd_bus, sd_bus_unref>;

class UnitRun final : public ExecRun {
 public:
  UnitRun(sd_bus* bus, std::string name, ExecCallbacks callbacks)
      : bus_ref_(sd_bus_ref(bus)),
        bus_(bus),
        name_(std::move(name)),
        callbacks_(std::move(callbacks)) {}
  ~UnitRun() override {
    // Abandoned while it runs (rampartd stops): let systemd collect the unit when it ends.
    if (started_ && !ended_) unit_call("Unref", "");
  }
  Result<void> start(sd_event* event, const ExecSpec& spec);
  void write_stdin(std::string data, bool close_after) override {
    pipes_->write_stdin(std::move(data), close_after);
  }
  std::string id() const override { return name_; }

 private:
  static int on_started(sd_bus_message* reply, void* userdata, sd_bus_error*);
  static int on_changed(sd_bus_message*, void* userdata, sd_bus_error*);
  static int on_state(sd_bus_message* reply, void* userdata, sd_bus_error*);
  static int on_overdue(sd_event_source*, uint64_t, void* userdata);
  void query();
  void finish(const ExecExit& exit);
  // A call on the unit whose answer rampart does not need ("Unref", "KillUnit").
  void unit_call(const char* method, const char* types, ...);

  BusRef bus_ref_;
  sd_bus* bus_;
  std::string name_, path_;
  std::unique_ptr<ExecPipes> pipes_;
  ExecCallbacks callbacks_;
  BusSlotPtr match_, call_;
  EventSourcePtr overdue_;
  uint64_t timeout_sec_ = 0;
  bool started_ = false, querying_ = false, requery_ = false, ended_ = false;
};

Result<void> UnitRun::start(sd_event* event, const ExecSpec& spec) {
  timeout_sec_ = spec.timeout_usec / 1000000;
  ExecPipes::ChildEnds ends;
  auto pipes = ExecPipes::open(event, callbacks_.on_stdout, nullptr, ends);
  if (!pipes) return std::unexpected(pipes.error());
  pipes_ = std::move(*pipes);

  char* path = nullptr;
  if (int r = sd_bus_path_encode("/org/freedesktop/systemd1/unit", name_.c_str(), &path); r < 0)
    return fail_errno(r, "cannot name the unit {}", name_);
  path_ = path;
  free(path);
  // The match is on the bus before the start call: no change of the unit can be missed.
  sd_bus_slot* slot = nullptr;
  if (int r = sd_bus_match_signal_async(bus_, &slot, kSystemd, path_.c_str(), kProperties,
                                        "PropertiesChanged", on_changed, nullptr, this);
      r < 0)
    return fail_errno(r, "cannot watch the unit {}", name_);
  match_.reset(slot);

  sd_bus_message* raw = nullptr;
  int r = sd_bus_message_new_method_call(bus_, &raw, kSystemd, "/org/freedesktop/systemd1",
                                         "org.freedesktop.systemd1.Manager", "StartTransientUnit");
  BusMessagePtr m(raw);
  if (r >= 0) r = sd_bus_message_append(m.get(), "ss", name_.c_str(), "fail");
  if (r >= 0)
    r = append_exec_unit_properties(m.get(), spec, ends.in.get(), ends.out.get(),
                                    basename_of(spec.argv[0]));
  if (r >= 0) r = sd_bus_call_async(bus_, &slot, m.get(), on_started, this, 0);
  if (r < 0) return fail_errno(r, "cannot ask systemd to start {}", name_);
  call_.reset(slot);
  pipes_->write_stdin(spec.input, !spec.keep_stdin_open);

  sd_event_source* s = nullptr;
  if (int e = sd_event_add_time_relative(event, &s, CLOCK_MONOTONIC, spec.timeout_usec + kGraceUsec,
                                         0, on_overdue, this);
      e >= 0)
    overdue_.reset(s);
  return {};
}

int UnitRun::on_started(sd_bus_message* reply, void* userdata, sd_bus_error*) {
  auto* self = static_cast<UnitRun*>(userdata);
  self->call_.reset();
  if (const sd_bus_error* e = sd_bus_message_get_error(reply)) {
    self->finish(ExecExit{.error = fmt::format("systemd did not start {}: {}", self->name_,
                                               e->message ? e->message : e->name)});
    return 0;
  }
  self->started_ = true;
  self->query();
  return 0;
}

int UnitRun::on_changed(sd_bus_message*, void* userdata, sd_bus_error*) {
  auto* self = static_cast<UnitRun*>(userdata);
  if (self->started_) self->query();
  return 0;
}

// One GetAll at a time; a change seen meanwhile asks again once it is answered.
void UnitRun::query() {
  if (querying_) {
    requery_ = true;
    return;
  }
  sd_bus_slot* slot = nullptr;
  if (sd_bus_call_method_async(bus_, &slot, kSystemd, path_.c_str(), kProperties, "GetAll",
                               on_state, this, "s", "") < 0)
    return;  // the next change, or the overdue timer, tries again
  querying_ = true;
  call_.reset(slot);
}

int UnitRun::on_state(sd_bus_message* reply, void* userdata, sd_bus_error*) {
  auto* self = static_cast<UnitRun*>(userdata);
  self->querying_ = false;
  self->call_.reset();
  UnitState st;
  if (sd_bus_message_is_method_error(reply, nullptr) || read_unit_state(reply, st) < 0) {
    if (!sd_bus_is_open(self->bus_))
      self->finish(ExecExit{.error = "lost the connection to systemd; the unit may still run"});
    else if (std::exchange(self->requery_, false))
      self->query();
    return 0;
  }
  if (std::exchange(self->requery_, false)) {
    self->query();
    return 0;
  }
  bool ended = (st.active_state == "inactive" || st.active_state == "failed") && st.job == 0;
  if (ended) self->finish(exec_unit_exit(self->name_, st.result, st.main_code, st.main_status));
  return 0;
}

int UnitRun::on_overdue(sd_event_source*, uint64_t, void* userdata) {
  auto* self = static_cast<UnitRun*>(userdata);
  log_warning("exec: systemd has not reported the end of {} {}s after its time limit; killing it",
              self->name_, kGraceUsec / 1000000);
  self->unit_call("Kill", "si", "all", SIGKILL);
  self->finish(ExecExit{.timed_out = true});
  return 0;
}

void UnitRun::unit_call(const char* method, const char* types, ...) {
  sd_bus_message* raw = nullptr;
  if (sd_bus_message_new_method_call(bus_, &raw, kSystemd, path_.c_str(),
                                     "org.freedesktop.systemd1.Unit", method) < 0)
    return;
  BusMessagePtr m(raw);
  va_list ap;
  va_start(ap, types);
  int r = sd_bus_message_appendv(m.get(), types, ap);
  va_end(ap);
  if (r >= 0) sd_bus_call_async(bus_, nullptr, m.get(), nullptr, nullptr, 0);
}

void UnitRun::finish(const ExecExit& exit) {
  if (ended_) return;
  ended_ = true;
  match_.reset();
  call_.reset();
  overdue_.reset();
  if (started_) unit_call("Unref", "");
  // The program has ended: all it wrote is in the pipe.
  pipes_->drain();
  auto on_exit = std::move(callbacks_.on_exit);
  if (on_exit) on_exit(exit);  // may destroy *this: nothing after
}

Result<BusPtr> open_system_bus(sd_event* event) {
  sd_bus* raw = nullptr;
  if (int r = sd_bus_open_system(&raw); r < 0) return fail_errno(r, "cannot open the system bus");
  BusPtr bus(raw);
  sd_bus_set_description(raw, "rampart-exec");
  if (int r = sd_bus_attach_event(raw, event, SD_EVENT_PRIORITY_NORMAL); r < 0)
    return fail_errno(r, "cannot attach the system bus to the event loop");
  return bus;
}

}  // namespace

bool started_by_systemd() {
  if (sd_booted() <= 0) return false;
  // SYSTEMD_EXEC_PID (systemd >= 248) names the process systemd executed; before that, a
  // service's main process is a child of PID 1 with an INVOCATION_ID.
  if (const char* pid = getenv("SYSTEMD_EXEC_PID")) return atol(pid) == getpid();
  return getenv("INVOCATION_ID") && getppid() == 1;
}

std::string exec_unit_name(std::string_view program, std::string_view tag, uint64_t n) {
  std::string name = "rampart-exec-";
  for (char c : program.substr(0, 64)) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == ':';
    name += ok ? c : '_';
  }
  return fmt::format("{}-{}-{}.service", name, tag, n);
}

ExecExit exec_unit_exit(std::string_view unit, std::string_view result, int main_code,
                        int main_status) {
  ExecExit e;
  if (result == "timeout") {
    e.timed_out = true;
  } else if (main_code == CLD_EXITED) {
    e.code = main_status;
    // systemd's own exit codes (EXIT_CHDIR = 200 ... ): it failed before the program ran.
    if (main_status >= 200 && main_status <= 243)
      e.error = fmt::format(
          "exit status {} from systemd, before the program ran; see journalctl "
          "-u {}",
          main_status, unit);
  } else if (main_code == CLD_KILLED || main_code == CLD_DUMPED) {
    e.signal = main_status;
  } else {
    e.error = fmt::format("systemd did not run it (result: {}); see journalctl -u {}",
                          result.empty() ? "unknown" : result, unit);
  }
  return e;
}

Result<std::unique_ptr<UnitRunner>> UnitRunner::open(sd_event* event) {
  std::unique_ptr<UnitRunner> runner(new UnitRunner());
  runner->event_ = event;
  auto bus = open_system_bus(event);
  if (!bus) return std::unexpected(bus.error());
  runner->bus_ = std::move(*bus);
  uint32_t tag = 0;
  if (getrandom(&tag, sizeof tag, GRND_NONBLOCK) != sizeof tag)
    tag = static_cast<uint32_t>(getpid());
  runner->tag_ = fmt::format("{:08x}", tag);
  return runner;
}

std::string UnitRunner::describe() const {
  return fmt::format("transient units in {}, outside rampartd's sandbox", kExecSlice);
}

Result<std::unique_ptr<ExecRun>> UnitRunner::start(ExecSpec spec, ExecCallbacks callbacks) {
  if (!sd_bus_is_open(bus_.get())) {
    // dbus-daemon restarted: connect again (units already running are reported lost).
    auto bus = open_system_bus(event_);
    if (!bus) return std::unexpected(bus.error());
    bus_ = std::move(*bus);
  }
  auto run = std::make_unique<UnitRun>(bus_.get(),
                                       exec_unit_name(basename_of(spec.argv.at(0)), tag_, ++next_),
                                       std::move(callbacks));
  if (auto r = run->start(event_, spec); !r) return std::unexpected(r.error());
  return std::unique_ptr<ExecRun>(std::move(run));
}

std::unique_ptr<ExecRunner> open_exec_runner(sd_event* event) {
  if (started_by_systemd()) {
    if (auto runner = UnitRunner::open(event))
      return std::move(*runner);
    else
      log_warning("exec: {}; scripts run inside rampartd's sandbox, where most cannot act",
                  runner.error().message);
  }
  return std::make_unique<SpawnRunner>(event);
}

}  // namespace rampart
