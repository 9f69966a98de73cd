#include "journal/audit_journal.h"
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include <cerrno>
#include <cstring>

#include "base/log.h"
namespace rampart {

namespace {

Fd connect_to(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return Fd();
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  Fd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return fd;
  // As sd-journal does: room for many records in flight.
  int size = 8 << 20;
  if (setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0)
    setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return Fd();
  return fd;
}

uint64_t now_us() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000 + uint64_t(ts.tv_nsec) / 1000;
}

}  // namespace

JournalRecord& JournalRecord::add(std::string_view name, std::string_view value) {
  if (value.size() > kMaxValue) value = value.substr(0, kMaxValue);
  bytes_.append(name);
  if (value.find('\n') == std::string_view::npos) {
    bytes_ += '=';
    bytes_.append(value);
  } else {
    bytes_ += '\n';
    uint64_t n = value.size();
    for (int i = 0; i < 8; ++i) bytes_ += char((n >> (8 * i)) & 0xff);
    bytes_.append(value);
  }
  bytes_ += '\n';
  return *this;
}

JournalRecord& JournalRecord::add(std::string_view name, uint64_t value) {
  char buf[24];
  auto r = fmt::format_to_n(buf, sizeof buf, "{}", value);
  return add(name, std::string_view(buf, r.size));
}

std::unique_ptr<JournalWriter> JournalWriter::open(std::string_view path) {
  Fd fd = connect_to(std::string(path));
  if (!fd) return nullptr;
  return std::unique_ptr<JournalWriter>(new JournalWriter(std::move(fd), std::string(path)));
}

JournalWriter::JournalWriter(Fd fd, std::string path)
    : fd_(std::move(fd)), path_(std::move(path)) {}

JournalWriter::~JournalWriter() {
  // At exit, give journald a moment to take what is still queued (the last summary above all).
  uint64_t deadline = now_us() + 2000000;
  while (!queue_.empty() && now_us() < deadline) {
    if (try_send(queue_.front(), true) == 0) continue;
    queued_bytes_ -= queue_.front().size();
    queue_.pop_front();
  }
}

void JournalWriter::attach(sd_event* event) {
  sd_event_source* s = nullptr;
  if (sd_event_add_io(event, &s, fd_.get(), EPOLLOUT, on_writable, this) < 0) return;
  source_.reset(s);
  sd_event_source_set_enabled(s, SD_EVENT_OFF);
}

void JournalWriter::reconnect() {
  // journald restarted: its socket is a new one.
  Fd fd = connect_to(path_);
  if (!fd) return;
  if (source_) {
    sd_event* event = sd_event_source_get_event(source_.get());
    source_.reset();
    fd_ = std::move(fd);
    attach(event);
    if (!queue_.empty()) sd_event_source_set_enabled(source_.get(), SD_EVENT_ON);
  } else {
    fd_ = std::move(fd);
  }
}

int JournalWriter::try_send(const std::string& bytes, bool block) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (fd_ && ::send(fd_.get(), bytes.data(), bytes.size(),
                      block ? MSG_NOSIGNAL : MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) {
      ++sent_;
      return 1;
    }
    int err = fd_ ? errno : ENOTCONN;
    if (err == EAGAIN || err == EINTR) return 0;
    if ((err == ECONNREFUSED || err == ENOTCONN || err == ENOENT) && attempt == 0) {
      reconnect();
      continue;
    }
    if (!warned_) {
      log_warning_errno(err, "cannot write audit records to the journal ({})", path_);
      warned_ = true;
    }
    return -1;
  }
  return -1;
}

bool JournalWriter::send(const JournalRecord& record, bool droppable) {
  const std::string& bytes = record.bytes();
  if (queue_.empty()) {
    int r = try_send(bytes, !source_);
    if (r != 0) return r > 0;
  }
  if (droppable && queued_bytes_ + bytes.size() > kMaxQueuedBytes) return false;
  queue_.push_back(bytes);
  queued_bytes_ += bytes.size();
  if (source_) sd_event_source_set_enabled(source_.get(), SD_EVENT_ON);
  return true;
}

void JournalWriter::drain() {
  while (!queue_.empty()) {
    if (try_send(queue_.front(), false) == 0) return;
    queued_bytes_ -= queue_.front().size();
    queue_.pop_front();
  }
  if (source_) sd_event_source_set_enabled(source_.get(), SD_EVENT_OFF);
}

int JournalWriter::on_writable(sd_event_source*, int, uint32_t, void* userdata) {
  static_cast<JournalWriter*>(userdata)->drain();
  return 0;
}

}  // namespace rampart
