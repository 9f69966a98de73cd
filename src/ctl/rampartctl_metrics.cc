#include "ctl/rampartctl_metrics.h"
#include <poll.h>
#include <sys/socket.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

#include "base/error.h"
#include "base/handles_bus.h"
#include "bus/bus_names.h"
#include "ctl/rampartctl_http.h"
namespace rampart::ctl {
namespace {

// How long a client may take to send its request; a scraper sends it at once.
constexpr int kRequestTimeoutMs = 10000;

// GetMetrics. A scrape never starts rampartd (no D-Bus activation): a stopped daemon is an
// answer of its own (503), not something a metrics reader should change.
std::optional<std::string> fetch_metrics(std::string* why) {
  sd_bus* raw = nullptr;
  if (int r = sd_bus_open_system(&raw); r < 0) {
    *why = std::string("cannot connect to the system bus: ") + errno_text(r);
    return std::nullopt;
  }
  BusPtr bus(raw);
  sd_bus_message* m = nullptr;
  int r = sd_bus_message_new_method_call(bus.get(), &m, kBusName, kBusPath, kBusInterface,
                                         "GetMetrics");
  BusMessagePtr call(m);
  if (r >= 0) r = sd_bus_message_set_auto_start(m, 0);
  sd_bus_error error = SD_BUS_ERROR_NULL;
  sd_bus_message* out = nullptr;
  if (r >= 0) r = sd_bus_call(bus.get(), m, 0, &error, &out);
  BusMessagePtr reply(out);
  const char* text = nullptr;
  if (r >= 0) r = sd_bus_message_read(out, "s", &text);
  if (r < 0) {
    if (sd_bus_error_has_names(&error, "org.freedesktop.DBus.Error.ServiceUnknown",
                               "org.freedesktop.DBus.Error.NameHasNoOwner"))
      *why = std::string("rampartd is not running (nobody owns ") + kBusName + ")";
    else
      *why = error.message ? error.message : errno_text(r);
    sd_bus_error_free(&error);
    return std::nullopt;
  }
  return std::string(text);
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

int64_t now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// Reads until the request head is complete, malformed, cut off or too slow.
std::optional<HttpRequest> read_request(int fd) {
  std::string buffer;
  HttpRequest request;
  int64_t deadline = now_ms() + kRequestTimeoutMs;
  while (true) {
    HeadState state = parse_request_head(buffer, &request);
    if (state == HeadState::Complete) return request;
    if (state == HeadState::Malformed) return std::nullopt;
    pollfd p{fd, POLLIN, 0};
    int64_t left = deadline - now_ms();
    if (left <= 0 || poll(&p, 1, static_cast<int>(left)) <= 0) return std::nullopt;
    char chunk[2048];
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    buffer.append(chunk, static_cast<size_t>(n));
  }
}

int serve_one(int in, int out) {
  std::optional<HttpRequest> request = read_request(in);
  std::string why;
  std::string answer = http_answer(request ? &*request : nullptr, [&](std::string* w) {
    auto text = fetch_metrics(w);
    if (!text) why = *w;
    return text;
  });
  bool sent = write_all(out, answer);
  shutdown(out, SHUT_WR);  // a no-op error when `out` is not a socket (a pipe in tests)
  // The journal of rampart-metrics@.service says why a scrape failed.
  if (!why.empty()) fprintf(stderr, "rampartctl: %s\n", why.c_str());
  return sent && why.empty() ? 0 : 1;
}

}  // namespace

int verb_metrics(bool http) {
  if (http) {
    // Accept=yes: systemd hands over the accepted connection as the one listening fd.
    int fds = sd_listen_fds(1);
    if (fds == 1) return serve_one(SD_LISTEN_FDS_START, SD_LISTEN_FDS_START);
    return serve_one(STDIN_FILENO, STDOUT_FILENO);  // inetd style, or a pipe
  }
  std::string why;
  auto text = fetch_metrics(&why);
  if (!text) {
    fprintf(stderr, "rampartctl: %s\n", why.c_str());
    return 1;
  }
  return write_all(STDOUT_FILENO, *text) ? 0 : 1;
}

}  // namespace rampart::ctl
