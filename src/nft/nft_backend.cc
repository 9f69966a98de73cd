// The socket side of the nftables backend: sending transactions built by nft_batch.cc and
// nft_ruleset.cc, reading every ack, plain requests, and dumping sets back into NftElements
// (nft_dump.cc). Element transactions and their refusals are in nft_transact.cc.
#include "nft/nft_backend.h"
#include <arpa/inet.h>  // before the linux/ headers, which clash with it otherwise
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <functional>

#include "nft/nft_backend_impl.h"
#include "nft/nft_dump.h"
#include "nft/nft_ruleset.h"
namespace rampart {
namespace nft_internal {
namespace {

int socket_buffer(int fd, int option) {
  int value = 0;
  socklen_t len = sizeof value;
  getsockopt(fd, SOL_SOCKET, option, &value, &len);
  return value;
}

}  // namespace

size_t grow_buffer(int fd, int option, int force_option, size_t bytes) {
  if (static_cast<size_t>(socket_buffer(fd, option)) >= bytes) return bytes;
  // The kernel doubles the value for its bookkeeping.
  int half = static_cast<int>(std::min<size_t>(bytes / 2 + 1, INT_MAX / 2));
  if (setsockopt(fd, SOL_SOCKET, force_option, &half, sizeof half) != 0)
    setsockopt(fd, SOL_SOCKET, option, &half, sizeof half);
  return static_cast<size_t>(socket_buffer(fd, option));
}

}  // namespace nft_internal

using namespace nft_internal;

// Sends a whole transaction and collects every ack it causes.
Result<Outcome> NftBackend::Impl::send(const NftBatch& batch) {
  grow_buffer(fd(), SO_RCVBUF, SO_RCVBUFFORCE,
              std::max(kMinReceiveBuffer, (batch.messages.size() + 2) * kAckBudget));
  if (mnl_socket_sendto(nl.get(), batch.bytes.data(), batch.bytes.size()) < 0)
    return fail_errno(errno, "sending a {}-byte nftables transaction", batch.bytes.size());
  counters.batches++;

  // Element messages go without NLM_F_ACK (as nft sends them): the kernel still reports
  // every message that fails, and stays silent about the rest, so a 100,000-element
  // transaction costs one ack, not thousands. The last message carries NLM_F_ACK, which
  // tells when the acks of this batch are complete; a batch-level error (ERESTART, EPERM,
  // a failed commit) comes on the BATCH_BEGIN sequence number.
  uint32_t last = batch.messages.empty() ? batch.begin_seq : batch.messages.back().seq;
  bool complete = batch.messages.empty();
  Outcome out;
  while (true) {
    ssize_t n = recv(fd(), rx.data(), rx.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {
        out.overrun = true;
        continue;
      }
      if (errno != EAGAIN) return fail_errno(errno, "reading nftables acks");
      if (complete) break;
      pollfd p{fd(), POLLIN, 0};
      if (poll(&p, 1, kAckTimeoutMs) <= 0)
        return fail(ETIMEDOUT, "nftables did not acknowledge a transaction of {} messages",
                    batch.messages.size());
      continue;
    }
    int len = static_cast<int>(n);
    for (auto* nlh = reinterpret_cast<const nlmsghdr*>(rx.data()); mnl_nlmsg_ok(nlh, len);
         nlh = mnl_nlmsg_next(nlh, &len)) {
      if (nlh->nlmsg_type != NLMSG_ERROR) continue;
      if (nlh->nlmsg_seq < batch.begin_seq || nlh->nlmsg_seq > batch.end_seq) continue;
      NftAck ack = parse_nft_ack(nlh);
      if (ack.seq == last || ack.seq == batch.begin_seq) complete = true;
      if (ack.error != 0) out.errors.push_back(std::move(ack));
    }
  }
  return out;
}

// A plain request (with NLM_F_ACK) or a dump; `on_reply` sees every data message. Sets
// `interrupted` when the kernel flags a dump as inconsistent (the set changed meanwhile).
Result<void> NftBackend::Impl::request(nlmsghdr* nlh,
                                       const std::function<void(const nlmsghdr*)>& on_reply,
                                       bool* interrupted) {
  bool dump = nlh->nlmsg_flags & NLM_F_DUMP;
  if (mnl_socket_sendto(nl.get(), nlh, nlh->nlmsg_len) < 0)
    return fail_errno(errno, "sending an nftables request");
  while (true) {
    ssize_t n = mnl_socket_recvfrom(nl.get(), rx.data(), rx.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno(errno, "reading an nftables reply");
    }
    int len = static_cast<int>(n);
    for (auto* m = reinterpret_cast<const nlmsghdr*>(rx.data()); mnl_nlmsg_ok(m, len);
         m = mnl_nlmsg_next(m, &len)) {
      if (m->nlmsg_seq != nlh->nlmsg_seq) continue;
      if (m->nlmsg_flags & NLM_F_DUMP_INTR && interrupted) *interrupted = true;
      if (m->nlmsg_type == NLMSG_DONE) return {};
      if (m->nlmsg_type == NLMSG_ERROR) {
        NftAck ack = parse_nft_ack(m);
        if (ack.error == 0 && !dump) return {};
        return std::unexpected(Error{ack.error, nft_ack_text(ack)});
      }
      on_reply(m);
    }
  }
}

Result<uint32_t> NftBackend::Impl::genid() {
  alignas(nlmsghdr) char buf[kNftSmallMessage];
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETGEN, AF_UNSPEC, NLM_F_ACK, next_seq());
  std::optional<uint32_t> id;
  auto r = request(nlh, [&](const nlmsghdr* m) {
    mnl_attr_parse(
        m, sizeof(nfgenmsg),
        [](const nlattr* attr, void* data) {
          if (mnl_attr_get_type(attr) == NFTA_GEN_ID && mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
            *static_cast<std::optional<uint32_t>*>(data) = ntohl(mnl_attr_get_u32(attr));
          return MNL_CB_OK;
        },
        &id);
  });
  if (!r) return fail(r.error().code, "reading the nftables generation: {}", r.error().message);
  if (!id) return fail(EPROTO, "nftables sent no generation id");
  return *id;
}

// How many rules the chain has; 0 when the table or chain does not exist yet.
Result<size_t> NftBackend::Impl::count_rules(std::string_view chain) {
  alignas(nlmsghdr) char buf[kNftSmallMessage];
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, NFPROTO_INET, NLM_F_DUMP, next_seq());
  mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, table.c_str());
  mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, std::string(chain).c_str());
  size_t rules = 0;
  auto r = request(nlh, [&](const nlmsghdr* m) {
    if ((m->nlmsg_type & 0xff) == NFT_MSG_NEWRULE) rules++;
  });
  if (!r && r.error().code == ENOENT) return 0;
  if (!r)
    return fail(r.error().code, "listing the rules of chain {}: {}", chain, r.error().message);
  return rules;
}

