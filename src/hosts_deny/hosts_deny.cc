#include "hosts_deny/hosts_deny.h"
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <thread>

#include "base/fd.h"
#include "base/log.h"
#include "base/text.h"
namespace rampart {

namespace {

Result<std::string> read_all(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno(errno);
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

Result<void> write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno(errno);
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

// Waits up to ~100 ms for the lock: tcp_wrappers readers never lock, other writers hold it
// for one rewrite.
bool lock_briefly(int fd) {
  for (int i = 0; i < 50; ++i) {
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) return true;
    if (errno != EWOULDBLOCK && errno != EINTR) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  errno = EWOULDBLOCK;
  return false;
}

std::string dir_of(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

std::string hosts_deny_line(const Address& address) {
  return address.is_v4() ? "ALL:" + address.str() : "ALL:[" + address.str() + "]";
}

std::optional<Address> hosts_deny_address(std::string_view line) {
  line = trim(line);
  if (!line.starts_with("ALL")) return std::nullopt;
  line = trim(line.substr(3));
  if (!line.starts_with(':')) return std::nullopt;
  line = trim(line.substr(1));
  if (line.starts_with('[')) {
    if (!line.ends_with(']')) return std::nullopt;
    line = line.substr(1, line.size() - 2);
  }
  // "ALL: a, b" lists and "ALL: a : DENY" options are an admin's own lines.
  if (line.empty() || line.find_first_of(" \t,") != std::string_view::npos) return std::nullopt;
  return Address::parse_host(line);
}

std::string rewrite_hosts_deny(std::string_view content, const HostsDenyEdits& edits) {
  std::string out;
  out.reserve(content.size() + edits.size() * 24);
  std::unordered_map<Address, bool, AddressHash> present;
  std::string_view rest = content;
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    if (auto a = hosts_deny_address(line)) {
      auto it = edits.find(*a);
      if (it != edits.end()) {
        if (!it->second) continue;  // removed: exact address only
        if (present[*a]) continue;  // a duplicate of a line we keep
        present[*a] = true;
      }
    }
    out += line;
    out += '\n';
  }
  // A file without a final newline keeps it that way unless lines are appended.
  bool had_newline = content.empty() || content.back() == '\n';
  std::vector<Address> added;
  for (const auto& [address, want] : edits)
    if (want && !present.contains(address)) added.push_back(address);
  if (added.empty() && !had_newline && !out.empty()) out.pop_back();
  std::sort(added.begin(), added.end());
  for (const auto& a : added) {
    out += hosts_deny_line(a);
    out += '\n';
  }
  return out;
}

Result<void> update_hosts_deny(const std::string& path, const HostsDenyEdits& edits) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!fd) return fail_errno(errno, "cannot open {}", path);
    if (!lock_briefly(fd.get())) return fail_errno(errno, "cannot lock {}", path);
    // Another writer may have renamed a new file over the one we locked: lock that one.
    struct stat locked, current;
    if (fstat(fd.get(), &locked) != 0) return fail_errno(errno, "{}", path);
    if (stat(path.c_str(), &current) != 0 || current.st_ino != locked.st_ino ||
        current.st_dev != locked.st_dev)
      continue;
    auto content = read_all(fd.get());
    if (!content)
      return fail(content.error().code, "cannot read {}: {}", path, content.error().message);
    std::string next = rewrite_hosts_deny(*content, edits);
    if (next == *content) return {};

    std::string dir = dir_of(path);
    std::string tmp = dir + "/.hosts.deny.rampart-XXXXXX";
    Fd out(mkostemp(tmp.data(), O_CLOEXEC));
    if (!out) return fail_errno(errno, "cannot create a temporary file in {}", dir);
    auto cleanup = [&] { unlink(tmp.c_str()); };
    if (fchmod(out.get(), locked.st_mode & 07777) != 0 ||
        fchown(out.get(), locked.st_uid, locked.st_gid) != 0) {
      int e = errno;
      cleanup();
      return fail_errno(e, "cannot set the owner and mode of {}", tmp);
    }
    if (auto w = write_all(out.get(), next); !w) {
      cleanup();
      return fail(w.error().code, "cannot write {}: {}", tmp, w.error().message);
    }
    if (fsync(out.get()) != 0 || rename(tmp.c_str(), path.c_str()) != 0) {
      int e = errno;
      cleanup();
      return fail_errno(e, "cannot replace {}", path);
    }
    Fd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (d) fsync(d.get());
    return {};
  }
  return fail(EAGAIN, "{} kept being replaced while rampart tried to update it", path);
}

std::string encode_hosts_deny_edits(const HostsDenyEdits& edits) {
  std::string out;
  for (const auto& [address, want] : edits) {
    out += want ? '+' : '-';
    out += address.str();
    out += '\n';
  }
  return out;
}

Result<HostsDenyEdits> parse_hosts_deny_edits(std::string_view text) {
  HostsDenyEdits edits;
  for (int line = 1; !text.empty(); ++line) {
    size_t nl = text.find('\n');
    std::string_view l = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (l.empty()) continue;
    auto address = Address::parse_host(l.substr(1));
    if ((l[0] != '+' && l[0] != '-') || !address)
      return fail(EINVAL, "line {}: \"{}\" is not +ADDRESS or -ADDRESS", line, l);
    edits[*address] = l[0] == '+';
  }
  return edits;
}

}  // namespace rampart
