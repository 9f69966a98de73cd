#include "base/atomic_file.h"
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/fd.h"
namespace rampart {

Result<void> write_file_atomically(const std::string& path, std::string_view content) {
  std::string tmp = path + ".tmp";
  Fd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd) return fail_errno(errno, "cannot create {}", tmp);
  auto give_up = [&](int e, std::string_view what) {
    unlink(tmp.c_str());
    return fail_errno(e, "cannot {} {}", what, tmp);
  };
  for (size_t off = 0; off < content.size();) {
    ssize_t n = write(fd.get(), content.data() + off, content.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return give_up(n < 0 ? errno : ENOSPC, "write");
    off += static_cast<size_t>(n);
  }
  if (fsync(fd.get()) != 0) return give_up(errno, "fsync");
  fd.reset();
  if (rename(tmp.c_str(), path.c_str()) != 0) return give_up(errno, "rename into place");
  // The rename itself must survive a power cut too.
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  Fd d(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d) fsync(d.get());
  return {};
}

}  // namespace rampart
