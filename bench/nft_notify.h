// What the end-to-end latency drivers share: writing alerts to rampartd's socket, and reading
// the kernel's NFT_MSG_NEWSETELEM notifications (NFNLGRP_NFTABLES, sent when a transaction
// commits) to see an element arrive, in this network namespace or in a named one.
#pragma once

#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "base/handles_nft.h"
#include "unix_socket.h"

namespace rampart::bench {

// A socket on NFNLGRP_NFTABLES of network namespace `netns` (a name under /run/netns), or of
// this process's own when it is empty. A socket stays in the namespace it was made in.
inline MnlSocketPtr nft_listener(const std::string& netns = {}) {
  int home = -1;
  if (!netns.empty()) {
    home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    int target = open(("/run/netns/" + netns).c_str(), O_RDONLY | O_CLOEXEC);
    if (home < 0 || target < 0 || setns(target, CLONE_NEWNET) != 0) {
      std::fprintf(stderr, "bench: netns %s: %s\n", netns.c_str(), std::strerror(errno));
      std::exit(1);
    }
    close(target);
  }
  MnlSocketPtr nl(mnl_socket_open(NETLINK_NETFILTER));
  if (!nl || mnl_socket_bind(nl.get(), 1u << (NFNLGRP_NFTABLES - 1), MNL_SOCKET_AUTOPID) < 0) {
    std::perror("bench: netlink");
    std::exit(1);
  }
  int big = 64 << 20;
  setsockopt(mnl_socket_get_fd(nl.get()), SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
  if (home >= 0) {
    if (setns(home, CLONE_NEWNET) != 0) std::exit(1);
    close(home);
  }
  return nl;
}

// Attributes of the nest (or message payload) [begin, begin+len).
template <typename F>
void for_each_attr(const void* begin, size_t len, F f) {
  auto* a = static_cast<const nlattr*>(begin);
  int left = int(len);
  while (mnl_attr_ok(a, left)) {
    f(a);
    left -= int(MNL_ALIGN(a->nla_len));
    a = reinterpret_cast<const nlattr*>(reinterpret_cast<const char*>(a) + MNL_ALIGN(a->nla_len));
  }
}

template <typename F>
void for_each_nested(const nlattr* nest, F f) {
  for_each_attr(mnl_attr_get_payload(nest), mnl_attr_get_payload_len(nest), f);
}

// Calls f(key) for the 16-byte key of every element in the NEWSETELEM message `nlh`.
template <typename F>
void for_each_key16(const nlmsghdr* nlh, F f) {
  if ((nlh->nlmsg_type & 0xff) != NFT_MSG_NEWSETELEM ||
      (nlh->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES)
    return;
  const char* payload = static_cast<const char*>(mnl_nlmsg_get_payload(nlh));
  size_t header = MNL_ALIGN(sizeof(nfgenmsg));
  size_t len = mnl_nlmsg_get_payload_len(nlh);
  if (len < header) return;
  for_each_attr(payload + header, len - header, [&](const nlattr* list) {
    if (mnl_attr_get_type(list) != NFTA_SET_ELEM_LIST_ELEMENTS) return;
    for_each_nested(list, [&](const nlattr* elem) {
      for_each_nested(elem, [&](const nlattr* a) {
        if (mnl_attr_get_type(a) != NFTA_SET_ELEM_KEY) return;
        for_each_nested(a, [&](const nlattr* v) {
          if (mnl_attr_get_type(v) == NFTA_DATA_VALUE && mnl_attr_get_payload_len(v) == 16)
            f(static_cast<const uint8_t*>(mnl_attr_get_payload(v)));
        });
      });
    });
  });
}

// True when the NEWSETELEM message `nlh` carries a 16-byte key equal to `want`.
inline bool carries(const nlmsghdr* nlh, const uint8_t want[16]) {
  bool found = false;
  for_each_key16(nlh,
                 [&](const uint8_t* key) { found = found || std::memcmp(key, want, 16) == 0; });
  return found;
}

// The p-quantile (0..1) of `v`, nearest rank.
inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = size_t(p * double(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace rampart::bench
