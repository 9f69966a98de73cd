#include "nft/nft_lookup.h"
#include <arpa/inet.h>  // before the linux/ headers, which clash with it otherwise
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "nft/nft_ack.h"
#include "nft/nft_dump.h"
namespace rampart {
namespace {

// Each found key is a reply message of its own (~1 KiB of receive buffer with its overhead).
constexpr int kReceiveBuffer = 4 << 20;

}  // namespace

NftLookupRequest build_lookup_request(std::string_view table, NftSetKind kind,
                                      std::span<const Address> keys, uint32_t seq) {
  NftLookupRequest out;
  out.bytes.assign(kNftSmallMessage + keys.size() * 64, 0);
  nlmsghdr* nlh =
      nftnl_nlmsg_build_hdr(out.bytes.data(), NFT_MSG_GETSETELEM, NFPROTO_INET, NLM_F_ACK, seq);
  mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, std::string(table).c_str());
  mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, std::string(nft_set_name(kind)).c_str());
  nlattr* list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
  for (const Address& key : keys) {
    out.element_offsets.push_back(nlh->nlmsg_len);
    nlattr* elem = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
    nlattr* data = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
    mnl_attr_put(nlh, NFTA_DATA_VALUE, key.size(), key.bytes.data());
    mnl_attr_nest_end(nlh, data);
    mnl_attr_nest_end(nlh, elem);
  }
  mnl_attr_nest_end(nlh, list);
  out.bytes.resize(nlh->nlmsg_len);
  return out;
}

Result<std::unique_ptr<NftLookup>> NftLookup::open(std::string table) {
  std::unique_ptr<NftLookup> self(new NftLookup(std::move(table)));
  self->nl_.reset(mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC));
  if (!self->nl_) return fail_errno(errno, "opening a netfilter netlink socket");
  if (mnl_socket_bind(self->nl_.get(), 0, MNL_SOCKET_AUTOPID) < 0)
    return fail_errno(errno, "binding the netfilter netlink socket");
  int one = 1;
  mnl_socket_setsockopt(self->nl_.get(), NETLINK_CAP_ACK, &one, sizeof one);
  mnl_socket_setsockopt(self->nl_.get(), NETLINK_EXT_ACK, &one, sizeof one);
  int fd = mnl_socket_get_fd(self->nl_.get());
  int half = kReceiveBuffer / 2;  // the kernel doubles it
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &half, sizeof half) != 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &half, sizeof half);
  return self;
}

Result<size_t> NftLookup::ask(NftSetKind kind, std::span<const Address> keys,
                              std::span<std::optional<NftElement>> out) {
  uint32_t seq = seq_++;
  NftLookupRequest request = build_lookup_request(table_, kind, keys, seq);
  ++requests_;
  if (mnl_socket_sendto(nl_.get(), request.bytes.data(), request.bytes.size()) < 0)
    return fail_errno(errno, "sending an nftables lookup");
  NftElementCollector replies(kind);
  std::optional<NftAck> ack;
  while (!ack) {
    ssize_t n = mnl_socket_recvfrom(nl_.get(), rx_.data(), rx_.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno(errno, "reading nftables lookup replies");
    }
    int len = static_cast<int>(n);
    for (auto* m = reinterpret_cast<const nlmsghdr*>(rx_.data()); mnl_nlmsg_ok(m, len);
         m = mnl_nlmsg_next(m, &len)) {
      if (m->nlmsg_seq != seq) continue;
      if (m->nlmsg_type == NLMSG_ERROR)
        ack = parse_nft_ack(m);
      else
        replies.add(m);
    }
  }
  // The kernel answered the keys in order up to the first it did not find.
  size_t answered = keys.size();
  if (ack->error != 0) {
    auto first = request.element_offsets.begin();
    if (ack->error != ENOENT || !ack->offset || *ack->offset < *first)
      return fail(ack->error, "looking up elements of set inet {} {}: {}", table_,
                  nft_set_name(kind), nft_ack_text(*ack));
    auto at = std::upper_bound(first, request.element_offsets.end(), *ack->offset);
    answered = static_cast<size_t>(at - first) - 1;
  }
  // One reply per answered key, in the order asked. A prefix's reply starts at the key; any
  // other start (an interval that merely covers the key) is not the block asked about.
  std::vector<NftElement> found = replies.starts();
  for (size_t i = 0; i < answered && i < found.size(); ++i) {
    const Address& key = keys[i];
    if (std::equal(key.bytes.begin(), key.bytes.begin() + key.size(),
                   found[i].address.bytes.begin()))
      out[i] = std::move(found[i]);
  }
  return answered < keys.size() ? answered + 1 : answered;
}

Result<std::vector<std::optional<NftElement>>> NftLookup::find(std::span<const Address> addresses) {
  std::vector<std::optional<NftElement>> out(addresses.size());
  for (NftSetKind kind : kNftSetKinds) {
    std::vector<size_t> indices;
    std::vector<Address> keys;
    for (size_t i = 0; i < addresses.size(); ++i)
      if (nft_set_for(addresses[i]) == kind) {
        indices.push_back(i);
        keys.push_back(addresses[i]);
      }
    std::vector<std::optional<NftElement>> answers(keys.size());
    for (size_t at = 0; at < keys.size();) {
      size_t n = std::min(kNftKeysPerLookup, keys.size() - at);
      auto settled = ask(kind, std::span(keys).subspan(at, n), std::span(answers).subspan(at, n));
      if (!settled) return std::unexpected(settled.error());
      at += *settled;
    }
    for (size_t k = 0; k < indices.size(); ++k) out[indices[k]] = std::move(answers[k]);
  }
  return out;
}

}  // namespace rampart
