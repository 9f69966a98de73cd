#include "input/socket_input.h"
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "testing/temp_dir.h"
namespace rampart {
namespace {

// A client of the alert socket at `path`.
Fd connect_to(const std::string& path) {
  Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  path.copy(a.sun_path, sizeof a.sun_path - 1);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return Fd();
  return fd;
}

class SocketInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sd_event* e = nullptr;
    ASSERT_GE(sd_event_new(&e), 0);
    event_.reset(e);
    path_ = dir_.file("alerts.sock");
    auto in = SocketInput::open(
        event_.get(), {path_},
        [this](std::string_view line) {
          lines_.emplace_back(line);
          if (pause_every_ && lines_.size() % pause_every_ == 0) input_->pause(true);
        },
        [](std::string_view, std::string_view) {});
    ASSERT_TRUE(in) << in.error().message;
    input_ = std::move(*in);
  }
  // Runs the loop until it has nothing to do.
  void settle() {
    for (int i = 0; i < 100; ++i)
      if (sd_event_run(event_.get(), 20000) == 0) return;
  }
  static void write_lines(const Fd& fd, int from, int to) {
    std::string data;
    for (int i = from; i < to; ++i) data += "line " + std::to_string(i) + "\n";
    ASSERT_EQ(write(fd.get(), data.data(), data.size()), ssize_t(data.size()));
  }

  test::TempDir dir_;
  std::string path_;
  EventPtr event_;
  std::unique_ptr<SocketInput> input_;
  std::vector<std::string> lines_;
  size_t pause_every_ = 0;  // lines between pauses asked for by the line handler
};

TEST_F(SocketInputTest, APauseHoldsBackTheLinesAlreadyReadUntilTheResume) {
  pause_every_ = 3;
  Fd client = connect_to(path_);
  ASSERT_TRUE(client);
  write_lines(client, 0, 10);
  settle();
  EXPECT_EQ(lines_.size(), 3u) << "a pause asked for by the third line stops the fourth";
  EXPECT_TRUE(input_->paused());
  // The other lines were read before the pause: nothing new in the socket wakes them.
  for (size_t expected : {6u, 9u, 10u}) {
    input_->pause(false);
    settle();
    EXPECT_EQ(lines_.size(), expected);
  }
  pause_every_ = 0;
  input_->pause(true);
  write_lines(client, 10, 12);  // waits in the socket
  settle();
  EXPECT_EQ(lines_.size(), 10u);
  input_->pause(false);
  settle();
  ASSERT_EQ(lines_.size(), 12u);
  for (size_t i = 0; i < lines_.size(); ++i) EXPECT_EQ(lines_[i], "line " + std::to_string(i));
}

TEST_F(SocketInputTest, AClientThatClosedWhilePausedLosesNoLine) {
  pause_every_ = 2;
  {
    Fd client = connect_to(path_);
    ASSERT_TRUE(client);
    write_lines(client, 0, 5);
    std::string last = "line 5 without newline";
    ASSERT_EQ(write(client.get(), last.data(), last.size()), ssize_t(last.size()));
  }
  settle();
  EXPECT_EQ(lines_.size(), 2u);
  EXPECT_EQ(input_->clients(), 1u) << "its end is read after the lines held back";
  pause_every_ = 0;
  input_->pause(false);
  settle();
  ASSERT_EQ(lines_.size(), 6u);
  EXPECT_EQ(lines_[4], "line 4");
  EXPECT_EQ(lines_[5], "line 5 without newline");
  EXPECT_EQ(input_->clients(), 0u);
}

}  // namespace
}  // namespace rampart
