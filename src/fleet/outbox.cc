#include "fleet/outbox.h"
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "base/atomic_file.h"
#include "base/log.h"
namespace rampart {
namespace {

// Rewrite the file once it is this big and acknowledged lines make up most of it. A rewrite
// copies every order in flight and waits for fsync: under a flood, with acks a little behind,
// a 4 MiB threshold rewrote every few thousand orders and took 8% of the sender's time.
constexpr size_t kRewriteBytes = 32 << 20;

Result<void> write_all(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno(errno, "{}: cannot write", path);
    data.remove_prefix(size_t(n));
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<Outbox>> Outbox::open(std::string path, size_t max) {
  std::unique_ptr<Outbox> box(new Outbox(std::move(path), max));
  if (auto r = box->load(); !r) return std::unexpected(r.error());
  return box;
}

Outbox::~Outbox() {
  if (!fd_) return;
  if (live_bytes_ == file_bytes_ && entries_.lower_bound(unwritten_from_) == entries_.end()) return;
  (void)rewrite();
}

void Outbox::append_line(std::string& out, const Entry& e) {
  out += e.id;
  out += ' ';
  out += e.subject;
  out += ' ';
  out += e.text;
  out += '\n';
}

Result<void> Outbox::load() {
  std::ifstream in(path_, std::ios::binary);
  std::string text;
  size_t bad = 0;
  while (in && std::getline(in, text)) {
    size_t a = text.find(' ');
    size_t b = a == std::string::npos ? a : text.find(' ', a + 1);
    if (b == std::string::npos) {
      ++bad;  // a line cut short by a crash in the middle of a write
      continue;
    }
    std::string id = text.substr(0, a);
    if (by_id_.count(id)) continue;
    if (entries_.size() >= max_) break;
    by_id_.emplace(id, next_);
    Entry& e = entries_[next_++];
    e.id = std::move(id);
    e.subject = text.substr(a + 1, b - a - 1);
    e.text = text.substr(b + 1);
    live_bytes_ += line_bytes(e);
  }
  if (bad) log_warning("fleet: {}: {} line(s) cut short by a crash were dropped", path_, bad);
  // Start the file afresh with what is live: no torn line stays in it.
  unwritten_from_ = next_;
  return rewrite();
}

bool Outbox::add(std::string id, std::string subject, std::string text) {
  if (entries_.size() >= max_) return false;
  if (!by_id_.try_emplace(id, next_).second) return false;
  Entry& e = entries_[next_++];
  e.id = std::move(id);
  e.subject = std::move(subject);
  e.text = std::move(text);
  live_bytes_ += line_bytes(e);
  return true;
}

size_t Outbox::send(size_t limit, uint64_t now_us,
                    const std::function<bool(const Entry&)>& publish) {
  // Entries in flight (up to a flood's worth) are not walked again on every flush.
  size_t sent = 0;
  auto it = entries_.lower_bound(unsent_from_);
  for (; it != entries_.end(); ++it) {
    Entry& e = it->second;
    if (e.sent_us != 0) continue;
    if (sent >= limit || !publish(e)) break;
    e.sent_us = now_us;
    ++in_flight_;
    ++sent;
  }
  unsent_from_ = it == entries_.end() ? next_ : it->first;
  return sent;
}

std::optional<Outbox::Entry> Outbox::take(std::string_view id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return std::nullopt;
  std::optional<Entry> out;
  if (auto e = entries_.find(it->second); e != entries_.end()) {
    if (e->second.sent_us != 0) --in_flight_;
    live_bytes_ -= line_bytes(e->second);
    out = std::move(e->second);
    entries_.erase(e);
  }
  by_id_.erase(it);
  return out;
}

size_t Outbox::resend_older(uint64_t before_us) {
  size_t n = 0;
  for (auto& [seq, e] : entries_) {
    if (e.sent_us == 0 || e.sent_us >= before_us) continue;
    e.sent_us = 0;
    --in_flight_;
    if (n++ == 0) unsent_from_ = std::min(unsent_from_, seq);
  }
  return n;
}

Result<void> Outbox::sync() {
  if (entries_.empty() && file_bytes_ > 0) {
    // Everything was acknowledged: the common case while NATS is up.
    if (ftruncate(fd_.get(), 0) != 0) return fail_errno(errno, "{}: cannot truncate", path_);
    file_bytes_ = 0;
    unwritten_from_ = next_;
    return {};
  }
  if (file_bytes_ > kRewriteBytes && live_bytes_ * 2 < file_bytes_) return rewrite();
  std::string out;
  auto from = entries_.lower_bound(unwritten_from_);
  size_t bytes = 0;
  for (auto it = from; it != entries_.end(); ++it) bytes += line_bytes(it->second);
  out.reserve(bytes);
  for (auto it = from; it != entries_.end(); ++it) append_line(out, it->second);
  unwritten_from_ = next_;
  if (out.empty()) return {};
  if (auto r = write_all(fd_.get(), out, path_); !r) return r;
  file_bytes_ += out.size();
  return {};
}

Result<void> Outbox::rewrite() {
  std::string out;
  out.reserve(live_bytes_);
  for (const auto& [seq, e] : entries_) append_line(out, e);
  if (auto r = write_file_atomically(path_, out); !r) return r;
  int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) return fail_errno(errno, "{}: cannot open", path_);
  fd_.reset(fd);
  file_bytes_ = out.size();
  unwritten_from_ = next_;
  return {};
}

}  // namespace rampart
