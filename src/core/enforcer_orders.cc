// The enforcer's side of a fleet: the orders a decision sends to other nodes, and the orders
// from other nodes applied here as if this node had decided them itself.
#include <fmt/format.h>

#include "core/enforcer.h"
namespace rampart {
namespace {
constexpr std::string_view kManual = "manual";
}  // namespace

uint16_t Enforcer::origin_id(std::string_view name) {
  auto it = origin_ids_.find(std::string(name));
  if (it != origin_ids_.end()) return it->second;
  // A fleet has a few hundred nodes; past 65,535 names the last one is reused.
  if (origin_names_.size() > UINT16_MAX) return UINT16_MAX;
  auto id = static_cast<uint16_t>(origin_names_.size());
  origin_names_.emplace_back(name);
  origin_ids_.emplace(origin_names_.back(), id);
  return id;
}

std::optional<Upsert> Enforcer::upsert_block(const BlockKey& key, CommandKind kind, uint64_t expiry,
                                             uint32_t rule_id, uint32_t reason, uint16_t origin,
                                             const Alert* alert, Event& e) {
  Backend* b = backend(kind);
  if (!b) {
    ++counters_.backend_failures;
    e.type = EventType::BackendFailure;
    e.backend = to_string(kind);
    e.detail = "no backend for this command in this daemon";
    events_.emit(e);
    return std::nullopt;
  }
  e.backend = b->name();
  Upsert u = table_.upsert(key, expiry, rule_id, reason, kind, origin);
  switch (u) {
    case Upsert::Added:
      ++counters_.blocked;
      e.type = EventType::Blocked;
      break;
    case Upsert::Extended:
      ++counters_.refreshed;
      e.type = EventType::Refreshed;
      break;
    case Upsert::Unchanged:
      return u;
    case Upsert::Refused: {
      ++counters_.refused;
      std::string why = fmt::format("max_blocks ({}) reached", table_.max_blocks());
      e.type = EventType::Refused;
      e.detail = why;
      events_.emit(e);
      return u;
    }
  }
  e.expiry_realtime_us = clock_.to_realtime(expiry);
  events_.emit(e);
  if (kind == CommandKind::Exec)
    sync_exec(key, rule_id, alert);
  else
    sync(kind, key.address, rule_id, scope_of(key.command));
  return u;
}

void Enforcer::send_orders(const Response& r, const Command& cmd, const Alert& alert,
                           std::optional<uint32_t> timeout_sec) {
  if (!orders_) return;
  Order order;
  order.op = Order::Op::Block;
  order.command = cmd.name;
  order.address = r.address;
  order.issued_us = clock_.realtime_us();
  // An absolute wall-clock deadline: a node that gets the order late (it was down, NATS was
  // unreachable) blocks only for what is left, and not at all once it has passed.
  order.deadline_us = timeout_sec ? order.issued_us + uint64_t(*timeout_sec) * 1000000 : 0;
  order.rule_id = alert.rule_id.value_or(0);
  order.level = alert.level;
  order.alert_id = alert.id;
  order.reason = alert.description;
  order.alert = std::make_shared<const Alert>(alert);
  auto send = [&](OrderTarget target) {
    Order copy = order;
    copy.target = std::move(target);
    orders_->send(std::move(copy));
  };
  if (r.where.all) send({OrderTarget::Kind::All, {}});
  if (r.where.servers) send({OrderTarget::Kind::Servers, {}});
  for (const std::string& agent : r.where.agents) send({OrderTarget::Kind::Agent, agent});
}

OrderResult Enforcer::apply_order(const Order& order) {
  switch (order.op) {
    case Order::Op::Unblock: {
      auto r = unblock(order.address, std::nullopt);
      if (!r) return {OrderOutcome::NotBlocked, r.error().message};
      return {OrderOutcome::Applied, fmt::format("revoked {}", order.address.str())};
    }
    case Order::Op::Flush:
      return {OrderOutcome::Applied, fmt::format("flushed {} blocks", flush(std::nullopt))};
    case Order::Op::Block:
      break;
  }
  uint64_t now_real = clock_.realtime_us();
  if (order.deadline_us != 0 && order.deadline_us <= now_real)
    return {OrderOutcome::Expired, "its deadline has passed"};
  uint64_t remaining_us = order.deadline_us ? order.deadline_us - now_real : 0;

  if (order.command == kManual) {
    auto r = block(order.address, remaining_us, order.reason, std::nullopt, order.origin_name);
    if (!r) {
      Refusal why = r.error().why;
      bool protected_here =
          why == Refusal::NeverBlock || why == Refusal::HostAddress || why == Refusal::Allowlisted;
      return {protected_here ? OrderOutcome::Skipped : OrderOutcome::Refused, r.error().message};
    }
    return {OrderOutcome::Applied, {}};
  }
  const Command* cmd = config_->find_command(order.command);
  if (!cmd)
    return {OrderOutcome::UnknownCommand,
            fmt::format("this node has no <command> named \"{}\"; add one to apply such orders",
                        order.command)};
  return apply_block_order(order, *cmd, remaining_us);
}

OrderResult Enforcer::apply_block_order(const Order& order, const Command& cmd,
                                        uint64_t remaining_us) {
  const Command* c = &cmd;
  // The order's alert as it came, unless its address is not what the order is about (a prefix
  // block): then a copy with the order's address. A manual block has no alert.
  const Alert* given = order.alert.get();
  Alert copy;
  if (!given || given->address != order.address) {
    copy = given ? *given : Alert{};
    copy.address = order.address;
    if (!given) {
      copy.rule_id = order.rule_id;
      copy.level = order.level;
      copy.id = order.alert_id;
      copy.description = order.reason;
    }
    given = &copy;
  }
  const Alert& alert = *given;
  Event e{.address = &order.address,
          .command = c->name,
          .reason = order.reason,
          .alert_id = order.alert_id,
          .agent_id = alert.agent_id,
          .origin = order.origin_name,
          .rule_id = order.rule_id,
          .level = order.level};
  if (auto skip = engine_->check(*c, alert)) {
    ++counters_.skipped;
    std::string detail = skip->detail.empty()
                             ? std::string(to_string(skip->reason))
                             : fmt::format("{} ({})", to_string(skip->reason), skip->detail);
    e.type = EventType::Skipped;
    e.detail = detail;
    events_.emit(e);
    return {OrderOutcome::Skipped, detail};
  }
  // As for a local decision: a command that does not allow a timeout blocks without one.
  uint64_t expiry = 0;
  if (remaining_us && c->timeout_allowed) {
    expiry = clock_.monotonic_us() + remaining_us;
    e.timeout_sec = static_cast<uint32_t>((remaining_us + 999999) / 1000000);
  }
  BlockKey key{order.address, command_id(c->name)};
  auto u = upsert_block(key, c->kind, expiry, order.rule_id, table_.intern(order.reason),
                        origin_id(order.origin_name), &alert, e);
  if (!u) return {OrderOutcome::Refused, "no backend for this command in this daemon"};
  switch (*u) {
    case Upsert::Added:
    case Upsert::Extended:
      return {OrderOutcome::Applied, {}};
    case Upsert::Unchanged:
      return {OrderOutcome::Unchanged, "already blocked at least that long"};
    case Upsert::Refused:
      break;
  }
  return {OrderOutcome::Refused, fmt::format("max_blocks ({}) reached", table_.max_blocks())};
}

}  // namespace rampart
