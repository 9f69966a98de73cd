#include "host/host_addresses.h"
#include <ifaddrs.h>
#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

namespace rampart {

Result<std::vector<Address>> read_host_addresses() {
  ifaddrs* raw = nullptr;
  // glibc asks the kernel with RTM_GETADDR/RTM_GETLINK dumps.
  if (getifaddrs(&raw) != 0) return fail_errno(errno, "listing this host's addresses");
  std::unique_ptr<ifaddrs, decltype(&freeifaddrs)> list(raw, freeifaddrs);
  std::vector<Address> out;
  for (const ifaddrs* i = raw; i; i = i->ifa_next) {
    if (!i->ifa_addr) continue;
    Address a;
    if (i->ifa_addr->sa_family == AF_INET) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
      a.family = AF_INET;
      a.prefix = 32;
      std::memcpy(a.bytes.data(), &sin->sin_addr, 4);
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
      a.family = AF_INET6;
      a.prefix = 128;
      std::memcpy(a.bytes.data(), &sin6->sin6_addr, 16);
    } else {
      continue;
    }
    out.push_back(a);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace rampart
