#include "core/engine.h"
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace rampart {

std::string_view to_string(SkipReason reason) {
  switch (reason) {
    case SkipReason::Allowlisted:
      return "allowlisted";
    case SkipReason::NeverBlock:
      return "never-block";
    case SkipReason::MissingSrcip:
      return "missing-srcip";
    case SkipReason::MissingUser:
      return "missing-user";
    case SkipReason::MissingFilename:
      return "missing-filename";
  }
  return "unknown";
}

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Longer wins; nullopt (no timeout) is the longest.
bool longer(const std::optional<uint32_t>& a, const std::optional<uint32_t>& b) {
  if (!a) return b.has_value();
  return b && *a > *b;
}

}  // namespace

Engine::Engine(const Config& config) : config_(config) {
  uses_groups_ = std::any_of(config.responses.begin(), config.responses.end(),
                             [](const ActiveResponse& ar) { return !ar.rules_group.empty(); });
}

std::optional<std::string> Engine::filter_mismatch(const ActiveResponse& ar, const Alert& alert,
                                                   const std::string& groups_lower) const {
  // Wazuh 4.x: rules_id matches on its own; otherwise level and rules_group must both match
  // where set. A binding with none of the three never fires; level 0 never fires anything.
  if (alert.level <= 0) return "the alert's level is 0";
  if (!ar.rules_id.empty() && alert.rule_id &&
      std::find(ar.rules_id.begin(), ar.rules_id.end(), *alert.rule_id) != ar.rules_id.end())
    return std::nullopt;
  if (!ar.level && ar.rules_group.empty()) {
    if (ar.rules_id.empty()) return "the binding sets no <level>, <rules_id> or <rules_group>";
    return fmt::format("rule {} is not in <rules_id>",
                       alert.rule_id ? std::to_string(*alert.rule_id) : "(none)");
  }
  if (ar.level && alert.level < *ar.level)
    return fmt::format("level {} is below {}", alert.level, *ar.level);
  if (!ar.rules_group.empty() &&
      std::none_of(ar.rules_group.begin(), ar.rules_group.end(),
                   [&](const GroupPattern& p) { return p.matches(groups_lower); }))
    return fmt::format("groups \"{}\" match no <rules_group> alternative", alert.groups);
  return std::nullopt;
}

std::optional<std::string> Engine::location_mismatch(const ActiveResponse& ar, const Alert& alert,
                                                     Destinations& where) const {
  const Settings& s = config_.settings;
  where = destinations_for(ar, alert, s);
  if (!where.none()) return std::nullopt;
  return fmt::format("location does not apply to this node (agent {}{}; alert from agent {}{})",
                     s.agent_id, s.server ? ", server" : "",
                     alert.agent_id.empty() ? "(none)" : alert.agent_id,
                     s.fleet.enabled ? "" : "; no <fleet> reaches other nodes");
}

const Address* Engine::host_address(const Address& a) const {
  if (!host_) return nullptr;
  for (const Address& own : *host_)
    if (own == a) return &own;
  return nullptr;
}

Address Engine::block_target(const Address& a, std::string& why) const {
  const Settings& s = config_.settings;
  Address prefix = a.truncated(a.is_v4() ? s.block_prefix4 : s.block_prefix6);
  if (prefix == a) return a;
  std::string holds;
  if (const Address* p = config_.allowlist.overlap(prefix)) {
    holds = fmt::format("allowlisted {}", p->str());
  } else if (auto never = never_block_overlap(prefix, s.allow_link_local)) {
    holds = fmt::format("{} addresses", *never);
  } else if (host_) {
    for (const Address& own : *host_)
      if (prefix.contains(own)) holds = fmt::format("{}, an address of this host", own.str());
  }
  if (holds.empty()) return prefix;
  why = fmt::format("{} narrowed to {}: the prefix holds {}", prefix.str(), a.str(), holds);
  return a;
}

