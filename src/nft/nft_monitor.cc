#include "nft/nft_monitor.h"
#include <arpa/inet.h>  // before the linux/ headers, which clash with it otherwise
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <utility>

#include "base/handles_event.h"
#include "base/handles_nft.h"
#include "base/log.h"
#include "nft/nft_batch.h"
namespace rampart {
namespace {

// Room for the notifications of one large transaction of ours (the kernel coalesces them into
// page-sized messages, well under 200 bytes per element) so a flood rarely overruns it.
constexpr int kReceiveBuffer = 32 << 20;

struct Names {
  std::string_view table;
  std::string_view object;  // set name for sets and elements
};

// Attribute 1 is the table name in every table/chain/rule/set/element message; 2 is the set
// name in set and element messages.
Names names(const nlmsghdr* nlh, bool with_object) {
  std::pair<Names, bool> ctx{{}, with_object};
  mnl_attr_parse(
      nlh, sizeof(nfgenmsg),
      [](const nlattr* attr, void* p) {
        auto* c = static_cast<std::pair<Names, bool>*>(p);
        uint16_t type = mnl_attr_get_type(attr);
        if ((type == 1 || (type == 2 && c->second)) &&
            mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0) {
          std::string_view v = mnl_attr_get_str(attr);
          (type == 1 ? c->first.table : c->first.object) = v;
        }
        return MNL_CB_OK;
      },
      &ctx);
  return ctx.first;
}

std::optional<NftSetKind> set_kind(std::string_view name) {
  for (NftSetKind k : kNftSetKinds)
    if (nft_set_name(k) == name) return k;
  return std::nullopt;
}

}  // namespace

void NftChangeTracker::reset() {
  ours_ = false;
  touched_ = false;
  current_ = {};
  for (auto& c : deleted_) c.reset();
}

std::optional<NftForeignChange> NftChangeTracker::feed(const nlmsghdr* nlh) {
  if ((nlh->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES) return std::nullopt;
  uint16_t type = nlh->nlmsg_type & 0xff;
  if (type == NFT_MSG_NEWGEN) {
    open_ = false;
    mnl_attr_parse(
        nlh, sizeof(nfgenmsg),
        [](const nlattr* attr, void* p) {
          if (mnl_attr_get_type(attr) == NFTA_GEN_ID && mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
            *static_cast<std::optional<uint32_t>*>(p) = ntohl(mnl_attr_get_u32(attr));
          return MNL_CB_OK;
        },
        &generation_);
    std::optional<NftForeignChange> out;
    if (ours_ && touched_) ++own_ignored_;
    if (!ours_ && touched_) {
      if (!current_.ruleset_lost)
        for (auto& c : deleted_)
          if (c)
            for (NftElement& e : c->finish()) current_.deleted.push_back(std::move(e));
      out = std::move(current_);
    }
    reset();
    return out;
  }
  open_ = true;
  if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(nfgenmsg)) return std::nullopt;
  const auto* gen = static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(nlh));
  if (gen->nfgen_family != NFPROTO_INET) return std::nullopt;
  bool lost = type == NFT_MSG_DELTABLE || type == NFT_MSG_DELCHAIN || type == NFT_MSG_DELRULE ||
              type == NFT_MSG_DELSET;
  if (!lost && type != NFT_MSG_DELSETELEM) return std::nullopt;
  Names n = names(nlh, type == NFT_MSG_DELSETELEM);
  if (n.table != table_) return std::nullopt;
  touched_ = true;
  current_.portid = nlh->nlmsg_pid;
  if (nlh->nlmsg_pid == own_portid_ && own_portid_ != 0) ours_ = true;
  if (ours_) return std::nullopt;
  if (lost) {
    current_.ruleset_lost = true;
    return std::nullopt;
  }
  auto kind = set_kind(n.object);
  if (!kind) return std::nullopt;
  auto& collector = deleted_[size_t(*kind)];
  if (!collector) collector = std::make_unique<NftElementCollector>(*kind);
  // The collector reads dump replies (NEWSETELEM); a deletion carries the same attributes.
  std::vector<char> copy(reinterpret_cast<const char*>(nlh),
                         reinterpret_cast<const char*>(nlh) + nlh->nlmsg_len);
  auto* h = reinterpret_cast<nlmsghdr*>(copy.data());
  h->nlmsg_type = static_cast<uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWSETELEM);
  collector->add(h);
  return std::nullopt;
}

struct NftMonitor::Impl {
  MnlSocketPtr nl;
  EventSourcePtr source;
  EventSourcePtr deferred;  // runs handlers for what pause() read
  NftChangeTracker tracker;
  Handlers handlers;
  NftMonitorCounters counters;
  std::vector<char> rx = std::vector<char>(size_t{1} << 17);
  // Read but not yet handed to the handlers.
  bool lost = false;
  bool unsure = false;
  std::vector<NftElement> deleted;

  Impl(std::string table, uint32_t own) : tracker(std::move(table), own) {}
  int fd() const { return mnl_socket_get_fd(nl.get()); }

  static int on_io(sd_event_source*, int, uint32_t, void* p) {
    auto* self = static_cast<Impl*>(p);
    self->read();
    self->dispatch();
    return 0;
  }
  static int on_deferred(sd_event_source*, void* p) {
    static_cast<Impl*>(p)->dispatch();
    return 0;
  }

