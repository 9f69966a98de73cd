#include "ctl/rampartctl_format.h"
#include <fmt/format.h>
#include <time.h>

#include <algorithm>
#include <cctype>

#include "base/json.h"
namespace rampart::ctl {

namespace {

constexpr uint64_t kSec = 1000000;

struct Unit {
  std::string_view name;
  uint64_t usec;
};
// Longest names first so "ms" and "min" win over "m".
constexpr Unit kUnits[] = {
    {"weeks", 7 * 86400 * kSec},
    {"week", 7 * 86400 * kSec},
    {"w", 7 * 86400 * kSec},
    {"days", 86400 * kSec},
    {"day", 86400 * kSec},
    {"d", 86400 * kSec},
    {"hours", 3600 * kSec},
    {"hour", 3600 * kSec},
    {"h", 3600 * kSec},
    {"minutes", 60 * kSec},
    {"minute", 60 * kSec},
    {"min", 60 * kSec},
    {"ms", 1000},
    {"m", 60 * kSec},
    {"seconds", kSec},
    {"second", kSec},
    {"sec", kSec},
    {"s", kSec},
};

}  // namespace

std::optional<uint64_t> parse_timespan_usec(std::string_view text) {
  if (text == "none" || text == "infinity" || text == "never") return 0;
  uint64_t total = 0;
  size_t i = 0;
  bool any = false;
  while (i < text.size()) {
    if (text[i] == ' ') {
      ++i;
      continue;
    }
    if (!isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
    uint64_t n = 0;
    while (i < text.size() && isdigit(static_cast<unsigned char>(text[i]))) {
      if (n > UINT64_MAX / 10 / kSec) return std::nullopt;
      n = n * 10 + uint64_t(text[i++] - '0');
    }
    while (i < text.size() && text[i] == ' ') ++i;
    uint64_t unit = kSec;  // a bare number is seconds
    for (const Unit& u : kUnits) {
      if (text.substr(i).starts_with(u.name)) {
        size_t end = i + u.name.size();
        if (end < text.size() && isalpha(static_cast<unsigned char>(text[end]))) continue;
        unit = u.usec;
        i = end;
        break;
      }
    }
    if (i < text.size() && isalpha(static_cast<unsigned char>(text[i]))) return std::nullopt;
    if (n > (UINT64_MAX - total) / unit) return std::nullopt;
    total += n * unit;
    any = true;
  }
  if (!any) return std::nullopt;
  return total;
}

std::string format_duration(uint64_t usec) {
  uint64_t s = usec / kSec;
  const std::pair<uint64_t, const char*> parts[] = {
      {s / 86400, "d"}, {s / 3600 % 24, "h"}, {s / 60 % 60, "m"}, {s % 60, "s"}};
  std::string out;
  int shown = 0;
  for (const auto& [n, unit] : parts) {
    if (shown == 0 && n == 0) continue;
    if (shown == 1 && n == 0) break;
    if (!out.empty()) out += ' ';
    out += fmt::format("{}{}", n, unit);
    if (++shown == 2) break;
  }
  return out.empty() ? "0s" : out;
}

std::string format_expiry(uint64_t expiry, uint64_t now) {
  if (expiry == 0) return "never";
  if (expiry <= now + kSec / 2) return "now";
  return "in " + format_duration(expiry - now + kSec / 2);
}

std::string format_timestamp(uint64_t realtime_usec) {
  time_t t = static_cast<time_t>(realtime_usec / kSec);
  struct tm tm;
  localtime_r(&t, &tm);
  char buf[64];
  if (strftime(buf, sizeof buf, "%a %Y-%m-%d %H:%M:%S %Z", &tm) == 0) return "-";
  return buf;
}

void Table::render(std::string& out, bool header) const {
  size_t ncol = headers_.size();
  std::vector<size_t> width(ncol, 0);
  for (size_t c = 0; c < ncol; ++c)
    if (header) width[c] = headers_[c].size();
  for (size_t i = 0; i < cells_.size(); ++i)
    width[i % ncol] = std::max(width[i % ncol], std::max<size_t>(cells_[i].size(), 1));
  auto cell = [&](std::string_view text, size_t c) {
    if (text.empty()) text = "-";
    out += text;
    if (c + 1 < ncol) out.append(width[c] - text.size() + 1, ' ');
  };
  size_t line = ncol;
  for (size_t w : width) line += w;
  out.reserve(out.size() + line * (rows() + 1));
  if (header) {
    for (size_t c = 0; c < ncol; ++c) cell(headers_[c], c);
    out += '\n';
  }
  for (size_t i = 0; i < cells_.size(); ++i) {
    cell(cells_[i], i % ncol);
    if (i % ncol == ncol - 1) out += '\n';
  }
}

void append_block_json(std::string& out, const BlockRecord& r) {
  out += "{\"address\":";
  append_json_string(out, r.address);
  out += ",\"command\":";
  append_json_string(out, r.command);
  out += fmt::format(",\"expiry_usec\":{},\"rule_id\":{},\"reason\":", r.expiry_usec, r.rule_id);
  append_json_string(out, r.reason);
  out += ",\"backend\":";
  append_json_string(out, r.backend);
  out += ",\"scope\":";
  append_json_string(out, r.scope);
  out += ",\"origin\":";
  append_json_string(out, r.origin);
  out += '}';
}

std::string format_block_list(const std::vector<BlockRecord>& blocks, uint64_t now, bool json,
                              bool legend) {
  std::string out;
  if (json) {
    out.reserve(blocks.size() * 160);
    out += '[';
    for (size_t i = 0; i < blocks.size(); ++i) {
      if (i) out += ',';
      append_block_json(out, blocks[i]);
    }
    out += "]\n";
    return out;
  }
  if (blocks.empty()) return legend ? "No active blocks.\n" : "";
  Table t({"ADDRESS", "COMMAND", "SCOPE", "EXPIRES", "RULE", "BACKEND", "ORIGIN", "REASON"});
  t.reserve(blocks.size());
  // Blocks made in the same second read the same: format each second once.
  uint64_t last_second = UINT64_MAX;
  std::string expires;
  for (const BlockRecord& b : blocks) {
    if (b.expiry_usec / kSec != last_second) {
      last_second = b.expiry_usec / kSec;
      expires = format_expiry(b.expiry_usec, now);
    }
    t.add(std::string(b.address));
    t.add(std::string(b.command));
    t.add(b.scope.empty() ? std::string("all") : std::string(b.scope));
    t.add(expires);
    t.add(b.rule_id ? std::to_string(b.rule_id) : std::string());
    t.add(std::string(b.backend));
    t.add(std::string(b.origin));  // "-": decided on this node
    t.add(std::string(b.reason));
  }
  t.render(out, legend);
  if (legend)
    out += fmt::format("\n{} block{} listed.\n", blocks.size(), blocks.size() == 1 ? "" : "s");
  return out;
}

std::string format_block(const BlockRecord& b, uint64_t now, bool json) {
  std::string out;
  if (json) {
    append_block_json(out, b);
    out += '\n';
    return out;
  }
  std::string expires = b.expiry_usec ? fmt::format("{} ({})", format_expiry(b.expiry_usec, now),
                                                    format_timestamp(b.expiry_usec))
                                      : "never";
  return fmt::format(
      "Address: {}\nCommand: {}\n  Scope: {}\nExpires: {}\n   Rule: {}\nBackend: {}\n Origin: {}\n"
      " Reason: {}\n",
      b.address, b.command, b.scope.empty() ? std::string_view("all traffic") : b.scope, expires,
      b.rule_id ? fmt::format("{}", b.rule_id) : "-", b.backend,
      b.origin.empty() ? std::string_view("this node") : b.origin,
      b.reason.empty() ? "-" : b.reason);
}

std::string format_status(const Status& s, bool json) {
  std::string out;
  if (json) {
    out = "{\"Version\":";
    append_json_string(out, s.version);
    out += fmt::format(
        ",\"ActiveBlocks\":{},\"AlertsReceived\":{},\"AlertsRejected\":{},"
        "\"Backends\":[",
        s.active_blocks, s.alerts_received, s.alerts_rejected);
    for (size_t i = 0; i < s.backends.size(); ++i) {
      if (i) out += ',';
      append_json_string(out, s.backends[i]);
    }
    out += fmt::format("],\"DryRun\":{},\"Feeds\":[", s.dry_run ? "true" : "false");
    for (size_t i = 0; i < s.feeds.size(); ++i) {
      const Status::Feed& f = s.feeds[i];
      out += i ? ",{\"Name\":" : "{\"Name\":";
      append_json_string(out, f.name);
      out +=
          fmt::format(",\"Entries\":{},\"Ranges\":{},\"LastLoadUsec\":{},\"LastError\":", f.entries,
                      f.ranges, f.loaded_usec);
      append_json_string(out, f.error);
      out += '}';
    }
    out += ']';
    if (!s.fleet.empty()) {
      out += ",\"Fleet\":{\"State\":";
      append_json_string(out, s.fleet);
      out += fmt::format(
          ",\"OrdersSent\":{},\"OrdersReceived\":{},\"OrdersPending\":{},"
          "\"LagUSec\":{}}}",
          s.fleet_sent, s.fleet_received, s.fleet_pending, s.fleet_lag_us);
    }
    return out + "}\n";
  }
  std::string list;
  for (const auto& b : s.backends) list += (list.empty() ? "" : ", ") + b;
  std::string out_text = fmt::format(
      "        Version: {}\n  Active blocks: {}\nAlerts received: {}\nAlerts rejected: {}\n"
      "       Backends: {}\n        Dry run: {}\n",
      s.version, s.active_blocks, s.alerts_received, s.alerts_rejected, list.empty() ? "-" : list,
      s.dry_run ? "yes" : "no");
  for (const Status::Feed& f : s.feeds) {
    out_text +=
        fmt::format("  Blocklist {}: {} entries as {} ranges, loaded {}\n", f.name, f.entries,
                    f.ranges, f.loaded_usec ? format_timestamp(f.loaded_usec) : "never");
    if (!f.error.empty()) out_text += fmt::format("    last error: {}\n", f.error);
  }
  if (!s.fleet.empty())
    out_text += fmt::format(
        "          Fleet: {}\n         Orders: {} sent, {} received, {} waiting to be sent\n"
        "            Lag: {:.3f} s (the last order applied here)\n",
        s.fleet, s.fleet_sent, s.fleet_received, s.fleet_pending, double(s.fleet_lag_us) / 1e6);
  return out_text;
}

}  // namespace rampart::ctl
