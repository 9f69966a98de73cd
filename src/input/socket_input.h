// The alert socket: unix stream sockets (created, or passed by systemd socket activation),
// many clients at once, one alert per line.
#pragma once

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

class SocketInput {
 public:
  using LineHandler = std::function<void(std::string_view line)>;
  // A line that never reached the parser (too long), with a sample of its start.
  using RejectHandler = std::function<void(std::string_view why, std::string_view sample)>;

  static constexpr size_t kMaxLine = 64 * 1024;
  static constexpr size_t kMaxClients = 1024;
  static constexpr size_t kReadChunk = 64 * 1024;
  static constexpr size_t kBufferSize = kMaxLine + 1 + kReadChunk;

  // Uses the sockets systemd passed (sd_listen_fds) when there are any, else creates `paths`
  // with mode 0600 (replacing stale sockets).
  static Result<std::unique_ptr<SocketInput>> open(sd_event* event,
                                                   const std::vector<std::string>& paths,
                                                   LineHandler on_line, RejectHandler on_reject);
  ~SocketInput();

  // Stops reading (what clients write waits in their sockets, and a writer that fills its
  // socket blocks) until pause(false): back-pressure when decisions cannot leave this node as
  // fast as alerts arrive. New clients are still accepted.
  void pause(bool on);
  bool paused() const { return paused_; }

  const std::vector<std::string>& describe() const { return names_; }
  size_t clients() const { return clients_.size(); }
  uint64_t bytes() const { return bytes_; }

 private:
  struct Listener {
    Fd fd;
    EventSourcePtr source;
  };
  struct Client {
    SocketInput* owner = nullptr;
    Fd fd;
    EventSourcePtr source;
    std::unique_ptr<char[]> buffer;  // kBufferSize bytes while data is pending, else null
    size_t used = 0;
    bool discarding = false;  // inside a line that was already rejected as too long
  };

  SocketInput(sd_event* event, LineHandler on_line, RejectHandler on_reject);
  Result<void> listen_on(int fd, std::string name);
  static int on_accept(sd_event_source*, int fd, uint32_t, void* userdata);
  static int on_readable(sd_event_source*, int fd, uint32_t, void* userdata);
  static int on_resume(sd_event_source*, void* userdata);
  // Returns false when the client is gone.
  bool drain(Client& client);
  void consume(Client& client, bool eof);
  void drop(Client* client);

  sd_event* event_;
  LineHandler on_line_;
  RejectHandler on_reject_;
  std::vector<Listener> listeners_;
  EventSourcePtr resume_;  // after a pause: the lines it held back, then the sockets
  std::vector<std::unique_ptr<Client>> clients_;
  std::vector<std::string> names_;
  uint64_t bytes_ = 0;
  bool paused_ = false;
};

}  // namespace rampart
