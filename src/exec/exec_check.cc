#include "exec/exec_check.h"
#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

namespace rampart {

namespace {

Result<std::string> real_path(const std::string& path) {
  std::unique_ptr<char, decltype(&free)> resolved(realpath(path.c_str(), nullptr), free);
  if (!resolved) return fail_errno(errno);
  return std::string(resolved.get());
}

// Root runs it, so only root may be able to change it.
Result<void> check_owner_and_mode(const struct stat& st, const std::string& path,
                                  std::string_view what) {
  if (st.st_uid != 0)
    return fail(EPERM, "{} {} is owned by uid {}, not root; run: chown root {}", what, path,
                st.st_uid, path);
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    return fail(EPERM, "{} {} is writable by {} (mode {:04o}); run: chmod go-w {}", what, path,
                (st.st_mode & S_IWOTH) ? "others" : "its group", st.st_mode & 07777, path);
  return {};
}

}  // namespace

Result<std::string> check_exec_program(const std::string& directory,
                                       const std::string& executable) {
  if (executable.empty() || executable.find('/') != std::string::npos ||
      executable.find("..") != std::string::npos)
    return fail(EINVAL, "\"{}\" must be a plain file name in {}", executable, directory);
  auto dir = real_path(directory);
  if (!dir)
    return fail(dir.error().code,
                "<exec_directory> {} cannot be used: {}; create it (owned by "
                "root, mode 0755) or point <exec_directory> elsewhere",
                directory, dir.error().message);
  struct stat st;
  if (stat(dir->c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return fail(ENOTDIR, "<exec_directory> {} is not a directory", directory);
  if (auto r = check_owner_and_mode(st, *dir, "<exec_directory>"); !r)
    return std::unexpected(r.error());

  std::string path = directory + "/" + executable;
  auto target = real_path(path);
  if (!target) {
    if (target.error().code == ENOENT)
      return fail(ENOENT,
                  "{} does not exist (or is a dangling symlink); install the script "
                  "there, owned by root with mode 0755",
                  path);
    return fail(target.error().code, "{} cannot be used: {}", path, target.error().message);
  }
  if (target->compare(0, dir->size() + 1, *dir + "/") != 0)
    return fail(EPERM,
                "{} resolves to {}, outside <exec_directory> {}; copy the script into "
                "the directory instead of linking to it",
                path, *target, *dir);
  if (stat(target->c_str(), &st) != 0) return fail_errno(errno, "{}", path);
  if (!S_ISREG(st.st_mode)) return fail(EINVAL, "{} is not a regular file", path);
  if (!(st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)))
    return fail(EACCES, "{} is not executable; run: chmod 0755 {}", path, path);
  if (auto r = check_owner_and_mode(st, *target, "the script"); !r)
    return std::unexpected(r.error());
  return path;
}

Result<void> check_exec_commands(Config& config) {
  std::vector<bool> used(config.commands.size(), false);
  for (const auto& ar : config.responses) used[ar.command] = true;
  std::string errors;
  for (size_t i = 0; i < config.commands.size(); ++i) {
    const Command& cmd = config.commands[i];
    if (cmd.kind != CommandKind::Exec) continue;
    auto r = check_exec_program(config.settings.exec_directory, cmd.executable);
    if (r) continue;
    if (used[i]) {
      errors += fmt::format("{}:{}: command \"{}\" cannot run: {}\n", cmd.file, cmd.line, cmd.name,
                            r.error().message);
    } else {
      config.warnings.push_back(fmt::format("{}:{}: command \"{}\" is unused and could not run: {}",
                                            cmd.file, cmd.line, cmd.name, r.error().message));
    }
  }
  if (errors.empty()) return {};
  errors.pop_back();
  return std::unexpected(Error{EPERM, std::move(errors)});
}

}  // namespace rampart
