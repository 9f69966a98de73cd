// The Wazuh alerts.json line the end-to-end benchmarks feed rampartd: the same shape as
// tests/harness.cc wazuh_alert() (sshd brute force, rule 5712, level 10), and the addresses
// they use, all in 2001:db8::/32 (documentation prefix: data only, never a destination).
#pragma once

#include <arpa/inet.h>

#include <cstdint>
#include <cstdio>
#include <string>

namespace rampart::bench {

// 2001:db8:<range>::<i high 16>:<i low 16>. Each run uses its own range, so runs never share
// an address.
inline std::string bench_address(uint32_t range, uint32_t i) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "2001:db8:%x::%x:%x", range & 0xffff, i >> 16, i & 0xffff);
  return buf;
}

inline void bench_address_bytes(uint32_t range, uint32_t i, uint8_t out[16]) {
  std::string text = bench_address(range, i);
  inet_pton(AF_INET6, text.c_str(), out);
}

// Appends one alert line (with its newline) for `srcip` to `out`.
inline void append_wazuh_alert(std::string& out, const std::string& srcip) {
  out +=
      R"({"timestamp":"2026-11-27T20:58:22.123+0000","rule":{"level":10,"description":"sshd: brute force trying to get access to the system.","id":"5712","groups":["syslog","sshd","authentication_failures"]},"agent":{"id":"000","name":"web1"},"manager":{"name":"wazuh"},"id":"1732740000.123456","full_log":"Failed password for root from )";
  out += srcip;
  out += R"( port 22 ssh2","decoder":{"name":"sshd"},"data":{"srcip":")";
  out += srcip;
  out += R"(","srcuser":"root"},"location":"/var/log/auth.log"})";
  out += '\n';
}

}  // namespace rampart::bench
