#include "state/state_store.h"
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "base/log.h"
namespace rampart {

namespace {

constexpr std::string_view kHeader = "rampart-state 1";
constexpr uint64_t kMinCompactBytes = 4 << 20;
constexpr size_t kMaxBuffer = 1 << 20;
constexpr uint64_t kFirstRetryUs = 1'000'000;
constexpr uint64_t kMaxRetryUs = 10'000'000;
constexpr uint64_t kCompactRetryUs = 60'000'000;

void append_field(std::string& out, std::string_view s) {
  out += '\t';
  for (char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

template <class T>
void append_number(std::string& out, T n) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, n);
  out += '\t';
  out.append(buf, r.ptr);
}

std::string unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    char c = s[++i];
    out += c == 't' ? '\t' : c == 'n' ? '\n' : c;
  }
  return out;
}

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  for (;;) {
    size_t tab = line.find('\t', start);
    fields.push_back(line.substr(start, tab == std::string_view::npos ? tab : tab - start));
    if (tab == std::string_view::npos) return fields;
    start = tab + 1;
  }
}

template <class T>
bool parse_number(std::string_view s, T& out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

Result<void> write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno(errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

uint64_t now_sec() {
  return static_cast<uint64_t>(time(nullptr));
}

uint64_t monotonic_us() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000 + uint64_t(ts.tv_nsec) / 1000;
}

}  // namespace

std::string encode_undo(const UndoRecord& r) {
  std::string out = "u";
  append_number(out, static_cast<unsigned>(r.kind));
  append_field(out, r.command);
  append_field(out, r.address.str());
  append_number(out, r.deadline_us);
  append_number(out, r.rule_id);
  append_number(out, r.confirmed ? 1u : 0u);
  append_field(out, r.rkey);
  append_field(out, r.request.program);
  append_field(out, r.request.protocol == ExecProtocol::Legacy ? "legacy" : "json");
  for (const auto& a : r.request.args) append_field(out, a);
  out += '\n';
  return out;
}

std::string encode_offence(std::string_view command, const Address& address,
                           const OffenceRecord& o) {
  std::string out = "o";
  append_field(out, command);
  append_field(out, address.str());
  append_number(out, o.count);
  append_number(out, o.last_sec);
  out += '\n';
  return out;
}

