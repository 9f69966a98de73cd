#include "testing/temp_dir.h"
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>

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

std::string TempDir::read(const std::string& name) const {
  return read_file(file(name));
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace rampart::test
