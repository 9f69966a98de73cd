// Element transactions: the changes of one commit sent as one transaction (while the
// monitor pauses when it is large), every refused change dropped with a reason an
// administrator can act on, and the rest sent again.
#include <arpa/inet.h>  // before the linux/ headers, which clash with it otherwise
#include <linux/netfilter/nf_tables.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <numeric>

#include "nft/nft_backend_impl.h"
#include "nft/nft_service.h"
namespace rampart {
namespace {

// Why the kernel refused one change, in words an administrator can act on.
Error change_error(const Change& c, const NftMessage& m, const NftAck& a, bool whole_message,
                   const std::string& table) {
  std::string_view set = nft_set_name(m.set);
  std::string addr = c.address.str();
  bool add = c.op == Change::Op::Add;
  if (whole_message && a.error == ENOENT)
    return {a.error, fmt::format("{}: set inet {} {} does not exist (ruleset not created, or "
                                 "removed by someone else?)",
                                 addr, table, set)};
  if (!add && a.error == ENOENT)
    return {a.error, fmt::format("{}: not in set {} (already expired?)", addr, set)};
  if (add && a.error == EEXIST && nft_set_is_interval(m.set))
    return {a.error, fmt::format("{}: overlaps an interval already in set {}", addr, set)};
  return {a.error, fmt::format("{}: kernel refused {} set {}: {}", addr,
                               add ? "adding it to" : "deleting it from", set, nft_ack_text(a))};
}

}  // namespace

using namespace nft_internal;

NftBackend::Impl::Refusals NftBackend::Impl::sort_out(std::span<const Change> changes,
                                                      const NftBatch& batch, const Outcome& outcome,
                                                      std::vector<uint32_t>& groups,
                                                      uint32_t& next_group) {
  Refusals r;
  for (const NftAck& a : outcome.errors) {
    const NftMessage* m = batch.message(a.seq);
    if (!m) {
      r.batch_error =
          Error{a.error, fmt::format("nftables refused the transaction: {}", nft_ack_text(a))};
      continue;
    }
    std::optional<size_t> culprit;
    bool whole_message = false;
    if (m->changes.size() == 1) {
      culprit = m->changes[0];
      whole_message = a.offset && *a.offset < m->element_offsets[0];
    } else if (a.offset) {
      culprit = m->change_at(*a.offset);
      whole_message = !culprit;
    }
    if (culprit) {
      r.drop.try_emplace(*culprit, change_error(changes[*culprit], *m, a, whole_message, table));
    } else if (whole_message) {
      for (size_t i : m->changes)
        r.drop.try_emplace(i, change_error(changes[i], *m, a, true, table));
    } else {
      // No offset to point at the element: bisect, the halves go in separate messages.
      if (groups.empty()) groups.assign(changes.size(), 0);
      uint32_t first = next_group++, second = next_group++;
      for (size_t k = 0; k < m->changes.size(); ++k)
        groups[m->changes[k]] = k < m->changes.size() / 2 ? first : second;
      r.split = true;
    }
  }
  return r;
}

// Sends `order` (indices into `changes`) as one transaction, dropping refused changes into
// `rejected` and resending the rest until the kernel takes it.
void NftBackend::Impl::transact(std::span<const Change> changes, std::vector<size_t> order,
                                std::vector<uint32_t>& groups, uint32_t& next_group,
                                ApplyResult& out) {
  int retries = 0;
  auto reject_all = [&](const Error& e) {
    for (size_t i : order) out.rejected.emplace_back(i, e);
    counters.rejected += order.size();
  };
  while (!order.empty()) {
    NftBatchOptions options;
    options.first_seq = seq;
    options.groups = groups;
    NftBatch batch = build_element_batch(table, changes, order, options);
    seq = batch.next_seq();
    size_t room = grow_buffer(fd(), SO_SNDBUF, SO_SNDBUFFORCE, batch.bytes.size() + kSendOverhead);
    if (room < batch.bytes.size() + kSendOverhead && order.size() > 1) {
      // Only without CAP_NET_ADMIN: several smaller transactions rather than none.
      auto mid = order.begin() + static_cast<ptrdiff_t>(order.size() / 2);
      transact(changes, {order.begin(), mid}, groups, next_group, out);
      transact(changes, {mid, order.end()}, groups, next_group, out);
      return;
    }
    auto outcome = send(batch);
    counters.messages += batch.messages.size();
    counters.elements += order.size();
    if (!outcome) return reject_all(outcome.error());
    if (outcome->errors.empty() && !outcome->overrun) {
      out.applied += order.size();
      return;
    }

    Refusals r = sort_out(changes, batch, *outcome, groups, next_group);
    if (r.drop.empty() && !r.split) {
      if (r.batch_error && ++retries < kMaxRetries && r.batch_error->code != EPERM) {
        counters.resends++;
        continue;
      }
      return reject_all(r.batch_error.value_or(
          Error{EPROTO,
                "nftables refused the transaction without saying which change (receive "
                "buffer overrun?)"}));
    }
    std::erase_if(order, [&](size_t i) { return r.drop.contains(i); });
    for (auto& [i, e] : r.drop) out.rejected.emplace_back(i, std::move(e));
    counters.rejected += r.drop.size();
    counters.resends++;
  }
}

// The whole of `changes` as one transaction while the listener pauses. Returns nullopt when
// that did not work out (the listener could not pause, the ruleset moved on, the kernel
// refused something): the ordinary path then sends it and sorts out any refusal.
std::optional<ApplyResult> NftBackend::Impl::transact_quietly(std::span<const Change> changes) {
  std::optional<uint32_t> gen = listener->pause();
  if (!gen) return std::nullopt;
  std::vector<size_t> order(changes.size());
  std::iota(order.begin(), order.end(), size_t{0});
  NftBatchOptions options;
  options.first_seq = seq;
  options.genid = *gen;
  NftBatch batch = build_element_batch(table, changes, order, options);
  seq = batch.next_seq();
  bool committed = false;
  if (grow_buffer(fd(), SO_SNDBUF, SO_SNDBUFFORCE, batch.bytes.size() + kSendOverhead) >=
      batch.bytes.size() + kSendOverhead) {
    auto outcome = send(batch);
    counters.messages += batch.messages.size();
    counters.elements += changes.size();
    committed = outcome && outcome->errors.empty() && !outcome->overrun;
  }
  // A commit moves the generation on by exactly one; a refused transaction leaves it.
  listener->resume(committed ? *gen + 1 : *gen, [this] { return genid(); });
  if (!committed) return std::nullopt;
  counters.quiet++;
  return ApplyResult{changes.size(), {}};
}

ApplyResult NftBackend::apply(std::span<const Change> changes) {
  ApplyResult out;
  if (changes.empty()) return out;
  if (impl_->listener && changes.size() >= impl_->quiet_min)
    if (auto quiet = impl_->transact_quietly(changes)) return std::move(*quiet);
  std::vector<size_t> order(changes.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::vector<uint32_t> groups;
  uint32_t next_group = 1;
  impl_->transact(changes, std::move(order), groups, next_group, out);
  std::sort(out.rejected.begin(), out.rejected.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

ApplyResult NftBackend::apply_service(std::span<const Change> changes, std::vector<size_t> order) {
  Impl& d = *impl_;
  ApplyResult out;
  for (int attempt = 0; !order.empty(); ++attempt) {
    NftBatch batch = build_service_batch(d.table, changes, order, d.seq, std::nullopt);
    d.seq = batch.next_seq();
    grow_buffer(d.fd(), SO_SNDBUF, SO_SNDBUFFORCE, batch.bytes.size() + kSendOverhead);
    auto outcome = d.send(batch);
    d.counters.messages += batch.messages.size();
    d.counters.elements += batch.elements;
    std::optional<Error> whole;
    if (!outcome) whole = outcome.error();
    std::vector<size_t> refused;
    if (outcome) {
      for (const NftAck& a : outcome->errors) {
        const NftMessage* m = batch.message(a.seq);
        if (m && m->changes.size() == 1) {
          refused.push_back(m->changes[0]);
          out.rejected.emplace_back(
              m->changes[0], Error{a.error, fmt::format("{}: {}", m->what, nft_ack_text(a))});
        } else {
          whole =
              Error{a.error, fmt::format("{} in table inet {}: {}", m ? m->what : "the transaction",
                                         d.table, nft_ack_text(a))};
        }
      }
      if (outcome->overrun && refused.empty() && !whole)
        whole = Error{ENOBUFS, "lost nftables acks (receive buffer overrun)"};
    }
    if (whole || attempt == kMaxRetries) {
      for (size_t i : order)
        if (std::find(refused.begin(), refused.end(), i) == refused.end())
          out.rejected.emplace_back(i, whole.value_or(Error{EPROTO, "nftables kept refusing"}));
      break;
    }
    if (refused.empty()) {
      out.applied += order.size();
      break;
    }
    std::erase_if(order, [&](size_t i) {
      return std::find(refused.begin(), refused.end(), i) != refused.end();
    });
    d.counters.rejected += refused.size();
    d.counters.resends++;
  }
  return out;
}

void NftBackend::set_listener(NftListener* listener, size_t min_changes) {
  impl_->listener = listener;
  impl_->quiet_min = listener ? min_changes : SIZE_MAX;
}

}  // namespace rampart
