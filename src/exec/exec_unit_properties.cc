#include "exec/exec_unit_properties.h"
#include <signal.h>

#include <vector>

#include "exec/exec_unit.h"
namespace rampart {

namespace {

// Appends (sv) pairs until the first error, which it keeps.
class Properties {
 public:
  explicit Properties(sd_bus_message* m) : m_(m) {
    r_ = sd_bus_message_open_container(m, 'a', "(sv)");
  }
  template <class... Value>
  void set(const char* name, const char* type, Value... value) {
    if (r_ >= 0) r_ = sd_bus_message_append(m_, "(sv)", name, type, value...);
  }
  void set_strv(const char* name, const std::vector<std::string>& values) {
    std::vector<char*> v;
    for (const auto& s : values) v.push_back(const_cast<char*>(s.c_str()));
    v.push_back(nullptr);
    open(name, "as");
    if (r_ >= 0) r_ = sd_bus_message_append_strv(m_, v.data());
    close(2);
  }
  // ExecStart: a(sasb), the path, argv and "do not ignore a failure".
  void set_exec_start(const std::vector<std::string>& argv) {
    std::vector<char*> v;
    for (const auto& s : argv) v.push_back(const_cast<char*>(s.c_str()));
    v.push_back(nullptr);
    open("ExecStart", "a(sasb)");
    if (r_ >= 0) r_ = sd_bus_message_open_container(m_, 'a', "(sasb)");
    if (r_ >= 0) r_ = sd_bus_message_open_container(m_, 'r', "sasb");
    if (r_ >= 0) r_ = sd_bus_message_append(m_, "s", v[0]);
    if (r_ >= 0) r_ = sd_bus_message_append_strv(m_, v.data());
    if (r_ >= 0) r_ = sd_bus_message_append(m_, "b", 0);
    close(4);
  }
  int finish() {
    close(1);
    if (r_ >= 0) r_ = sd_bus_message_append(m_, "a(sa(sv))", 0);  // no auxiliary units
    return r_;
  }

 private:
  void open(const char* name, const char* type) {
    if (r_ >= 0) r_ = sd_bus_message_open_container(m_, 'r', "sv");
    if (r_ >= 0) r_ = sd_bus_message_append(m_, "s", name);
    if (r_ >= 0) r_ = sd_bus_message_open_container(m_, 'v', type);
  }
  void close(int n) {
    for (int i = 0; i < n && r_ >= 0; ++i) r_ = sd_bus_message_close_container(m_);
  }
  sd_bus_message* m_;
  int r_ = 0;
};

// rampart's own helper: it may write what it is given, nothing else.
void set_sandbox(Properties& p, const ExecSpec::Sandbox& sandbox) {
  p.set("ProtectSystem", "s", "strict");
  p.set_strv("ReadWritePaths", sandbox.writable);
  p.set("ProtectHome", "s", "read-only");
  p.set("PrivateDevices", "b", 1);
  p.set("PrivateNetwork", "b", 1);
  p.set("NoNewPrivileges", "b", 1);
  p.set("ProtectKernelTunables", "b", 1);
  p.set("ProtectKernelModules", "b", 1);
  p.set("ProtectControlGroups", "b", 1);
  p.set("CapabilityBoundingSet", "t", sandbox.capabilities);
  p.set("RestrictAddressFamilies", "(bas)", 1, 1, "AF_UNIX");  // the journal
}

}  // namespace

int append_exec_unit_properties(sd_bus_message* m, const ExecSpec& spec, int stdin_fd,
                                int stdout_fd, const std::string& ident) {
  Properties p(m);
  p.set("Description", "s", ("rampart: " + spec.label).c_str());
  p.set("Slice", "s", std::string(kExecSlice).c_str());
  p.set("Type", "s", "exec");
  // rampart reads the result before systemd may collect the unit, and gets its signals.
  p.set("AddRef", "b", 1);
  p.set("CollectMode", "s", "inactive-or-failed");
  p.set("WorkingDirectory", "s", "/");  // where ossec-execd runs scripts from
  p.set_strv("Environment",
             {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"});
  p.set("StandardInputFileDescriptor", "h", stdin_fd);
  p.set("StandardOutputFileDescriptor", "h", stdout_fd);
  // Not "journal" for stdout (the fd wins anyway): systemd hands stderr a copy of stdout when
  // both name the same kind of output, and stderr belongs in the journal, under the unit.
  p.set("StandardOutput", "s", "null");
  p.set("StandardError", "s", "journal");
  p.set("SyslogIdentifier", "s", ident.c_str());
  // At the time limit systemd kills the unit's whole cgroup, whatever the program started.
  p.set("RuntimeMaxUSec", "t", spec.timeout_usec);
  p.set("KillSignal", "i", SIGKILL);
  if (spec.sandbox) set_sandbox(p, *spec.sandbox);
  p.set_exec_start(spec.argv);
  return p.finish();
}

}  // namespace rampart
