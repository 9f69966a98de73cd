// rampartd's Control: what the D-Bus API may ask of the daemon (core/control.h).
#include "daemon/daemon_impl.h"
namespace rampart {

std::vector<BlockView> Daemon::Impl::list(const std::optional<Address>& after, size_t max) const {
  return enforcer_.list(after ? &*after : nullptr, max);
}

std::optional<BlockView> Daemon::Impl::get(const Address& address) const {
  return enforcer_.get(address);
}

ControlStats Daemon::Impl::stats() const {
  Backend* b = enforcer_.backend(CommandKind::Firewall);
  return {.active_blocks = enforcer_.active(),
          .alerts_received = alerts_received,
          .alerts_rejected = alerts_rejected,
          .backends = {std::string(b ? b->name() : "none")},
          .dry_run = options.dry_run,
          .feeds = feed_lists ? feed_lists->status() : std::vector<FeedStatus>{},
          .fleet = fleet_stats()};
}

Result<std::string> Daemon::Impl::explain(std::string_view line) {
  Alert a;
  if (auto r = parser.parse(line, a); !r) return std::unexpected(r.error());
  return enforcer_.engine().explain(a);
}

Outcome<BlockView> Daemon::Impl::block(const Address& address, uint64_t timeout_usec,
                                       std::string_view reason, uint32_t uid) {
  auto r = enforcer_.block(address, timeout_usec, reason, uid);
  schedule_commit();
  return r;
}

Outcome<void> Daemon::Impl::unblock(const Address& address, uint32_t uid) {
  auto r = enforcer_.unblock(address, uid);
  schedule_commit();
  return r;
}

size_t Daemon::Impl::flush(uint32_t uid) {
  size_t n = enforcer_.flush(uid);
  schedule_commit();
  return n;
}

Result<std::vector<FiredResponse>> Daemon::Impl::submit(std::string_view line) {
  ++alerts_received;
  Alert a;
  if (auto r = parser.parse(line, a); !r) {
    ++alerts_rejected;
    return std::unexpected(r.error());
  }
  std::vector<FiredResponse> fired;
  on_alert(a, &fired);
  schedule_commit();
  return fired;
}

// The replies wait for the commit at the end of this turn, even when nothing changed (a block
// that was already there): the commit source runs once more, with nothing to send.
void Daemon::Impl::when_committed(std::move_only_function<void()> then) {
  after_commit.push_back(std::move(then));
  sd_event_source_set_enabled(commit_source.get(), SD_EVENT_ONESHOT);
}

}  // namespace rampart
