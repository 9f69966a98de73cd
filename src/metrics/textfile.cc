#include "metrics/textfile.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/fd.h"
namespace rampart {
namespace {

std::string directory_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

// The one failure an admin meets on first use: the sandbox, not the permissions.
Error explain(int code, const std::string& what, const std::string& path) {
  std::string message =
      fmt::format("metrics textfile: cannot {} {}: {}", what, path, errno_text(code));
  if (code == EROFS)
    message += fmt::format(
        "; rampart.service's ProtectSystem=strict lets rampartd write only its own directories "
        "and {}: add ReadWritePaths={} with 'systemctl edit rampart' and restart it",
        kNodeExporterTextfileDir, directory_of(path));
  return Error{code, std::move(message)};
}

}  // namespace

Result<void> write_textfile(const std::string& path, std::string_view content) {
  std::string tmp = path + ".tmp";
  // Whatever a crash left there (or anyone put there: a symlink) goes; ours is new.
  unlink(tmp.c_str());
  Fd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (!fd) return std::unexpected(explain(errno, "create", tmp));
  auto give_up = [&](int e, const char* what) {
    unlink(tmp.c_str());
    return std::unexpected(explain(e, what, tmp));
  };
  // The umask (0077 under the unit) took the read bits that node_exporter's user needs.
  if (fchmod(fd.get(), 0644) != 0) return give_up(errno, "chmod");
  for (size_t off = 0; off < content.size();) {
    ssize_t n = write(fd.get(), content.data() + off, content.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return give_up(n < 0 ? errno : ENOSPC, "write");
    off += static_cast<size_t>(n);
  }
  if (close(fd.release()) != 0) return give_up(errno, "write");
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    unlink(tmp.c_str());
    return std::unexpected(explain(e, "rename into place", path));
  }
  return {};
}

}  // namespace rampart