Result<std::vector<NftElement>> NftBackend::Impl::dump_set(
    NftSetKind kind, const std::function<void(size_t)>& progress) {
  for (int attempt = 0;; ++attempt) {
    alignas(nlmsghdr) char buf[kNftSmallMessage];
    nlmsghdr* nlh =
        nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, NFPROTO_INET, NLM_F_DUMP, next_seq());
    mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, table.c_str());
    mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, std::string(nft_set_name(kind)).c_str());
    NftElementCollector collector(kind);
    bool interrupted = false;
    auto r = request(
        nlh,
        [&](const nlmsghdr* m) {
          collector.add(m);
          if (progress) progress(collector.size());
        },
        &interrupted);
    if (!r)
      return fail(r.error().code, "listing set inet {} {}: {}", table, nft_set_name(kind),
                  r.error().message);
    if (!interrupted || attempt == kMaxRetries) return collector.finish();
  }
}

Result<std::vector<NftElement>> NftBackend::Impl::dump_all(
    const std::function<void(size_t)>& progress) {
  std::vector<NftElement> all;
  for (NftSetKind kind : kNftSetKinds) {
    auto elements = dump_set(kind, [&](size_t n) {
      if (progress) progress(all.size() + n);
    });
    if (!elements) return std::unexpected(elements.error());
    std::move(elements->begin(), elements->end(), std::back_inserter(all));
  }
  return all;
}

// Sends a ruleset or flush transaction; the first refused message becomes the error.
Result<void> NftBackend::Impl::send_simple(const NftBatch& batch, bool* restart) {
  auto outcome = send(batch);
  if (!outcome) return std::unexpected(outcome.error());
  *restart = false;
  for (const NftAck& a : outcome->errors) {
    const NftMessage* m = batch.message(a.seq);
    if (!m && a.error == ERESTART) {
      *restart = true;
      return {};
    }
    if (!m) return fail(a.error, "nftables refused the transaction: {}", nft_ack_text(a));
    if (m->type == NFT_MSG_NEWSET && a.error == EEXIST)
      return fail(a.error,
                  "{} in table inet {} exists with another type or flags (delete it "
                  "or use another table name)",
                  m->what, table);
    return fail(a.error, "{} in table inet {}: {}", m->what, table, nft_ack_text(a));
  }
  if (outcome->overrun) return fail(ENOBUFS, "lost nftables acks (receive buffer overrun)");
  return {};
}

Result<std::unique_ptr<NftBackend>> NftBackend::open(std::string table) {
  auto impl = std::make_unique<Impl>();
  impl->table = std::move(table);
  impl->nl.reset(mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC));
  if (!impl->nl) return fail_errno(errno, "opening a netfilter netlink socket");
  if (mnl_socket_bind(impl->nl.get(), 0, MNL_SOCKET_AUTOPID) < 0)
    return fail_errno(errno, "binding the netfilter netlink socket");
  impl->portid = mnl_socket_get_portid(impl->nl.get());
  int one = 1;
  // Error acks carry only the header of the refused message (not up to 64 KiB of it), plus
  // the offset of the element that failed, which pins a refusal to one change.
  mnl_socket_setsockopt(impl->nl.get(), NETLINK_CAP_ACK, &one, sizeof one);
  mnl_socket_setsockopt(impl->nl.get(), NETLINK_EXT_ACK, &one, sizeof one);
  grow_buffer(impl->fd(), SO_RCVBUF, SO_RCVBUFFORCE, kMinReceiveBuffer);
  impl->seq = static_cast<uint32_t>(time(nullptr));
  return std::unique_ptr<NftBackend>(new NftBackend(std::move(impl)));
}