Result<std::unique_ptr<StateStore>> StateStore::open(const std::string& directory) {
  std::unique_ptr<StateStore> s(new StateStore());
  s->directory_ = directory;
  if (mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST)
    return fail_errno(errno, "cannot create <state_directory> {}", directory);
  std::string lock = directory + "/state.lock";
  s->lock_.reset(::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!s->lock_) return fail_errno(errno, "cannot open {}", lock);
  if (flock(s->lock_.get(), LOCK_EX | LOCK_NB) != 0)
    return fail(EBUSY,
                "{} is in use by another rampartd; give each instance its own "
                "<state_directory>",
                directory);

  size_t ignored = 0;
  if (auto r = s->load_file(directory + "/state.snapshot", &ignored); !r)
    return std::unexpected(r.error());
  if (auto r = s->load_file(directory + "/state.log", &ignored); !r)
    return std::unexpected(r.error());
  if (ignored)
    log_warning("{}: ignored {} damaged or incomplete state record(s)", directory, ignored);

  std::string log_path = directory + "/state.log";
  s->log_.reset(::open(log_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
  if (!s->log_) return fail_errno(errno, "cannot open {}", log_path);
  struct stat st;
  if (fstat(s->log_.get(), &st) == 0) s->log_bytes_ = static_cast<uint64_t>(st.st_size);
  // A log that ends in a cut line must not have records appended to that line.
  // A full disk must not keep rampartd from starting: the snapshot is written once it fits.
  if (s->cut_tail_)
    if (auto r = s->compact(); !r) {
      log_error(
          "state {}: {}; blocks are still enforced, the state is kept in memory and "
          "written when the disk takes it",
          directory, r.error().message);
      s->needs_snapshot_ = true;
    }
  return s;
}

StateStore::~StateStore() {
  if (auto r = flush(); !r)
    log_error("state {}: exiting with records not written: {}", directory_, r.error().message);
}

Result<void> StateStore::load_file(const std::string& path, size_t* ignored) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return {};
    return fail_errno(errno, "cannot read {}", path);
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return fail_errno(errno, "cannot read {}", path);
  std::string data(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < data.size()) {
    ssize_t n = ::read(fd.get(), data.data() + got, data.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno(errno, "cannot read {}", path);
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  data.resize(got);
  if (path.ends_with(".snapshot")) snapshot_bytes_ = got;
  std::string_view rest = data;
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    if (nl == std::string_view::npos) {
      ++*ignored;  // cut short by a crash
      cut_tail_ = true;
      break;
    }
    std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl + 1);
    if (line.empty() || line == kHeader) continue;
    if (!load_line(line)) ++*ignored;
  }
  return {};
}

bool StateStore::load_line(std::string_view line) {
  auto f = split_tabs(line);
  if (f[0] == "o" && f.size() == 5) {
    auto address = Address::parse(unescape(f[2]));
    OffenceRecord o;
    if (!address || !parse_number(f[3], o.count) || !parse_number(f[4], o.last_sec)) return false;
    offences_[OffenceKey{*address, intern(unescape(f[1]))}] = o;
    return true;
  }
  unsigned kind = 0;
  if (f.size() < 4 || !parse_number(f[1], kind) || kind > unsigned(CommandKind::Exec)) return false;
  auto address = Address::parse(unescape(f[3]));
  if (!address) return false;
  std::string command = unescape(f[2]);
  if (f[0] == "e" && f.size() == 4) {
    undo_.erase(undo_key(CommandKind(kind), command, *address));
    return true;
  }
  if (f[0] != "u" || f.size() < 10) return false;
  UndoRecord r;
  r.kind = CommandKind(kind);
  r.command = std::move(command);
  r.address = *address;
  unsigned confirmed = 0;
  if (!parse_number(f[4], r.deadline_us) || !parse_number(f[5], r.rule_id) ||
      !parse_number(f[6], confirmed))
    return false;
  r.confirmed = confirmed != 0;
  r.rkey = unescape(f[7]);
  r.request.program = unescape(f[8]);
  r.request.protocol = f[9] == "legacy" ? ExecProtocol::Legacy : ExecProtocol::Json;
  for (size_t i = 10; i < f.size(); ++i) r.request.args.push_back(unescape(f[i]));
  undo_[undo_key(r.kind, r.command, r.address)] = std::move(r);
  return true;
}

std::string StateStore::undo_key(CommandKind kind, std::string_view command,
                                 const Address& address) {
  std::string key = fmt::format("{}\t", static_cast<unsigned>(kind));
  if (kind == CommandKind::Exec) key += command;
  key += '\t';
  key += address.str();
  return key;
}

uint16_t StateStore::intern(std::string_view command) {
  // Floods are one command many times: skip the hash and the string for a repeat.
  if (last_command_ < commands_.size() && commands_[last_command_] == command) return last_command_;
  auto it = command_ids_.find(std::string(command));
  if (it != command_ids_.end()) return last_command_ = it->second;
  auto id = last_command_ = static_cast<uint16_t>(commands_.size());
  commands_.emplace_back(command);
  command_ids_.emplace(commands_.back(), id);
  return id;
}

void StateStore::append(std::string line) {
  // A failing store retries on its own timer, not at every loop turn.
  if (flush_source_ && !failing_)
    sd_event_source_set_enabled(flush_source_.get(), SD_EVENT_ONESHOT);
  if (needs_snapshot_) return;  // the snapshot is written from memory, which has this record
  buffer_ += line;
  // A flood of offences between two loop turns must not grow without bound.
  if (buffer_.size() < kMaxBuffer) return;
  if (!failing_) {
    (void)flush();  // a failure is logged and retried by flush()
    return;
  }
  buffer_.clear();
  needs_snapshot_ = true;
}

void StateStore::put(const UndoRecord& record) {
  append(encode_undo(record));
  undo_[undo_key(record.kind, record.command, record.address)] = record;
}

void StateStore::erase(CommandKind kind, std::string_view command, const Address& address) {
  if (undo_.erase(undo_key(kind, command, address)) == 0) return;
  std::string line = "e";
  append_number(line, static_cast<unsigned>(kind));
  append_field(line, kind == CommandKind::Exec ? command : std::string_view());
  append_field(line, address.str());
  line += '\n';
  append(std::move(line));
}

const UndoRecord* StateStore::find(CommandKind kind, std::string_view command,
                                   const Address& address) const {
  auto it = undo_.find(undo_key(kind, command, address));
  return it == undo_.end() ? nullptr : &it->second;
}

std::vector<UndoRecord> StateStore::undo_records(CommandKind kind) const {
  std::vector<UndoRecord> out;
  for (const auto& [key, r] : undo_)
    if (r.kind == kind) out.push_back(r);
  return out;
}

void StateStore::put_offence(std::string_view command, const Address& address,
                             const OffenceRecord& offence) {
  offences_[OffenceKey{address, intern(command)}] = offence;
  append(encode_offence(command, address, offence));
}

void StateStore::for_each_offence(
    const std::function<void(std::string_view, const Address&, const OffenceRecord&)>& f) const {
  for (const auto& [key, o] : offences_) f(commands_[key.command], key.address, o);
}

Result<void> StateStore::flush() {
  if (!dirty()) return {};
  Result<void> r = needs_snapshot_ ? compact() : write_log();
  if (!r) {
    failed(r.error());
    return r;
  }
  if (failing_) recovered();
  if (log_bytes_ > kMinCompactBytes && log_bytes_ > 2 * snapshot_bytes_ &&
      monotonic_us() >= compact_after_us_) {
    // The records are safe in the log; a snapshot that does not fit is only tried later.
    if (auto c = compact(); !c) {
      compact_after_us_ = monotonic_us() + kCompactRetryUs;
      uint64_t suppressed = 0;
      if (error_log_.allow(monotonic_us(), &suppressed))
        log_error("state {}: {}; the log keeps growing until it fits", directory_,
                  c.error().message);
    }
  }
  return {};
}

// Appends the buffer to the log with one write and one fdatasync. A short write (a full disk) is
// cut off the log again: the retry must not glue a record to half of another.
Result<void> StateStore::write_log() {
  if (auto w = write_all(log_.get(), buffer_); !w) {
    if (ftruncate(log_.get(), static_cast<off_t>(log_bytes_)) != 0) {
      buffer_.clear();
      needs_snapshot_ = true;
    }
    return fail(w.error().code, "cannot write {}/state.log: {}", directory_, w.error().message);
  }
  if (fdatasync(log_.get()) != 0) {
    int e = errno;
    // What reached the disk is unknown: only a snapshot of memory is sure to be right.
    buffer_.clear();
    needs_snapshot_ = true;
    return fail_errno(e, "cannot sync {}/state.log", directory_);
  }
  log_bytes_ += buffer_.size();
  buffer_.clear();
  return {};
}

void StateStore::failed(const Error& error) {
  uint64_t now = monotonic_us();
  if (!failing_) {
    failing_ = true;
    failing_since_us_ = now;
    failures_ = 0;
    retry_delay_us_ = kFirstRetryUs;
  }
  ++failures_;
  uint64_t suppressed = 0;
  if (error_log_.allow(now, &suppressed))
    log_error(
        "state {}: writes fail: {}; blocks are still enforced, the state is kept in memory and "
        "written when the disk takes it again{}",
        directory_, error.message,
        suppressed ? fmt::format(" ({} failures not logged)", suppressed) : std::string());
  if (!retry_source_) return;
  uint64_t t = 0;
  sd_event_now(event_, CLOCK_MONOTONIC, &t);
  sd_event_source_set_time(retry_source_.get(), t + retry_delay_us_);
  sd_event_source_set_enabled(retry_source_.get(), SD_EVENT_ONESHOT);
  retry_delay_us_ = std::min(retry_delay_us_ * 2, kMaxRetryUs);
}

void StateStore::recovered() {
  log_notice("state {}: written again after {} failed attempt(s) in {:.1f} s", directory_,
             failures_, double(monotonic_us() - failing_since_us_) / 1e6);
  failing_ = false;
  if (retry_source_) sd_event_source_set_enabled(retry_source_.get(), SD_EVENT_OFF);
}

Result<void> StateStore::compact() {
  std::string tmp = directory_ + "/state.snapshot.tmp";
  auto r = write_snapshot(tmp);
  if (!r) unlink(tmp.c_str());  // a half-written snapshot only takes space
  return r;
}

Result<void> StateStore::write_snapshot(const std::string& tmp) {
  std::string path = directory_ + "/state.snapshot";
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd) return fail_errno(errno, "cannot write {}", tmp);
  std::string out{kHeader};
  out += '\n';
  uint64_t written = 0;
  auto spill = [&]() -> Result<void> {
    written += out.size();
    auto r = write_all(fd.get(), out);
    out.clear();
    return r;
  };
  for (const auto& [key, r] : undo_) {
    out += encode_undo(r);
    if (out.size() > (1 << 20))
      if (auto w = spill(); !w) return fail(w.error().code, "{}: {}", tmp, w.error().message);
  }
  uint64_t now = now_sec();
  for (auto it = offences_.begin(); it != offences_.end();) {
    if (offence_ttl_sec_ && it->second.last_sec + offence_ttl_sec_ <= now) {
      it = offences_.erase(it);
      continue;
    }
    out += encode_offence(commands_[it->first.command], it->first.address, it->second);
    if (out.size() > (1 << 20))
      if (auto w = spill(); !w) return fail(w.error().code, "{}: {}", tmp, w.error().message);
    ++it;
  }
  if (auto w = spill(); !w) return fail(w.error().code, "{}: {}", tmp, w.error().message);
  if (fsync(fd.get()) != 0) return fail_errno(errno, "cannot sync {}", tmp);
  if (rename(tmp.c_str(), path.c_str()) != 0)
    return fail_errno(errno, "cannot rename {} to {}", tmp, path);
  Fd dir(::open(directory_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir) fsync(dir.get());
  snapshot_bytes_ = written;
  // Only now may the log go: until the rename, it is what holds these records.
  if (ftruncate(log_.get(), 0) != 0 || fdatasync(log_.get()) != 0)
    return fail_errno(errno, "cannot truncate {}/state.log", directory_);
  log_bytes_ = 0;
  buffer_.clear();  // the snapshot holds these records too
  needs_snapshot_ = false;
  return {};
}

void StateStore::attach(sd_event* event) {
  sd_event_source* s = nullptr;
  if (int r = sd_event_add_defer(event, &s, on_flush, this); r < 0) {
    log_error_errno(r, "state {}: cannot add the flush source", directory_);
    return;
  }
  flush_source_.reset(s);
  sd_event_source_set_priority(s, SD_EVENT_PRIORITY_IDLE + 10);
  sd_event_source_set_enabled(s, dirty() ? SD_EVENT_ONESHOT : SD_EVENT_OFF);
  event_ = event;
  if (int r = sd_event_add_time(event, &s, CLOCK_MONOTONIC, UINT64_MAX, 0, on_retry, this); r < 0) {
    log_error_errno(r, "state {}: cannot add the retry timer", directory_);
    return;
  }
  retry_source_.reset(s);
  sd_event_source_set_enabled(s, SD_EVENT_OFF);
}

int StateStore::on_flush(sd_event_source*, void* userdata) {
  auto* self = static_cast<StateStore*>(userdata);
  if (!self->failing_) (void)self->flush();  // failures are logged (rate-limited) and retried
  return 0;
}

int StateStore::on_retry(sd_event_source*, uint64_t, void* userdata) {
  auto* self = static_cast<StateStore*>(userdata);
  (void)self->flush();
  // Nothing left to write (e.g. every pending record was erased): the disk is not known to be
  // back, but nothing waits for it.
  if (self->failing_ && !self->dirty()) self->recovered();
  return 0;
}

}  // namespace rampart
