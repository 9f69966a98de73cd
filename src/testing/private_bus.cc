#include "testing/private_bus.h"
#include <signal.h>
#include <sys/stat.h>

#include <cstdlib>

#include "testing/run.h"
namespace rampart::test {

const std::string PrivateBus::kAllowAll = R"(
  <policy context="default">
    <allow user="*"/> <allow own="*"/>
    <allow send_type="method_call"/> <allow send_type="signal"/>
    <allow send_type="method_return"/> <allow send_type="error"/>
    <allow receive_type="method_call"/> <allow receive_type="signal"/>
    <allow receive_type="method_return"/> <allow receive_type="error"/>
  </policy>)";

PrivateBus::PrivateBus(const std::string& policy) {
  chmod(dir_.path().c_str(), 0755);  // tests run clients as nobody too
  std::string socket = dir_.file("bus.sock");
  dir_.write("bus.conf",
             "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
             " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
             "<busconfig>\n  <type>system</type>\n  <listen>unix:path=" +
                 socket + "</listen>\n  <auth>EXTERNAL</auth>" + policy + "\n</busconfig>\n");
  pid_ = atoi(
      run("dbus-daemon --config-file=" + dir_.file("bus.conf") + " --fork --print-pid").c_str());
  address_ = "unix:path=" + socket;
  setenv("DBUS_SYSTEM_BUS_ADDRESS", address_.c_str(), 1);
}

PrivateBus::~PrivateBus() {
  // Forked by dbus-daemon itself: not our child, so there is nothing to reap.
  if (pid_ > 0) kill(pid_, SIGTERM);
}

}  // namespace rampart::test