std::optional<Skip> Engine::check(const Command& cmd, const Alert& alert) const {
  if (cmd.expect_user && alert.user.empty()) return Skip{0, SkipReason::MissingUser, {}};
  if (cmd.expect_filename && alert.filename.empty())
    return Skip{0, SkipReason::MissingFilename, {}};
  // Every response is keyed by an address, so one without a usable srcip cannot act.
  if (!alert.address) return Skip{0, SkipReason::MissingSrcip, alert.srcip};
  if (const Address* p = config_.allowlist.match(*alert.address))
    return Skip{0, SkipReason::Allowlisted, p->str()};
  if (auto why = never_block_reason(*alert.address, config_.settings.allow_link_local))
    return Skip{0, SkipReason::NeverBlock, std::string(*why)};
  if (const Address* own = host_address(*alert.address))
    return Skip{0, SkipReason::NeverBlock, "address of this host " + own->str()};
  return std::nullopt;
}

void Engine::decide(const Alert& alert, Decision& out) const {
  out.clear();
  if (alert.level <= 0) return;
  std::string groups_lower = uses_groups_ ? lower(alert.groups) : std::string();
  Destinations where;
  for (size_t i = 0; i < config_.responses.size(); ++i) {
    const ActiveResponse& ar = config_.responses[i];
    if (filter_mismatch(ar, alert, groups_lower) || location_mismatch(ar, alert, where)) continue;
    const Command& cmd = config_.commands[ar.command];
    if (auto skip = check(cmd, alert)) {
      skip->response = i;
      out.skips.push_back(std::move(*skip));
      continue;
    }
    auto same = std::find_if(out.responses.begin(), out.responses.end(),
                             [&](const Response& r) { return r.command == ar.command; });
    if (same == out.responses.end()) {
      Response r{i, ar.command, *alert.address, ar.timeout_sec, {}, std::move(where)};
      // Prefix blocks are for the firewall; scripts and hosts.deny get the address.
      if (cmd.kind == CommandKind::Firewall) r.address = block_target(*alert.address, r.narrowed);
      out.responses.push_back(std::move(r));
      continue;
    }
    same->where.merge(where);
    if (longer(ar.timeout_sec, same->timeout_sec)) {
      same->response = i;
      same->timeout_sec = ar.timeout_sec;
    }
  }
}

std::string Engine::explain(const Alert& alert) const {
  std::string out = fmt::format(
      "alert: format {}, rule {}, level {}, groups \"{}\", srcip {}, agent {}\n",
      to_string(alert.format), alert.rule_id ? std::to_string(*alert.rule_id) : "(none)",
      alert.level, alert.groups, alert.srcip.empty() ? "(none)" : alert.srcip,
      alert.agent_id.empty() ? "(none)" : alert.agent_id);
  if (alert.srcip.size() && !alert.address)
    out += fmt::format("srcip \"{}\" is not a valid IPv4 or IPv6 address\n", alert.srcip);
  Decision decision;
  decide(alert, decision);
  std::string groups_lower = lower(alert.groups);
  Destinations destinations;
  for (size_t i = 0; i < config_.responses.size(); ++i) {
    const ActiveResponse& ar = config_.responses[i];
    const Command& cmd = config_.commands[ar.command];
    std::string where = fmt::format("{}:{}", ar.file, ar.line);
    std::string verdict;
    if (auto why = filter_mismatch(ar, alert, groups_lower)) {
      verdict = "no match: " + *why;
    } else if (auto loc = location_mismatch(ar, alert, destinations)) {
      verdict = "no match: " + *loc;
    } else if (auto r = std::find_if(decision.responses.begin(), decision.responses.end(),
                                     [&](const Response& x) { return x.response == i; });
               r != decision.responses.end()) {
      verdict = fmt::format(
          "RESPONDS: {} {} {} on {}", cmd.name, r->address.str(),
          r->timeout_sec ? fmt::format("for {}s", *r->timeout_sec) : std::string("with no timeout"),
          r->where.describe());
    } else if (auto s = std::find_if(decision.skips.begin(), decision.skips.end(),
                                     [&](const Skip& x) { return x.response == i; });
               s != decision.skips.end()) {
      verdict = fmt::format("matched but skipped: {}{}", to_string(s->reason),
                            s->detail.empty() ? "" : " (" + s->detail + ")");
    } else {
      verdict = "matched; a longer binding of the same command wins";
    }
    out += fmt::format("{} active-response {} ({}): {}\n", where, i + 1, cmd.name, verdict);
  }
  if (config_.responses.empty()) out += "no enabled active-response\n";
  return out;
}

}  // namespace rampart