NftBackend::NftBackend(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
NftBackend::~NftBackend() = default;

const NftCounters& NftBackend::counters() const {
  return impl_->counters;
}
const std::string& NftBackend::table() const {
  return impl_->table;
}
uint32_t NftBackend::portid() const {
  return impl_->portid;
}

Result<void> NftBackend::ensure_ruleset() {
  for (int attempt = 0; attempt < kMaxRetries; ++attempt) {
    // Look, then change under the generation we looked at: if someone else changes the
    // ruleset in between, the kernel refuses the batch and we look again.
    auto gen = impl_->genid();
    if (!gen) return std::unexpected(gen.error());
    NftRulesetPlan plan;
    for (size_t i = 0; i < 2; ++i) {
      auto rules = impl_->count_rules(kNftChains[i]);
      if (!rules) return std::unexpected(rules.error());
      (i == 0 ? plan.rules_input : plan.rules_forward) = *rules == 0;
    }
    NftBatch batch = build_ruleset_batch(impl_->table, plan, impl_->seq, *gen);
    impl_->seq = batch.next_seq();
    bool restart = false;
    if (auto r = impl_->send_simple(batch, &restart); !r) return r;
    if (!restart) return {};
  }
  return fail(ERESTART, "the nftables ruleset kept changing while creating table inet {}",
              impl_->table);
}

Result<std::vector<NftElement>> NftBackend::dump(const std::function<void(size_t)>& progress) {
  return impl_->dump_all(progress);
}

Result<uint32_t> NftBackend::generation() {
  return impl_->genid();
}

Result<bool> NftBackend::ruleset_present() {
  for (std::string_view chain : {kNftChains[0], kNftChains[1]}) {
    auto rules = impl_->count_rules(chain);
    if (!rules) return std::unexpected(rules.error());
    if (*rules == 0) return false;
  }
  return true;
}

Result<void> NftBackend::commit(size_t changes, const Build& build) {
  Impl& d = *impl_;
  for (int attempt = 0; attempt < kMaxRetries; ++attempt) {
    std::optional<uint32_t> gen;
    if (d.listener && changes >= d.quiet_min) gen = d.listener->pause();
    NftBatch batch = build(d.seq, gen);
    d.seq = batch.next_seq();
    grow_buffer(d.fd(), SO_SNDBUF, SO_SNDBUFFORCE, batch.bytes.size() + kSendOverhead);
    bool restart = false;
    auto r = d.send_simple(batch, &restart);
    d.counters.messages += batch.messages.size();
    d.counters.elements += batch.elements;
    // A commit moves the generation on by exactly one; a refused transaction leaves it.
    if (gen) d.listener->resume(r && !restart ? *gen + 1 : *gen, [&d] { return d.genid(); });
    if (!r) return r;
    if (!restart) {
      if (gen) d.counters.quiet++;
      return {};
    }
    d.counters.resends++;
  }
  return fail(ERESTART, "the nftables ruleset kept changing during a transaction on table inet {}",
              d.table);
}

Result<std::vector<std::string>> NftBackend::set_names() {
  alignas(nlmsghdr) char buf[kNftSmallMessage];
  nlmsghdr* nlh =
      nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSET, NFPROTO_INET, NLM_F_DUMP, impl_->next_seq());
  mnl_attr_put_strz(nlh, NFTA_SET_TABLE, impl_->table.c_str());
  std::vector<std::string> names;
  auto r = impl_->request(nlh, [&](const nlmsghdr* m) {
    NftSetPtr s(nftnl_set_alloc());
    if (nftnl_set_nlmsg_parse(m, s.get()) < 0) return;
    const char* table = nftnl_set_get_str(s.get(), NFTNL_SET_TABLE);
    if (table && impl_->table == table)
      names.emplace_back(nftnl_set_get_str(s.get(), NFTNL_SET_NAME));
  });
  if (!r && r.error().code == ENOENT) return names;
  if (!r)
    return fail(r.error().code, "listing the sets of table inet {}: {}", impl_->table,
                r.error().message);
  return names;
}

Result<size_t> NftBackend::flush() {
  for (int attempt = 0; attempt < kMaxRetries; ++attempt) {
    auto gen = impl_->genid();
    if (!gen) return std::unexpected(gen.error());
    auto elements = impl_->dump_all();
    if (!elements) return std::unexpected(elements.error());
    NftBatch batch = build_flush_batch(impl_->table, impl_->seq, *gen);
    impl_->seq = batch.next_seq();
    bool restart = false;
    if (auto r = impl_->send_simple(batch, &restart); !r) return std::unexpected(r.error());
    impl_->counters.messages += batch.messages.size();
    if (!restart) return elements->size();
  }
  return fail(ERESTART, "the nftables ruleset kept changing while flushing table inet {}",
              impl_->table);
}

}  // namespace rampart
