#include "core/enforcer.h"
#include <fmt/format.h>
#include "core/enforcer_internal.h"

#include <algorithm>
#include <cerrno>

namespace rampart {

using namespace enforcer_internal;

namespace {
constexpr std::string_view kManual = "manual";

// <timeout_jitter>: up to `percent` more time, different for every address. Without it a
// flood of 100,000 blocks created in the same second also expires in the same second: one
// burst of kernel expiry work and audit records, and the whole botnet back at once. The
// spread comes from a hash of the address and the time, so a fake clock keeps tests exact.
uint64_t jittered_us(uint64_t timeout_us, uint32_t percent, const Address& a, uint64_t now) {
  uint64_t spread = timeout_us / 100 * percent;
  if (spread == 0) return timeout_us;
  uint64_t h = AddressHash{}(a) ^ (now * 0x9e3779b97f4a7c15ull);
  h ^= h >> 31;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 29;
  return timeout_us + h % (spread + 1);
}

}  // namespace

Enforcer::Enforcer(const Clock& clock, EventSink& events) : clock_(clock), events_(events) {}

void Enforcer::set_config(std::shared_ptr<const Config> config) {
  config_ = std::move(config);
  engine_ = std::make_unique<Engine>(*config_);
  engine_->set_host_addresses(&host_addresses_);
  table_.set_max_blocks(config_->settings.max_blocks);
  command_scopes_.clear();  // <ports> may have changed
}

void Enforcer::set_backend(CommandKind kind, Backend* backend) {
  backends_[slot(kind)] = backend;
}

CommandId Enforcer::command_id(std::string_view name) {
  auto it = command_ids_.find(std::string(name));
  if (it != command_ids_.end()) return it->second;
  CommandId id = static_cast<CommandId>(command_names_.size());
  command_names_.emplace_back(name);
  command_ids_.emplace(command_names_.back(), id);
  return id;
}

BlockView Enforcer::view(const BlockKey& key, const Block& block) const {
  Backend* b = backend(block.kind);
  return BlockView{key.address,
                   command_names_[key.command],
                   clock_.to_realtime(block.expiry_us),
                   block.rule_id,
                   table_.reason(block.reason),
                   std::string(b ? b->name() : to_string(block.kind)),
                   ports_text(scopes_[scope_of(key.command)]),
                   origin_names_[block.origin]};
}

void Enforcer::on_alert(const Alert& alert, std::vector<std::pair<std::string, Address>>* fired) {
  ++counters_.alerts;
  engine_->decide(alert, decision_);
  for (const Skip& s : decision_.skips) emit_skip(alert, s);
  if (decision_.responses.empty()) return;
  uint64_t now = clock_.monotonic_us();
  uint32_t reason = table_.intern(alert.description);
  for (const Response& r : decision_.responses) {
    ++counters_.responses;
    if (respond(alert, r, now, reason) && fired)
      fired->emplace_back(config_->commands[r.command].name, r.address);
  }
}

void Enforcer::emit_skip(const Alert& alert, const Skip& s) {
  ++counters_.skipped;
  const Command& cmd = config_->commands[config_->responses[s.response].command];
  std::string detail = s.detail.empty() ? std::string(to_string(s.reason))
                                        : fmt::format("{} ({})", to_string(s.reason), s.detail);
  Event e{.type = EventType::Skipped,
          .address = alert.address ? &*alert.address : nullptr,
          .command = cmd.name,
          .reason = alert.description,
          .detail = detail,
          .alert_id = alert.id,
          .agent_id = alert.agent_id,
          .rule_id = alert.rule_id.value_or(0),
          .level = alert.level};
  events_.emit(e);
}

// The timeout of this offence: repeated offenders get the longer ones of their binding.
std::optional<uint32_t> Enforcer::offence(const ActiveResponse& ar, const Command& cmd,
                                          const BlockKey& key, std::optional<uint32_t> timeout) {
  if (ar.repeated_offenders_min.empty()) return timeout;
  // Wall-clock seconds: the counts are kept across restarts (and reboots).
  uint64_t now_sec = clock_.realtime_us() / 1000000;
  uint32_t n = offenders_.record(key, now_sec, config_->settings.repeated_offenders_reset_sec);
  if (on_offence_) on_offence_(cmd.name, key.address, n, now_sec);
  return offence_timeout(timeout, ar.repeated_offenders_min, n);
}

// One response of an alert into the table and, when it changed, towards its backend. True when
// the address is blocked by it (newly, longer, or already).
bool Enforcer::respond(const Alert& alert, const Response& r, uint64_t now, uint32_t reason) {
  const Command& cmd = config_->commands[r.command];
  BlockKey key{r.address, command_id(cmd.name)};
  std::optional<uint32_t> timeout =
      offence(config_->responses[r.response], cmd, key, r.timeout_sec);
  if (r.where.remote()) send_orders(r, cmd, alert, timeout);
  if (!r.where.here) return true;  // an order has gone out
  Event e{.address = &r.address,
          .command = cmd.name,
          .reason = alert.description,
          .alert_id = alert.id,
          .agent_id = alert.agent_id,
          .rule_id = alert.rule_id.value_or(0),
          .level = alert.level,
          .timeout_sec = timeout,
          .alert_address = r.address == *alert.address ? nullptr : &*alert.address,
          .narrowed = r.narrowed};
  uint64_t expiry =
      timeout ? now + jittered_us(uint64_t(*timeout) * 1000000,
                                  config_->settings.timeout_jitter_percent, r.address, now)
              : 0;
  auto u = upsert_block(key, cmd.kind, expiry, alert.rule_id.value_or(0), reason, 0, &alert, e);
  return u && *u != Upsert::Refused;
}

void Enforcer::sync_exec(const BlockKey& key, uint32_t rule_id, const Alert* alert) {
  if (!backend(CommandKind::Exec)) return;
  Change change;
  change.address = key.address;
  change.command = command_names_[key.command];
  if (const Block* block = table_.find(key)) {
    uint64_t now = clock_.monotonic_us();
    change.op = Change::Op::Add;
    uint64_t expiry = block->expiry_us;
    change.timeout_ms = expiry == 0 ? 0 : kernel_timeout_ms(expiry - std::min(expiry, now));
    change.comment =
        fmt::format("{}:{}", change.command, block->rule_id ? block->rule_id : rule_id);
    if (alert) change.alert = std::make_shared<const Alert>(*alert);
  } else {
    change.op = Change::Op::Delete;
  }
  Pending& p = pending_[slot(CommandKind::Exec)];
  // A repeat in the same turn keeps the alert of the add it follows.
  if (auto i = p.index.find(key); i && !change.alert && change.op == Change::Op::Add)
    change.alert = p.changes[*i].alert;
  queue(CommandKind::Exec, key, std::move(change));
}

void Enforcer::sync_key(CommandKind kind, const BlockKey& key, uint32_t rule_id) {
  if (kind == CommandKind::Exec)
    sync_exec(key, rule_id, nullptr);
  else
    sync(kind, key.address, rule_id, scope_of(key.command));
}

void Enforcer::queue(CommandKind kind, const BlockKey& key, Change change) {
  Pending& p = pending_[slot(kind)];
  auto [i, inserted] = p.index.try_emplace(key, static_cast<uint32_t>(p.changes.size()));
  if (inserted) {
    p.changes.push_back(std::move(change));
    ++pending_count_;
  } else {
    p.changes[i] = std::move(change);
  }
}

void Enforcer::commit() {
  if (pending_count_ == 0) return;
  for (size_t k = 0; k < pending_.size(); ++k) {
    Pending& p = pending_[k];
    if (p.changes.empty()) continue;
    Backend* b = backends_[k];
    ApplyResult result = b->apply(p.changes);
    ++counters_.commits;
    for (const auto& [i, error] : result.rejected)
      backend_failed(static_cast<CommandKind>(k), p.changes[i], error);
    p.changes.clear();
    p.index.clear();
  }
  pending_count_ = 0;
}

void Enforcer::backend_failed(CommandKind kind, const Change& change, const Error& error) {
  if (change.op == Change::Op::Delete) return;  // already gone: the goal is reached
  Backend* b = backend(kind);
  auto [first, last] = table_.range(change.address);
  std::vector<BlockKey> keys;
  // An exec add fails for its own (command, address) only.
  auto only = command_ids_.find(change.command);
  bool one_command = kind == CommandKind::Exec && only != command_ids_.end();
  // A per-service add fails for the blocks of its own <ports> only.
  uint16_t scope = kind == CommandKind::Exec ? kAllTraffic : scope_for(change.ports);
  for (auto it = first; it != last; ++it)
    if (it->second.kind == kind && (!one_command || it->first.command == only->second) &&
        (kind == CommandKind::Exec || scope_of(it->first.command) == scope))
      keys.push_back(it->first);
  for (const auto& key : keys) {
    table_.remove(key);
    ++counters_.backend_failures;
    Event e{.type = EventType::BackendFailure,
            .address = &change.address,
            .command = command_names_[key.command],
            .backend = b ? b->name() : to_string(kind),
            .detail = error.message};
    events_.emit(e);
  }
}

void Enforcer::expire() {
  std::vector<std::pair<BlockKey, Block>> expired;
  table_.expire(clock_.monotonic_us(), expired);
  for (const auto& [key, block] : expired) {
    ++counters_.expired;
    Backend* b = backend(block.kind);
    Event e{.type = EventType::Expired,
            .address = &key.address,
            .command = command_names_[key.command],
            .backend = b ? b->name() : to_string(block.kind),
            .reason = table_.reason(block.reason),
            .detail = "expired",
            .rule_id = block.rule_id};
    events_.emit(e);
    if (b && !b->expires_by_itself()) sync_key(block.kind, key, block.rule_id);
  }
}

void Enforcer::emit_unblocked(const BlockKey& key, const Block& block, UnblockWhy why,
                              std::optional<uint32_t> uid) {
  ++counters_.unblocked;
  Backend* b = backend(block.kind);
  Event e{.type = EventType::Unblocked,
          .address = &key.address,
          .command = command_names_[key.command],
          .backend = b ? b->name() : to_string(block.kind),
          .reason = table_.reason(block.reason),
          .detail = to_string(why),
          .unblock_why = why,
          .rule_id = block.rule_id,
          .caller_uid = uid};
  events_.emit(e);
}

Outcome<BlockView> Enforcer::block(const Address& address, uint64_t timeout_usec,
                                   std::string_view reason, std::optional<uint32_t> caller_uid,
                                   std::string_view origin) {
  const Settings& s = config_->settings;
  Event refused{.type = EventType::Refused,
                .address = &address,
                .command = kManual,
                .reason = reason,
                .caller_uid = caller_uid};
  auto refuse = [&](Refusal why, std::string message) -> Outcome<BlockView> {
    ++counters_.refused;
    refused.detail = message;
    events_.emit(refused);
    return std::unexpected(Refused{why, std::move(message)});
  };
  if (!address.is_host()) {
    uint8_t widest = address.is_v4() ? s.max_prefix4 : s.max_prefix6;
    if (address.prefix < widest)
      return refuse(Refusal::TooWide,
                    fmt::format("{} is wider than the widest prefix allowed (/{}); "
                                "raise <rampart><max_prefix> to allow it",
                                address.str(), widest));
  }
  if (auto why = never_block_reason(address, s.allow_link_local))
    return refuse(Refusal::NeverBlock,
                  fmt::format("{} is {} and is never blocked", address.str(), *why));
  for (const Address& own : host_addresses_)
    if (address.contains(own))
      return refuse(Refusal::HostAddress,
                    fmt::format("{} is{} an address of this host ({}) and is never blocked",
                                address.str(), address.is_host() ? "" : " or contains", own.str()));
  for (const Address& p : config_->allowlist.prefixes())
    if (p.contains(address) || address.contains(p))
      return refuse(Refusal::Allowlisted,
                    fmt::format("{} is allowlisted by {}", address.str(), p.str()));
  Backend* b = backend(CommandKind::Firewall);
  if (!b) return refuse(Refusal::NoBackend, "no firewall backend is running");
  uint64_t now = clock_.monotonic_us();
  uint64_t expiry = timeout_usec ? now + timeout_usec : 0;
  BlockKey key{address, command_id(kManual)};
  Upsert u = table_.upsert(key, expiry, 0, table_.intern(reason), CommandKind::Firewall,
                           origin_id(origin));
  if (u == Upsert::Refused)
    return refuse(Refusal::TooMany, fmt::format("max_blocks ({}) reached", table_.max_blocks()));
  if (u != Upsert::Unchanged) {
    u == Upsert::Added ? ++counters_.blocked : ++counters_.refreshed;
    std::optional<uint32_t> timeout_sec;
    if (timeout_usec) timeout_sec = static_cast<uint32_t>(timeout_usec / 1000000);
    Event e{.type = u == Upsert::Added ? EventType::Blocked : EventType::Refreshed,
            .address = &address,
            .command = kManual,
            .backend = b->name(),
            .reason = reason,
            .origin = origin,
            .timeout_sec = timeout_sec,
            .expiry_realtime_us = clock_.to_realtime(expiry),
            .caller_uid = caller_uid};
    events_.emit(e);
    sync(CommandKind::Firewall, address, 0, kAllTraffic);
  }
  return view(key, *table_.find(key));
}

Outcome<void> Enforcer::unblock(const Address& address, std::optional<uint32_t> caller_uid) {
  auto [first, last] = table_.range(address);
  std::vector<std::pair<BlockKey, Block>> gone(first, last);
  if (gone.empty())
    return std::unexpected(
        Refused{Refusal::NotBlocked, fmt::format("{} is not blocked", address.str())});
  for (const auto& [key, block] : gone) {
    table_.remove(key);
    emit_unblocked(key, block, UnblockWhy::Revoked, caller_uid);
  }
  for (const auto& [key, block] : gone) sync_key(block.kind, key, 0);
  return {};
}

size_t Enforcer::flush(std::optional<uint32_t> caller_uid) {
  std::vector<std::pair<BlockKey, Block>> gone(table_.blocks().begin(), table_.blocks().end());
  table_.clear();
  for (const auto& [key, block] : gone) {
    emit_unblocked(key, block, UnblockWhy::Flushed, caller_uid);
    sync_key(block.kind, key, 0);
  }
  return gone.size();
}

void Enforcer::forget(CommandKind kind, const Address& address) {
  auto [first, last] = table_.range(address);
  std::vector<std::pair<BlockKey, Block>> gone;
  // Only the elements of whole-address blocks are watched for deletion.
  for (auto it = first; it != last; ++it)
    if (it->second.kind == kind && scope_of(it->first.command) == kAllTraffic)
      gone.emplace_back(*it);
  for (const auto& [key, block] : gone) {
    table_.remove(key);
    emit_unblocked(key, block, UnblockWhy::External, std::nullopt);
  }
}

void Enforcer::set_host_addresses(std::vector<Address> addresses) {
  host_addresses_ = std::move(addresses);
  if (engine_) engine_->set_host_addresses(&host_addresses_);
}

std::vector<BlockView> Enforcer::list(const Address* after, size_t max) const {
  std::vector<BlockView> out;
  const auto& blocks = table_.blocks();
  auto it = after ? blocks.upper_bound(BlockKey{*after, UINT16_MAX}) : blocks.begin();
  for (; it != blocks.end() && out.size() < max; ++it) out.push_back(view(it->first, it->second));
  // Pages continue "after an address", so a page must not end inside one address's blocks:
  // give back the partial group unless it is all the page has.
  if (it != blocks.end() && !out.empty() && it->first.address == out.back().address) {
    Address partial = out.back().address;
    size_t keep = out.size();
    while (keep > 0 && out[keep - 1].address == partial) --keep;
    if (keep > 0) out.resize(keep);
  }
  return out;
}

std::optional<BlockView> Enforcer::get(const Address& address) const {
  auto [first, last] = table_.range(address);
  const BlockTable::Map::value_type* best = nullptr;
  for (auto it = first; it != last; ++it)
    if (!best || later(it->second.expiry_us, best->second.expiry_us)) best = &*it;
  if (!best) return std::nullopt;
  return view(best->first, best->second);
}

}  // namespace rampart
