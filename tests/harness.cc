#include "harness.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <simdjson.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

namespace rampart::test {

std::string enter_new_netns() {
  if (unshare(CLONE_NEWNET) != 0) return std::string("unshare(CLONE_NEWNET): ") + strerror(errno);
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::string("socket: ") + strerror(errno);
  struct ifreq ifr = {};
  std::strcpy(ifr.ifr_name, "lo");
  int r = ioctl(fd, SIOCGIFFLAGS, &ifr);
  if (r == 0) {
    ifr.ifr_flags |= IFF_UP;
    r = ioctl(fd, SIOCSIFFLAGS, &ifr);
  }
  int saved = errno;
  close(fd);
  if (r != 0) return std::string("bringing lo up: ") + strerror(saved);
  return "";
}

std::string run(const std::string& command, int* status) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (!p) {
    if (status) *status = -1;
    return out;
  }
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int st = pclose(p);
  if (status) *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

std::optional<std::vector<SetElement>> list_set(const std::string& table, const std::string& set) {
  int status = 0;
  std::string text = run("nft -j list set inet " + table + " " + set + " 2>/dev/null", &status);
  if (status != 0) return std::nullopt;
  std::vector<SetElement> result;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(text).get(doc)) return std::nullopt;
  for (auto item : doc["nftables"].get_array()) {
    simdjson::dom::element s;
    if (item["set"].get(s)) continue;
    simdjson::dom::array elems;
    if (s["elem"].get(elems)) continue;  // empty set
    for (auto e : elems) {
      SetElement out;
      simdjson::dom::element val = e, wrapped;
      if (!e["elem"].get(wrapped)) {
        val = wrapped["val"];
        uint64_t v;
        if (!wrapped["timeout"].get(v)) out.timeout_ms = v * 1000;
        if (!wrapped["expires"].get(v)) out.expires_ms = v * 1000;
        std::string_view c;
        if (!wrapped["comment"].get(c)) out.comment = std::string(c);
      }
      std::string_view addr;
      simdjson::dom::element prefix;
      if (!val.get(addr)) {
        out.address = std::string(addr);
      } else if (!val["prefix"].get(prefix)) {
        out.address = std::string(prefix["addr"].get_string().value()) + "/" +
                      std::to_string(prefix["len"].get_int64().value());
      } else if (!val["range"].get(prefix)) {
        out.address = std::string(prefix.at(0).get_string().value()) + "-" +
                      std::string(prefix.at(1).get_string().value());
      }
      result.push_back(std::move(out));
    }
  }
  return result;
}

bool wait_until(const std::function<bool()>& ready, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (ready()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

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
