// Helpers for tests only (unit tests beside the code, and tests/harness): nothing in rampartd
// includes src/testing/ (tests/lint_layers.py checks).
#pragma once

#include <string>

namespace rampart::test {

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
