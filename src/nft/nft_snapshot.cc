#include "nft/nft_snapshot.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <systemd/sd-id128.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/atomic_file.h"
#include "base/fd.h"
namespace rampart {

std::string nft_snapshot_path(const std::string& state_directory) {
  return state_directory + "/nftables.blocks";
}

Result<SnapshotOrigin> nft_snapshot_origin(const std::string& table, uint32_t genid) {
  SnapshotOrigin o;
  sd_id128_t boot;
  if (int r = sd_id128_get_boot(&boot); r < 0) return fail_errno(r, "cannot read the boot id");
  std::memcpy(o.boot_id.data(), boot.bytes, o.boot_id.size());
  struct stat st {};
  if (stat("/proc/self/ns/net", &st) != 0)
    return fail_errno(errno, "cannot identify the network namespace");
  o.netns = st.st_ino;
  o.genid = genid;
  o.table = table;
  return o;
}

Result<void> save_nft_snapshot(const std::string& path, const BlockSnapshot& snapshot) {
  return write_file_atomically(path, encode_snapshot(snapshot));
}

std::optional<BlockSnapshot> take_nft_snapshot(const std::string& path, const SnapshotOrigin& here,
                                               std::string& why) {
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    why = errno == ENOENT ? "no snapshot from a clean stop"
                          : fmt::format("cannot open {}: {}", path, errno_text(errno));
    return std::nullopt;
  }
  // Used at most once: a crash after this start must not find it again.
  unlink(path.c_str());
  std::string bytes;
  struct stat st {};
  if (fstat(fd.get(), &st) == 0) bytes.reserve(static_cast<size_t>(st.st_size));
  char buf[1 << 16];
  while (true) {
    ssize_t n = read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      why = fmt::format("cannot read {}: {}", path, errno_text(errno));
      return std::nullopt;
    }
    if (n == 0) break;
    bytes.append(buf, static_cast<size_t>(n));
  }
  auto snapshot = decode_snapshot(bytes, path);
  if (!snapshot) {
    why = snapshot.error().message;
    return std::nullopt;
  }
  const SnapshotOrigin& o = snapshot->origin;
  if (o.boot_id != here.boot_id)
    why = "the snapshot is from another boot";
  else if (o.netns != here.netns)
    why = "the snapshot is from another network namespace";
  else if (o.table != here.table)
    why = fmt::format("the snapshot is of table inet {}", o.table);
  else if (o.genid != here.genid)
    why = fmt::format("nftables changed since the snapshot (generation {} then, {} now)", o.genid,
                      here.genid);
  else
    return std::move(*snapshot);
  return std::nullopt;
}

}  // namespace rampart
