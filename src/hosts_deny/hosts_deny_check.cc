#include "hosts_deny/hosts_deny_check.h"
#include <sys/stat.h>

#include <cerrno>

namespace rampart {

namespace {

const Command* bound_host_deny(const Config& config) {
  for (const auto& ar : config.responses)
    if (config.commands[ar.command].kind == CommandKind::HostsDeny)
      return &config.commands[ar.command];
  return nullptr;
}

Result<void> check_path(const std::string& path) {
  std::string dir = hosts_deny_directory(path);
  struct stat st;
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return fail(ENOENT,
                "the directory {} does not exist; create it, or point <hosts_deny> at an "
                "existing file (tcp_wrappers reads /etc/hosts.deny)",
                dir);
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};  // the first block creates it, mode 0644
    return fail_errno(errno, "cannot use {}", path);
  }
  if (S_ISLNK(st.st_mode))
    return fail(EINVAL,
                "{} is a symbolic link, which rampart's atomic rewrite would replace by "
                "a file; point <hosts_deny> at the link's target",
                path);
  if (!S_ISREG(st.st_mode)) return fail(EINVAL, "{} is not a regular file", path);
  return {};
}

}  // namespace

std::string hosts_deny_directory(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

Result<void> check_hosts_deny(const Config& config) {
  const Command* cmd = bound_host_deny(config);
  if (!cmd) return {};
  if (auto r = check_path(config.settings.hosts_deny); !r)
    return fail(r.error().code, "{}:{}: command \"{}\" writes <hosts_deny> {}: {}", cmd->file,
                cmd->line, cmd->name, config.settings.hosts_deny, r.error().message);
  return {};
}

}  // namespace rampart
