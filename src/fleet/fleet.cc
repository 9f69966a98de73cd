#include "fleet/fleet.h"
#include <fmt/format.h>

#include "base/log.h"
namespace rampart {
namespace {

// Orders handed to libnats per flush: keeps one loop turn short under a flood.
constexpr size_t kPublishPerFlush = 8192;
// An order without an ack after this long is sent again (same id: JetStream drops a repeat).
constexpr uint64_t kResendAfterUs = 5 * 1000000;

std::string_view feed_of(OrderTarget::Kind kind) {
  switch (kind) {
    case OrderTarget::Kind::All:
      return "all";
    case OrderTarget::Kind::Servers:
      return "servers";
    case OrderTarget::Kind::Agent:
      return "agent";
  }
  return "all";
}

}  // namespace

Fleet::Fleet(const Config& config, const Clock& clock, EventSink& events, Hooks hooks)
    : clock_(clock),
      events_(events),
      hooks_(std::move(hooks)),
      settings_(config.settings.fleet),
      agent_id_(config.settings.agent_id),
      node_name_(config.settings.node_name),
      boot_us_(clock.realtime_us()) {}

Fleet::~Fleet() = default;

Result<std::unique_ptr<Fleet>> Fleet::open(sd_event* event, const Config& config,
                                           const Clock& clock, EventSink& events, Hooks hooks) {
  if (!config.settings.fleet.enabled) return nullptr;
  std::unique_ptr<Fleet> fleet(new Fleet(config, clock, events, std::move(hooks)));
  const Settings& s = config.settings;
  auto box = Outbox::open(s.state_directory + "/fleet.outbox", s.fleet.outbox_max);
  if (!box) return std::unexpected(box.error());
  fleet->outbox_ = std::move(*box);
  if (fleet->outbox_->size())
    log_info("fleet: {} orders from before the restart wait to be sent", fleet->outbox_->size());

  sd_event_source* src = nullptr;
  if (int r = sd_event_add_defer(event, &src, on_flush, fleet.get()); r < 0)
    return fail_errno(-r, "sd_event_add_defer");
  fleet->flush_source_.reset(src);
  sd_event_source_set_priority(src, SD_EVENT_PRIORITY_IDLE);
  sd_event_source_set_enabled(src, SD_EVENT_OFF);
  if (int r = sd_event_add_time_relative(event, &src, CLOCK_MONOTONIC, 1000000, 100000, on_tick,
                                         fleet.get());
      r < 0)
    return fail_errno(-r, "cannot add the fleet timer");
  fleet->tick_.reset(src);
  sd_event_source_set_enabled(src, SD_EVENT_ON);

  LinkOptions options{s.fleet, s.agent_id, s.node_name, s.server};
  Fleet* self = fleet.get();
  auto link =
      FleetLink::open(event, std::move(options), [self](LinkEvent& e) { self->on_link(e); });
  if (!link) return std::unexpected(link.error());
  fleet->link_ = std::move(*link);
  return fleet;
}

void Fleet::send(Order order) {
  order.id = fmt::format("{}-{}-{}", agent_id_, boot_us_, ++next_id_);
  order.origin_id = agent_id_;
  order.origin_name = node_name_;
  if (order.issued_us == 0) order.issued_us = clock_.realtime_us();
  std::string subject = order_subject(settings_.name, order.target);
  if (!outbox_->add(order.id, std::move(subject), encode_order(order))) {
    ++counters_.dropped;
    report(
        EventType::OrderRefused, order,
        fmt::format(
            "not sent: the outbox holds {} orders already (<outbox_max>) while {}", outbox_->max(),
            link_->connected() ? "JetStream has not stored them yet" : "NATS is unreachable"));
    return;
  }
  flush_soon();
  update_hold();
}

// Hysteresis: hold at 90% of <outbox_max>, read again at half.
void Fleet::update_hold() {
  size_t size = outbox_->size(), max = outbox_->max();
  bool hold = link_->connected() && (holding_ ? size > max / 2 : size >= max - max / 10);
  if (hold == holding_) return;
  holding_ = hold;
  if (hold)
    log_notice(
        "fleet: {} orders wait for JetStream to store them; alert input paused until "
        "half of them are stored",
        size);
  else
    log_notice("fleet: alert input resumed ({} orders wait)", size);
  if (hooks_.hold_inputs) hooks_.hold_inputs(hold);
}

void Fleet::send_everywhere(Order order) {
  order.target = {OrderTarget::Kind::All, {}};
  send(std::move(order));
}

void Fleet::flush_soon() {
  sd_event_source_set_enabled(flush_source_.get(), SD_EVENT_ONESHOT);
}

int Fleet::on_flush(sd_event_source*, void* userdata) {
  static_cast<Fleet*>(userdata)->flush();
  return 0;
}

void Fleet::flush() {
  // On disk first: what libnats has not confirmed survives a restart.
  if (auto r = outbox_->sync(); !r) log_error("fleet: {}", r.error().message);
  if (!link_->connected()) return;
  size_t limit = link_->batch_bytes();
  size_t sent = outbox_->send(kPublishPerFlush, clock_.monotonic_us(), [&](const Outbox::Entry& e) {
    if (!batch_.ids.empty() &&
        (e.subject != batch_.subject || batch_.data.size() + 1 + e.text.size() > limit))
      publish_batch();
    if (!batch_.ids.empty()) batch_.data += '\n';
    batch_.subject = e.subject;
    batch_.data += e.text;
    batch_.ids.push_back(e.id);
    return true;
  });
  publish_batch();
  if (sent == kPublishPerFlush && outbox_->waiting()) flush_soon();
}

// A batch that libnats did not take is sent again with those not acknowledged in time
// (kResendAfterUs).
void Fleet::publish_batch() {
  if (batch_.ids.empty()) return;
  // One order keeps its own id; a batch is named by its first order and its size. JetStream
  // drops a repeated id; a batch put together differently after a reconnect is stored again,
  // which is harmless: orders are idempotent.
  std::string id = batch_.ids.size() == 1 ? batch_.ids[0]
                                          : fmt::format("{}+{}", batch_.ids[0], batch_.ids.size());
  auto r = link_->publish(batch_.subject, id, batch_.data);
  if (!r)
    log_warning("fleet: {}", r.error().message);
  else if (batch_.ids.size() > 1)
    batches_[id] = std::move(batch_.ids);
  batch_.subject.clear();
  batch_.data.clear();
  batch_.ids.clear();
}

int Fleet::on_tick(sd_event_source* s, uint64_t usec, void* userdata) {
  auto* self = static_cast<Fleet*>(userdata);
  uint64_t now = self->clock_.monotonic_us();
  if (now > kResendAfterUs) self->outbox_->resend_older(now - kResendAfterUs);
  if (self->outbox_->waiting()) self->flush();
  // Nothing in flight: no batch can still be acknowledged (one whose ack was lost is forgotten).
  if (self->outbox_->waiting() == self->outbox_->size()) self->batches_.clear();
  sd_event_source_set_time(s, usec + 1000000);
  return 0;
}

void Fleet::on_link(LinkEvent& e) {
  switch (e.kind) {
    case LinkEvent::Kind::Connected:
      state_ = "connected to " + e.text;
      log_info("fleet: connected to {}", e.text);
      flush_soon();
      break;
    case LinkEvent::Kind::Disconnected:
      state_ = "disconnected; reconnecting";
      log_warning("fleet: disconnected from NATS; orders to send wait in {}", outbox_->path());
      // Whatever was in flight may never be acknowledged: send it again once connected.
      outbox_->resend_older(UINT64_MAX);
      break;
    case LinkEvent::Kind::Ready:
      ready_ = true;
      log_info("fleet: reading orders for agent {} from stream {}", agent_id_,
               stream_name(settings_.name));
      break;
    case LinkEvent::Kind::Problem:
      if (e.text != last_problem_) log_warning("fleet: {}", e.text);
      last_problem_ = e.text;
      refuse_forbidden(e.text);
      break;
    case LinkEvent::Kind::Message:
      on_message(std::move(e.msg));
      break;
    case LinkEvent::Kind::Acked:
      if (auto it = batches_.find(e.id); it != batches_.end()) {
        for (const std::string& id : it->second) on_acked(id, true, {});
        batches_.erase(it);
      } else {
        on_acked(e.id, true, {});
      }
      break;
    case LinkEvent::Kind::PublishFailed:
      // No responders while a stream leader is elected, a timeout while a server dies: the
      // order stays in flight and is sent again (kResendAfterUs); JetStream drops a repeat.
      ++counters_.publish_retries;
      if (e.text != last_problem_) log_warning("fleet: publishing failed, will retry: {}", e.text);
      last_problem_ = e.text;
      break;
  }
  update_hold();  // acks make room; a lost connection lets alerts in again
}

void Fleet::on_acked(const std::string& id, bool stored, std::string_view why) {
  std::optional<Outbox::Entry> entry = outbox_->take(id);
  if (!entry) return;  // a second ack of an order sent twice
  // The audit record needs every field but the alert, which is most of the decoding work.
  Order order;
  bool known = decoder_.decode_header(entry->text, order).has_value();
  if (stored) {
    ++counters_.sent;
    if (known) report(EventType::OrderSent, order, {});
    return;
  }
  // A refusal by the server (no permission to publish there) will not change by sending the
  // same order again.
  ++counters_.send_failures;
  order.id = id;
  report(EventType::OrderRefused, order, fmt::format("NATS refused it: {}", why));
}

// nats-server answers a publish it does not allow with an error for the connection, not for
// the message, and JetStream never acknowledges it: the orders in flight for that subject
// would be sent again forever. They are refused instead (an agent with agent permissions
// may not order other nodes).
void Fleet::refuse_forbidden(std::string_view problem) {
  constexpr std::string_view kMarker = "Permissions Violation for Publish to \"";
  size_t at = problem.find(kMarker);
  if (at == std::string_view::npos) return;
  std::string_view subject = problem.substr(at + kMarker.size());
  subject = subject.substr(0, subject.find('"'));
  std::vector<std::string> ids;
  outbox_->for_each([&](const Outbox::Entry& e) {
    if (e.sent_us != 0 && e.subject == subject) ids.push_back(e.id);
  });
  for (const std::string& id : ids) on_acked(id, false, "no permission to publish there");
}

void Fleet::committed() {
  for (auto& msg : unacked_) FleetLink::ack(msg.get());
  unacked_.clear();
}

std::optional<std::string> Fleet::screen(const Order& order, uint64_t sequence) {
  if (order.op == Order::Op::Unblock) {
    uint64_t& at = revoked_[order.address.str()];
    at = std::max(at, sequence);
    return std::nullopt;
  }
  if (order.op == Order::Op::Flush) {
    flushed_at_ = std::max(flushed_at_, sequence);
    return std::nullopt;
  }
  if (order.origin_id == agent_id_ && order.origin_name == node_name_)
    return "sent by this node, which applied it when it decided";
  if (sequence < flushed_at_) return "a fleet-wide flush came after it";
  auto it = revoked_.find(order.address.str());
  if (it != revoked_.end() && sequence < it->second)
    return "a fleet-wide unblock of this address came after it";
  return std::nullopt;
}

// A message holds one order, or several one per line (a batch from a flood). It is
// acknowledged once every order in it is applied and committed.
void Fleet::on_message(NatsMsgPtr msg) {
  jsMsgMetaData* meta = nullptr;
  uint64_t sequence = 0;
  if (natsMsg_GetMetaData(&meta, msg.get()) == NATS_OK) {
    JsMsgMetaDataPtr owned(meta);
    sequence = meta->Sequence.Stream;
    backlog_ = meta->NumPending;
    uint64_t stored_us = uint64_t(meta->Timestamp / 1000);
    uint64_t now = clock_.realtime_us();
    lag_us_ = now > stored_us ? now - stored_us : 0;
  }
  std::string_view data(natsMsg_GetData(msg.get()), size_t(natsMsg_GetDataLength(msg.get())));
  bool commit = false, readable = false;
  while (true) {
    size_t end = data.find('\n');
    Handled h = on_order(data.substr(0, end), sequence, natsMsg_GetSubject(msg.get()));
    commit = commit || h == Handled::AfterCommit;
    readable = readable || h != Handled::Malformed;
    if (end == std::string_view::npos) break;
    data.remove_prefix(end + 1);
  }
  if (commit)
    unacked_.push_back(std::move(msg));  // acknowledged once the change is in the kernel
  else if (readable)
    FleetLink::ack(msg.get());
  else
    FleetLink::refuse(msg.get());  // never delivered again
}

Fleet::Handled Fleet::on_order(std::string_view text, uint64_t sequence, const char* subject) {
  ++counters_.received;
  auto malformed = [&](const Error& e) {
    ++counters_.malformed;
    ++counters_.refused;
    Order unknown;
    report(EventType::OrderRefused, unknown, fmt::format("{} (on {})", e.message, subject));
    return Handled::Malformed;
  };
  if (auto r = decoder_.decode_header(text, order_); !r) return malformed(r.error());
  if (auto why = screen(order_, sequence)) {
    ++counters_.unchanged;
    if (order_.origin_id != agent_id_) report(EventType::OrderReceived, order_, *why);
    return Handled::Done;
  }
  // Only an order that is applied needs its alert (this node's own, a revoked one do not).
  if (auto r = decoder_.decode_alert(order_); !r) return malformed(r.error());
  OrderResult result = hooks_.apply(order_);
  switch (result.outcome) {
    case OrderOutcome::Applied:
      ++counters_.applied;
      report(EventType::OrderApplied, order_, result.detail);
      return hooks_.commit_pending() ? Handled::AfterCommit : Handled::Done;
    case OrderOutcome::Unchanged:
    case OrderOutcome::NotBlocked:
      ++counters_.unchanged;
      report(EventType::OrderReceived, order_, result.detail);
      break;
    case OrderOutcome::Expired:
      ++counters_.expired;
      report(EventType::OrderReceived, order_, "expired before it arrived; not applied");
      break;
    case OrderOutcome::UnknownCommand:
    case OrderOutcome::Skipped:
    case OrderOutcome::Refused:
      ++counters_.refused;
      report(EventType::OrderRefused, order_,
             fmt::format("{}: {}", to_string(result.outcome), result.detail));
      break;
  }
  return Handled::Done;
}

void Fleet::report(EventType type, const Order& order, std::string_view detail) {
  std::string target = fmt::format("{}{}{}", feed_of(order.target.kind),
                                   order.target.agent.empty() ? "" : ":", order.target.agent);
  bool has_address = order.op != Order::Op::Flush && !order.id.empty();
  std::string command =
      order.op == Order::Op::Block ? order.command : std::string(to_string(order.op));
  Event e{.type = type,
          .address = has_address ? &order.address : nullptr,
          .command = order.id.empty() ? std::string_view() : std::string_view(command),
          .reason = order.reason,
          .detail = detail,
          .alert_id = order.alert_id,
          .origin = order.origin_name,
          .order_id = order.id,
          .target = target,
          .rule_id = order.rule_id,
          .level = order.level,
          .expiry_realtime_us = order.deadline_us};
  events_.emit(e);
}

FleetStatus Fleet::status() const {
  FleetStatus s;
  s.connected = link_->connected();
  s.ready = ready_ && s.connected;
  s.state = s.connected ? state_ : (state_.starts_with("connected") ? "disconnected" : state_);
  if (!last_problem_.empty() && !s.ready) s.state += "; " + last_problem_;
  s.pending = outbox_->size();
  s.lag_us = lag_us_;
  s.backlog = backlog_;
  s.counters = counters_;
  return s;
}

}  // namespace rampart
