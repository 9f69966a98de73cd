#include "testing/temp_dir.h"
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace rampart::test {

TempDir::TempDir() {
  char tmpl[] = "/tmp/rampart-test-XXXXXX";
  char* p = mkdtemp(tmpl);
  if (p) path_ = p;
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

void TempDir::write(const std::string& name, const std::string& content) const {
  std::ofstream(file(name), std::ios::binary) << content;
}

}  // namespace rampart::test
