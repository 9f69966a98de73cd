// Block changes as firewalld calls: rich rules with firewalld's own timeouts, or ipset
// entries; at most kMaxInFlight in flight, re-sent when firewalld comes back.
#include "firewalld/firewalld_impl.h"
namespace rampart {

using namespace firewalld;

int FirewalldBackend::Impl::on_reply(sd_bus_message* m, void* u, sd_bus_error*) {
  auto* pending = static_cast<Pending*>(u);
  const sd_bus_error* e =
      sd_bus_message_is_method_error(m, nullptr) ? sd_bus_message_get_error(m) : nullptr;
  pending->done(m, e);
  return 0;
}

ApplyResult FirewalldBackend::Impl::apply(size_t index, std::span<const Change> changes) {
  uint64_t now = clock_us(CLOCK_MONOTONIC);
  ApplyResult out;
  for (size_t i = 0; i < changes.size(); ++i) {
    const Change& c = changes[i];
    // Per-service blocks need rampart's own nftables sets; firewalld would block the whole
    // address instead, which is not what the command asked for.
    if (!c.ports.empty()) {
      if (c.op == Change::Op::Add)
        out.rejected.emplace_back(
            i, Error{ENOTSUP, fmt::format("{}: <ports> blocks need the nftables backend; set "
                                          "<firewall_backend>nftables</firewall_backend>",
                                          c.address.str())});
      continue;
    }
    auto it = live.find(c.address);
    std::optional<uint64_t> before;
    if (it != live.end()) before = it->second.deadline();
    if (c.op == Change::Op::Add) {
      if (it == live.end()) it = live.emplace(c.address, Live{}).first;
      Live& l = it->second;
      l.held[index] = true;
      l.expiry_us[index] = c.timeout_ms ? now + c.timeout_ms * 1000 : 0;
      l.comment[index] = c.comment;
    } else if (it != live.end()) {
      it->second.held[index] = false;
    } else {
      enqueue(false, c.address);  // unknown here: make sure it is gone
      continue;
    }
    state_dirty = true;
    std::optional<uint64_t> after = it->second.deadline();
    if (!after) {
      live.erase(it);
      enqueue(false, c.address);
    } else if (!before) {
      enqueue(true, c.address);
    } else if (rich() && differs(*before, *after)) {
      // firewalld answers ALREADY_ENABLED to a second add and keeps the first timeout:
      // replace the rule (removeRichRule also cancels firewalld's timer for it).
      enqueue(false, c.address);
      enqueue(true, c.address);
    }
  }
  schedule_state();
  pump();
  out.applied = changes.size() - out.rejected.size();
  return out;
}

void FirewalldBackend::Impl::pump() {
  uint64_t now = clock_us(CLOCK_MONOTONIC);
  while (up && in_flight < kMaxInFlight && !queue.empty()) {
    Call c = queue.front();
    queue.pop_front();
    int32_t timeout_s = 0;
    if (c.add) {
      // The remaining time is taken when the call leaves, not when it was queued.
      auto it = live.find(c.address);
      if (it == live.end()) continue;
      uint64_t d = *it->second.deadline();
      if (d) {
        if (d <= now) continue;
        timeout_s = std::max(1, firewalld_timeout_seconds((d - now + 999) / 1000));
      }
    }
    send(c, timeout_s);
  }
}

void FirewalldBackend::Impl::send(const Call& c, int32_t timeout_s) {
  ++in_flight;
  ++counters.calls;
  uint64_t gen = generation;
  Reply done = [this, c, gen](sd_bus_message*, const sd_bus_error* e) {
    on_block_reply(c, gen, e);
  };
  if (rich()) {
    std::string rule = firewalld_rich_rule(c.address);
    if (c.add)
      call(kPath, kZoneIface, "addRichRule", std::move(done), "ssi", zone.c_str(), rule.c_str(),
           timeout_s);
    else
      call(kPath, kZoneIface, "removeRichRule", std::move(done), "ss", zone.c_str(), rule.c_str());
  } else {
    std::string entry = c.address.str();
    std::string set(firewalld_ipset_name(!c.address.is_v4()));
    call(kPath, kIpsetIface, c.add ? "addEntry" : "removeEntry", std::move(done), "ss", set.c_str(),
         entry.c_str());
  }
}

void FirewalldBackend::Impl::on_block_reply(const Call& c, uint64_t gen, const sd_bus_error* e) {
  if (gen != generation) return;  // sent before a reload or restart: re-applied since
  --in_flight;
  auto it = live.find(c.address);
  if (!e || (!c.add && firewalld_not_enabled(error_text(e)))) {
    if (c.add && it != live.end()) it->second.in_firewalld = true;
  } else if (gone(e)) {
    // firewalld went away; its NameOwnerChanged brings everything back when it returns.
  } else if (sd_bus_error_has_name(e, SD_BUS_ERROR_LIMITS_EXCEEDED)) {
    queue.push_front(c);  // the bus's own limit, not firewalld's answer: send it again
  } else if (c.add && firewalld_already_enabled(error_text(e))) {
    if (rich() && !c.retried) {
      // A rule of an earlier run, or one whose firewalld timer has not fired yet: replace
      // it so the timeout is ours.
      queue.push_front(Call{true, c.address, true});
      queue.push_front(Call{false, c.address});
    } else if (it != live.end()) {
      it->second.in_firewalld = true;
    }
  } else {
    ++counters.failures;
    Error error{EIO,
                fmt::format("firewalld refused to {} {} in {}: {}", c.add ? "block" : "unblock",
                            c.address.str(), rich() ? "zone " + zone : std::string("its ipset"),
                            error_text(e))};
    log_warning("{}", error.message);
    if (c.add && it != live.end()) {
      Live l = std::move(it->second);
      live.erase(it);
      state_dirty = true;
      schedule_state();
      Change change{Change::Op::Add, c.address, 0, {}};
      for (size_t i = 0; i < 2; ++i)
        if (l.held[i]) ports[i]->failed(change, error);
    }
  }
  pump();
}

void FirewalldBackend::Impl::reapply() {
  uint64_t now = clock_us(CLOCK_MONOTONIC);
  size_t sent = 0;
  for (auto it = live.begin(); it != live.end();) {
    uint64_t d = *it->second.deadline();
    if (d && d <= now && rich()) {
      it = live.erase(it);  // firewalld's timer has dropped it, or would have
      state_dirty = true;
      continue;
    }
    if (!it->second.in_firewalld && (!d || d > now)) {
      queue.push_back(Call{true, it->first});
      ++sent;
    }
    ++it;
  }
  for (const Address& a : stale) queue.push_back(Call{false, a});
  if (!stale.empty())
    log_info("firewalld: removing {} rules of an earlier run that no block holds", stale.size());
  stale.clear();
  if (sent) log_info("firewalld: applying {} blocks in zone {}", sent, zone);
  schedule_state();
  pump();
}

}  // namespace rampart
