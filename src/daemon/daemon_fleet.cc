// rampartd in a fleet: the fleet adapter between the enforcer (orders it decides for other
// nodes, orders other nodes send here) and the loop's commit.
#include "daemon/daemon_impl.h"
namespace rampart {

Result<void> Daemon::Impl::setup_fleet() {
  const Settings& s = config->settings;
  if (!s.fleet.enabled) return {};
  if (options.dry_run) {
    log_notice("dry run: not joining fleet {}; no order is sent or applied", s.fleet.name);
    return {};
  }
  Fleet::Hooks hooks{[this](const Order& order) { return enforcer_.apply_order(order); },
                     [this] {
                       schedule_commit();
                       return enforcer_.has_pending();
                     },
                     [this](bool hold) {
                       if (input) input->pause(hold);
                       if (journal) journal->pause(hold);
                     }};
  auto opened = Fleet::open(event.get(), *config, clock, events, std::move(hooks));
  if (!opened) return std::unexpected(opened.error());
  fleet = std::move(*opened);
  enforcer_.set_order_sink(fleet.get());
  log_info("fleet {}: this node is {} (agent {}, {}); NATS at {}", s.fleet.name, s.node_name,
           s.agent_id, s.server ? "server" : "agent", fmt::join(s.fleet.servers, ", "));
  return {};
}

std::optional<FleetStats> Daemon::Impl::fleet_stats() const {
  if (!fleet) return std::nullopt;
  FleetStatus f = fleet->status();
  const FleetCounters& c = f.counters;
  return FleetStats{.state = f.state,
                    .connected = f.ready,
                    .sent = c.sent,
                    .received = c.received,
                    .applied = c.applied,
                    .refused = c.refused,
                    .pending = f.pending,
                    .lag_us = f.lag_us,
                    .backlog = f.backlog};
}

Outcome<void> Daemon::Impl::order_everywhere(FleetOp op, const Address& address,
                                             uint64_t timeout_usec, std::string_view reason,
                                             uint32_t uid) {
  if (!fleet)
    return std::unexpected(
        Refused{Refusal::NoFleet, "this node is in no fleet: its configuration has no <fleet>"});
  Order order;
  order.op = op == FleetOp::Block     ? Order::Op::Block
             : op == FleetOp::Unblock ? Order::Op::Unblock
                                      : Order::Op::Flush;
  order.address = address;
  order.command = "manual";
  order.issued_us = clock.realtime_us();
  order.deadline_us = timeout_usec ? order.issued_us + timeout_usec : 0;
  order.reason = reason.empty() ? fmt::format("ordered by uid {}", uid) : std::string(reason);
  fleet->send_everywhere(std::move(order));
  return {};
}

void Daemon::Impl::collect_fleet(MetricSet& m) const {
  FleetStatus f = fleet->status();
  const FleetCounters& c = f.counters;
  constexpr std::string_view kReceived = "Orders from other nodes, by what became of them.";
  m.gauge("rampart_fleet_connected", "1 while this node's fleet consumers are bound.",
          f.ready ? 1 : 0, {}, "fleet_connected");
  m.counter("rampart_fleet_orders_sent_total", "Orders JetStream stored for other nodes.", c.sent,
            {}, "fleet_sent");
  m.counter("rampart_fleet_send_failures_total", "Orders NATS refused (permissions, limits).",
            c.send_failures, {}, "fleet_send_failures");
  m.counter("rampart_fleet_orders_dropped_total", "Orders not sent: the outbox was full.",
            c.dropped, {}, "fleet_dropped");
  m.counter("rampart_fleet_publish_retries_total",
            "Publishes JetStream did not store at once (a leader election, a server down).",
            c.publish_retries, {}, "fleet_publish_retries");
  m.gauge("rampart_fleet_orders_pending", "Orders waiting in the outbox to be stored.",
          double(f.pending), {}, "fleet_pending");
  m.stat("fleet_received", c.received);
  m.counter("rampart_fleet_orders_received_total", kReceived, c.applied, {{"result", "applied"}},
            "fleet_applied");
  m.counter("rampart_fleet_orders_received_total", kReceived, c.unchanged,
            {{"result", "unchanged"}}, "fleet_unchanged");
  m.counter("rampart_fleet_orders_received_total", kReceived, c.expired, {{"result", "expired"}},
            "fleet_expired");
  m.counter("rampart_fleet_orders_received_total", kReceived, c.refused, {{"result", "refused"}},
            "fleet_refused");
  m.counter("rampart_fleet_orders_malformed_total", "Received orders that could not be read.",
            c.malformed, {}, "fleet_malformed");
  m.gauge("rampart_fleet_lag_seconds", "Stream time to applied, of the last order applied here.",
          double(f.lag_us) / 1e6, {});
  m.stat("fleet_lag_us", f.lag_us);
  m.gauge("rampart_fleet_backlog", "Orders the stream still holds for this node.",
          double(f.backlog), {}, "fleet_backlog");
}

// What a reload cannot change in a running fleet node: its identity and its connection.
std::optional<std::string_view> fleet_change(const Settings& now, const Settings& next) {
  const FleetSettings& a = now.fleet;
  const FleetSettings& b = next.fleet;
  bool same = a.enabled == b.enabled && a.servers == b.servers && a.credentials == b.credentials &&
              a.tls_ca == b.tls_ca && a.tls_cert == b.tls_cert && a.tls_key == b.tls_key &&
              a.name == b.name && a.outbox_max == b.outbox_max;
  if (!same) return "<fleet>";
  if (a.enabled && (now.agent_id != next.agent_id || now.node_name != next.node_name ||
                    now.server != next.server))
    return "<node> of a fleet node";
  return std::nullopt;
}

}  // namespace rampart
