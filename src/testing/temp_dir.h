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
  // The file's whole content; "" when it cannot be read.
  std::string read(const std::string& name) const;

 private:
  std::string path_;
};

// A whole file's content; "" when it cannot be read.
std::string read_file(const std::string& path);

}  // namespace rampart::test
