// The raw netlink floor for loading blocks: N timed elements, pre-built into the largest
// messages the kernel takes (64 KiB element lists), sent as one transaction. Only sendmsg() and
// reading the acks are timed; compare rampart's apply() and `nft -f` against it in the same
// network namespace.
//
//   unshare -n ./nft_floor 100000 [v4|v6]
//
// It works in the caller's network namespace, in a table of its own (rampart_floor) that it
// deletes again; run it under `unshare -n` so the host's ruleset is never touched.
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "base/handles_nft.h"
#include "nft/nft_backend.h"
#include "nft/nft_batch.h"
using namespace rampart;

namespace {

constexpr char kTable[] = "rampart_floor";

Address element(uint32_t i, bool v6) {
  // Keys only: nothing is ever sent to these addresses.
  if (!v6) return Address::v4(0x0a000000u + i);
  Address a = *Address::parse("2001:db8::");
  for (int b = 0; b < 4; ++b) a.bytes[15 - b] = static_cast<uint8_t>(i >> (8 * b));
  return a;
}

double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// Sends one pre-built transaction and reads acks until the NLM_F_ACK of its last message.
bool send_batch(mnl_socket* nl, const NftBatch& batch) {
  if (mnl_socket_sendto(nl, batch.bytes.data(), batch.bytes.size()) < 0) {
    std::perror("sendmsg");
    return false;
  }
  std::vector<char> buf(1 << 16);
  uint32_t last = batch.messages.back().seq;
  while (true) {
    ssize_t n = mnl_socket_recvfrom(nl, buf.data(), buf.size());
    if (n < 0) {
      std::perror("recv");
      return false;
    }
    int len = static_cast<int>(n);
    for (auto* nlh = reinterpret_cast<const nlmsghdr*>(buf.data()); mnl_nlmsg_ok(nlh, len);
         nlh = mnl_nlmsg_next(nlh, &len)) {
      if (nlh->nlmsg_type != NLMSG_ERROR) continue;
      auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
      if (err->error != 0) {
        std::fprintf(stderr, "message %u refused: %s\n", nlh->nlmsg_seq,
                     std::strerror(-err->error));
        return false;
      }
      if (nlh->nlmsg_seq == last) return true;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s N [v4|v6]   (run under unshare -n)\n", argv[0]);
    return 2;
  }
  uint32_t n = static_cast<uint32_t>(std::strtoul(argv[1], nullptr, 10));
  bool v6 = argc > 2 && std::string(argv[2]) == "v6";
  if (n == 0) return 2;

  // The table and its timeout sets, the way the daemon makes them.
  auto backend = NftBackend::open(kTable);
  if (!backend || !(*backend)->ensure_ruleset()) {
    std::fprintf(stderr, "cannot create table inet %s\n", kTable);
    return 1;
  }

  std::vector<Change> changes;
  changes.reserve(n);
  for (uint32_t i = 0; i < n; ++i)
    changes.push_back({Change::Op::Add, element(i, v6), 3600 * 1000, "firewall-drop:5712"});
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  auto t0 = std::chrono::steady_clock::now();
  NftBatch batch = build_element_batch(kTable, changes, order, {});
  double build = since(t0);

  MnlSocketPtr nl(mnl_socket_open(NETLINK_NETFILTER));
  if (!nl || mnl_socket_bind(nl.get(), 0, MNL_SOCKET_AUTOPID) < 0) {
    std::perror("netlink");
    return 1;
  }
  int one = 1;
  mnl_socket_setsockopt(nl.get(), NETLINK_CAP_ACK, &one, sizeof one);
  int half = static_cast<int>(batch.bytes.size() / 2 + 64);
  setsockopt(mnl_socket_get_fd(nl.get()), SOL_SOCKET, SO_SNDBUFFORCE, &half, sizeof half);

  auto t1 = std::chrono::steady_clock::now();
  bool ok = send_batch(nl.get(), batch);
  double send = since(t1);
  std::printf(
      "%u %s elements in 1 transaction of %zu messages (%zu bytes): build %.3f s, "
      "send+acks %.3f s = %.0f elements/s\n",
      n, v6 ? "v6" : "v4", batch.messages.size(), batch.bytes.size(), build, send, n / send);

  // Remove the table again (the caller's namespace should be left as found).
  alignas(nlmsghdr) char buf[kNftSmallMessage];
  NftBatchWriter writer(batch.next_seq(), std::nullopt);
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_DELTABLE, NFPROTO_INET, 0, 0);
  mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, kTable);
  writer.append(nlh);
  ok = send_batch(nl.get(), writer.finish()) && ok;
  return ok ? 0 : 1;
}
