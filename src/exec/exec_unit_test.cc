#include "exec/exec_unit.h"
#include <gtest/gtest.h>
#include <sys/wait.h>

namespace rampart {
namespace {

TEST(ExecUnitName, KeepsTheProgramNameReadableAndValid) {
  EXPECT_EQ(exec_unit_name("firewall-drop.sh", "1a2b3c4d", 7),
            "rampart-exec-firewall-drop.sh-1a2b3c4d-7.service");
  EXPECT_EQ(exec_unit_name("my script+x", "t", 1), "rampart-exec-my_script_x-t-1.service");
  EXPECT_EQ(exec_unit_name(std::string(300, 'a'), "t", 1).size(),
            std::string("rampart-exec--t-1.service").size() + 64);
}

TEST(ExecUnitExit, FromTheUnitsResultAndMainProcess) {
  EXPECT_TRUE(exec_unit_exit("u", "success", CLD_EXITED, 0).ok());
  auto failed = exec_unit_exit("u", "exit-code", CLD_EXITED, 3);
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(failed.describe(30), "exit status 3");
  EXPECT_EQ(exec_unit_exit("u", "signal", CLD_KILLED, SIGTERM).describe(30),
            "killed by signal 15 (Terminated)");
  auto timeout = exec_unit_exit("u", "timeout", CLD_KILLED, SIGKILL);
  EXPECT_TRUE(timeout.timed_out);
  EXPECT_EQ(timeout.describe(30), "killed after its 30s time limit (<exec_timeout>)");
  EXPECT_EQ(exec_unit_exit("u.service", "exit-code", CLD_EXITED, 203).describe(30),
            "exit status 203 from systemd, before the program ran; see journalctl -u u.service");
  EXPECT_EQ(exec_unit_exit("u.service", "resources", 0, 0).describe(30),
            "systemd did not run it (result: resources); see journalctl -u u.service");
}

}  // namespace
}  // namespace rampart
