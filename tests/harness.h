// Shared helpers for integration tests: a private network namespace per test, the nft CLI as
// an independent observer of the kernel, and a rampartd child process.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace rampart::test {

// Fails the current test (not skips) when a root-only test cannot get what it needs; skips
// with a clear message only when not running as root at all.
#define RAMPART_REQUIRE_ROOT()                                                          \
  do {                                                                                  \
    if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces, nftables)"; \
  } while (0)

// Moves the calling process into a fresh network namespace with lo up. Every test that
// touches the kernel calls this first, so nothing it does reaches the host's ruleset.
// Returns an error text, or "" on success.
std::string enter_new_netns();

// Runs a command line through /bin/sh, returns stdout; `status` gets the exit status.
std::string run(const std::string& command, int* status = nullptr);

// One element of a set as `nft -j list set` prints it.
struct SetElement {
  std::string address;  // "203.0.113.9" or "198.51.100.0/24"
  uint64_t timeout_ms = 0;
  uint64_t expires_ms = 0;
  std::string comment;
};
// The kernel's view of inet <table> <set>, read with the nft tool; nullopt when the set (or
// table) does not exist.
std::optional<std::vector<SetElement>> list_set(const std::string& table, const std::string& set);

// Polls `ready` every 10 ms until it holds or `timeout` passes.
bool wait_until(const std::function<bool()>& ready,
                std::chrono::milliseconds timeout = std::chrono::seconds(10));

// A temporary directory removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  void write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

}  // namespace rampart::test
