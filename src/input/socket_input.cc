#include "input/socket_input.h"
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace rampart {

namespace {

// Per wakeup, read at most this much from one client so that one flooding client cannot
// starve the others, the D-Bus API or the commit of what was already decided.
constexpr size_t kReadBudget = 1024 * 1024;

Result<Fd> create_socket(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    return fail(ENAMETOOLONG, "alert socket path {} is too long (at most {} bytes)", path,
                sizeof addr.sun_path - 1);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);

  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode))
      return fail(EEXIST, "{} exists and is not a socket; remove it or choose another <socket>",
                  path);
    unlink(path.c_str());  // stale socket from an earlier run
  }
  Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return fail_errno(errno, "socket(AF_UNIX)");
  // Create it 0600 from the start: no window in which others could connect.
  mode_t old = umask(0177);
  int r = bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  int saved = errno;
  umask(old);
  if (r < 0) return fail_errno(saved, "cannot bind alert socket {}", path);
  if (listen(fd.get(), SOMAXCONN) < 0) return fail_errno(errno, "cannot listen on {}", path);
  return fd;
}

}  // namespace

SocketInput::SocketInput(sd_event* event, LineHandler on_line, RejectHandler on_reject)
    : event_(event), on_line_(std::move(on_line)), on_reject_(std::move(on_reject)) {}

SocketInput::~SocketInput() = default;

Result<std::unique_ptr<SocketInput>> SocketInput::open(sd_event* event,
                                                       const std::vector<std::string>& paths,
                                                       LineHandler on_line,
                                                       RejectHandler on_reject) {
  std::unique_ptr<SocketInput> in(new SocketInput(event, std::move(on_line), std::move(on_reject)));
  int n = sd_listen_fds(1);
  if (n < 0) return fail_errno(n, "sd_listen_fds");
  if (n > 0) {
    for (int fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + n; ++fd) {
      if (sd_is_socket_unix(fd, SOCK_STREAM, 1, nullptr, 0) <= 0) continue;
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
      if (auto r = in->listen_on(fd, "fd " + std::to_string(fd) + " (socket activation)"); !r)
        return std::unexpected(r.error());
    }
    if (!in->listeners_.empty()) return in;
  }
  for (const auto& path : paths) {
    auto fd = create_socket(path);
    if (!fd) return std::unexpected(fd.error());
    if (auto r = in->listen_on(fd->release(), path); !r) return std::unexpected(r.error());
  }
  return in;
}

Result<void> SocketInput::listen_on(int fd, std::string name) {
  Listener l{Fd(fd), nullptr};
  sd_event_source* s = nullptr;
  int r = sd_event_add_io(event_, &s, fd, EPOLLIN, on_accept, this);
  if (r < 0) return fail_errno(r, "cannot watch {}", name);
  l.source.reset(s);
  listeners_.push_back(std::move(l));
  names_.push_back(std::move(name));
  return {};
}

int SocketInput::on_accept(sd_event_source*, int fd, uint32_t, void* userdata) {
  auto* self = static_cast<SocketInput*>(userdata);
  for (;;) {
    Fd client(accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!client) return 0;  // EAGAIN, or a transient error: wait for the next wakeup
    if (self->clients_.size() >= kMaxClients) continue;  // closed by Fd's destructor
    auto c = std::make_unique<Client>();
    c->owner = self;
    sd_event_source* s = nullptr;
    if (sd_event_add_io(self->event_, &s, client.get(), EPOLLIN, on_readable, c.get()) < 0)
      continue;
    c->fd = std::move(client);
    c->source.reset(s);
    if (self->paused_) sd_event_source_set_enabled(s, SD_EVENT_OFF);
    self->clients_.push_back(std::move(c));
  }
}

void SocketInput::pause(bool on) {
  if (on == paused_) return;
  paused_ = on;
  for (auto& c : clients_)
    sd_event_source_set_enabled(c->source.get(), on ? SD_EVENT_OFF : SD_EVENT_ON);
  if (on) return;
  // Lines already read wait in client buffers, and their sockets may have nothing new to wake
  // the loop: go through them from the loop (not from inside whoever called resume).
  if (!resume_) {
    sd_event_source* s = nullptr;
    if (sd_event_add_defer(event_, &s, on_resume, this) < 0) return;
    resume_.reset(s);
  }
  sd_event_source_set_enabled(resume_.get(), SD_EVENT_ONESHOT);
}

int SocketInput::on_resume(sd_event_source*, void* userdata) {
  auto* self = static_cast<SocketInput*>(userdata);
  std::vector<Client*> waiting;
  for (auto& c : self->clients_)
    if (c->used > 0) waiting.push_back(c.get());
  for (Client* c : waiting) {
    if (self->paused_) break;
    if (!self->drain(*c)) self->drop(c);
  }
  return 0;
}

int SocketInput::on_readable(sd_event_source*, int, uint32_t, void* userdata) {
  auto* client = static_cast<Client*>(userdata);
  SocketInput* self = client->owner;
  if (!self->drain(*client)) self->drop(client);
  return 0;
}

bool SocketInput::drain(Client& c) {
  size_t budget = kReadBudget;
  if (!c.buffer) c.buffer = std::make_unique_for_overwrite<char[]>(kBufferSize);
  bool alive = true;
  if (c.used > 0 && !paused_) consume(c, false);  // lines a pause held back come first
  while (budget > 0 && !paused_) {
    ssize_t n = read(c.fd.get(), c.buffer.get() + c.used, kBufferSize - c.used);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
    if (n <= 0) {
      // Lines before the end were consumed without a pause, or this read would not be.
      consume(c, true);
      alive = false;
      break;
    }
    c.used += size_t(n);
    bytes_ += size_t(n);
    budget -= std::min(budget, size_t(n));
    consume(c, false);
  }
  // Idle clients keep no buffer: a thousand quiet connections cost nothing.
  if (alive && c.used == 0) c.buffer.reset();
  return alive;
}

void SocketInput::consume(Client& c, bool eof) {
  std::string_view data(c.buffer.get(), c.used);
  size_t start = 0;
  while (start < data.size() && !paused_) {
    size_t nl = data.find('\n', start);
    if (nl == std::string_view::npos) break;
    std::string_view line = data.substr(start, nl - start);
    if (c.discarding) {
      c.discarding = false;  // the tail of a line already rejected
    } else if (line.size() > kMaxLine) {
      on_reject_("line longer than 65536 bytes", line.substr(0, 80));
    } else {
      on_line_(line);
    }
    start = nl + 1;
  }
  std::string_view rest = data.substr(start);
  // A pause (the handler of a line asked for it) holds back the lines after it.
  bool held = paused_ && rest.find('\n') != std::string_view::npos;
  if (!held && rest.size() > kMaxLine) {
    // Do not buffer an endless line: reject it now and skip to its end.
    if (!c.discarding) on_reject_("line longer than 65536 bytes", rest.substr(0, 80));
    c.discarding = true;
    rest = {};
  }
  if (eof && !held && !rest.empty()) {
    if (!c.discarding) on_line_(rest);  // a last line without newline
    rest = {};
  }
  if (!rest.empty() && start > 0) std::memmove(c.buffer.get(), rest.data(), rest.size());
  c.used = rest.size();
}

void SocketInput::drop(Client* client) {
  auto it = std::find_if(clients_.begin(), clients_.end(),
                         [&](const auto& c) { return c.get() == client; });
  if (it != clients_.end()) clients_.erase(it);
}

}  // namespace rampart