  // Reads every queued notification into `lost` and `deleted`.
  void read() {
    while (true) {
      ssize_t n = recv(fd(), rx.data(), rx.size(), MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == ENOBUFS) {
          // Some notifications are gone: whatever they said, rebuilding is safe.
          ++counters.overruns;
          tracker.discard();
          lost = true;
          continue;
        }
        if (errno != EAGAIN) log_warning_errno(errno, "reading nftables notifications");
        break;
      }
      int len = static_cast<int>(n);
      for (auto* nlh = reinterpret_cast<const nlmsghdr*>(rx.data()); mnl_nlmsg_ok(nlh, len);
           nlh = mnl_nlmsg_next(nlh, &len)) {
        ++counters.notifications;
        auto change = tracker.feed(nlh);
        if (!change) continue;
        if (change->ruleset_lost) {
          ++counters.ruleset_lost;
          log_warning("table inet {} was changed by another process (port id {})", tracker.table(),
                      change->portid);
          lost = true;
        }
        counters.elements_deleted += change->deleted.size();
        std::move(change->deleted.begin(), change->deleted.end(), std::back_inserter(deleted));
      }
    }
    counters.own_ignored = tracker.own_ignored();
  }

  void dispatch() {
    std::vector<NftElement> gone = std::move(deleted);
    deleted.clear();
    bool rebuild = std::exchange(lost, false);
    bool check = std::exchange(unsure, false) && !rebuild;
    // Deletions first: a block an administrator lifted must not come back with the rebuild.
    if (!gone.empty() && handlers.elements_deleted) handlers.elements_deleted(gone);
    if (rebuild && handlers.ruleset_lost) handlers.ruleset_lost();
    if (check && handlers.unsure) handlers.unsure();
  }

  void subscribe(bool on) {
    unsigned group = NFNLGRP_NFTABLES;
    if (mnl_socket_setsockopt(nl.get(), on ? NETLINK_ADD_MEMBERSHIP : NETLINK_DROP_MEMBERSHIP,
                              &group, sizeof group) < 0 &&
        on) {
      log_error_errno(errno, "cannot subscribe to nftables notifications again");
      lost = true;  // rebuilding is the safe guess; the next pause tries again
    }
  }
};

Result<std::unique_ptr<NftMonitor>> NftMonitor::open(sd_event* event, std::string table,
                                                     uint32_t own_portid, Handlers handlers) {
  auto impl = std::make_unique<Impl>(std::move(table), own_portid);
  impl->handlers = std::move(handlers);
  impl->nl.reset(mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK));
  if (!impl->nl) return fail_errno(errno, "opening a netfilter netlink socket for notifications");
  if (mnl_socket_bind(impl->nl.get(), 0, MNL_SOCKET_AUTOPID) < 0)
    return fail_errno(errno, "binding the nftables notification socket");
  unsigned group = NFNLGRP_NFTABLES;
  if (mnl_socket_setsockopt(impl->nl.get(), NETLINK_ADD_MEMBERSHIP, &group, sizeof group) < 0)
    return fail_errno(errno, "subscribing to nftables notifications");
  int size = kReceiveBuffer / 2;  // the kernel doubles it
  if (setsockopt(impl->fd(), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
    setsockopt(impl->fd(), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  sd_event_source* s = nullptr;
  if (int r = sd_event_add_io(event, &s, impl->fd(), EPOLLIN, Impl::on_io, impl.get()); r < 0)
    return fail_errno(r, "watching nftables notifications");
  impl->source.reset(s);
  // Before inputs and commits of the same loop turn: adds into a vanished set would fail.
  sd_event_source_set_priority(s, SD_EVENT_PRIORITY_IMPORTANT);
  if (int r = sd_event_add_defer(event, &s, Impl::on_deferred, impl.get()); r < 0)
    return fail_errno(r, "sd_event_add_defer");
  impl->deferred.reset(s);
  sd_event_source_set_priority(s, SD_EVENT_PRIORITY_IMPORTANT);
  sd_event_source_set_enabled(s, SD_EVENT_OFF);
  return std::unique_ptr<NftMonitor>(new NftMonitor(std::move(impl)));
}

NftMonitor::NftMonitor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
NftMonitor::~NftMonitor() = default;

void NftMonitor::set_generation(uint32_t genid) {
  impl_->tracker.set_generation(genid);
}

std::optional<uint32_t> NftMonitor::settled_generation() {
  impl_->read();
  if (impl_->lost || impl_->unsure || !impl_->deleted.empty()) {
    sd_event_source_set_enabled(impl_->deferred.get(), SD_EVENT_ONESHOT);
    return std::nullopt;
  }
  if (impl_->tracker.in_transaction()) return std::nullopt;
  return impl_->tracker.generation();
}

std::optional<uint32_t> NftMonitor::pause() {
  // Catch up first (handlers run later, from the loop: we are inside a commit), so that the
  // generation seen to its end is the latest one.
  impl_->read();
  if (impl_->lost || impl_->unsure || !impl_->deleted.empty())
    sd_event_source_set_enabled(impl_->deferred.get(), SD_EVENT_ONESHOT);
  auto gen = impl_->tracker.generation();
  if (!gen || impl_->tracker.in_transaction()) return std::nullopt;
  impl_->subscribe(false);
  ++impl_->counters.pauses;
  return gen;
}

void NftMonitor::resume(uint32_t ours, const std::function<Result<uint32_t>()>& current) {
  impl_->subscribe(true);
  auto now = current();
  if (now && *now == ours) {
    impl_->tracker.set_generation(ours);
    return;
  }
  // Someone else's transaction may have committed while we were not listening (the tracker
  // learns the generation again from the next NEWGEN it reads).
  ++impl_->counters.unsure;
  impl_->tracker.discard();
  impl_->unsure = true;
  sd_event_source_set_enabled(impl_->deferred.get(), SD_EVENT_ONESHOT);
}

const NftMonitorCounters& NftMonitor::counters() const {
  return impl_->counters;
}

}  // namespace rampart
