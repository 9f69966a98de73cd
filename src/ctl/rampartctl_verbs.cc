#include "ctl/rampartctl_verbs.h"
#include <fmt/format.h>
#include <time.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "ctl/rampartctl_format.h"
namespace rampart::ctl {
namespace {

constexpr uint32_t kPageSize = 10000;
constexpr size_t kMaxInput = 16 * 1024 * 1024;

uint64_t now_realtime() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return uint64_t(ts.tv_sec) * 1000000 + uint64_t(ts.tv_nsec) / 1000;
}

int read_record(sd_bus_message* m, BlockRecord& r) {
  const char *address, *command, *reason, *backend, *scope, *origin;
  int n = sd_bus_message_read(m, "(sstussss)", &address, &command, &r.expiry_usec, &r.rule_id,
                              &reason, &backend, &scope, &origin);
  if (n > 0) {
    r.address = address;
    r.command = command;
    r.reason = reason;
    r.backend = backend;
    r.scope = scope;
    r.origin = origin;
  }
  return n;
}

void write_all(const std::string& s) {
  fwrite(s.data(), 1, s.size(), stdout);
}

// One property of the GetAll reply into `s`; unknown ones are skipped.
int read_property(sd_bus_message* m, std::string_view name, Status& s) {
  const char* text = nullptr;
  int dry = 0, r = 0;
  if (name == "Version") {
    if ((r = sd_bus_message_read(m, "v", "s", &text)) >= 0) s.version = text;
  } else if (name == "ActiveBlocks") {
    r = sd_bus_message_read(m, "v", "u", &s.active_blocks);
  } else if (name == "AlertsReceived") {
    r = sd_bus_message_read(m, "v", "t", &s.alerts_received);
  } else if (name == "AlertsRejected") {
    r = sd_bus_message_read(m, "v", "t", &s.alerts_rejected);
  } else if (name == "DryRun") {
    if ((r = sd_bus_message_read(m, "v", "b", &dry)) >= 0) s.dry_run = dry;
  } else if (name == "FleetState") {
    if ((r = sd_bus_message_read(m, "v", "s", &text)) >= 0) s.fleet = text;
  } else if (name == "FleetOrdersSent") {
    r = sd_bus_message_read(m, "v", "t", &s.fleet_sent);
  } else if (name == "FleetOrdersReceived") {
    r = sd_bus_message_read(m, "v", "t", &s.fleet_received);
  } else if (name == "FleetOrdersPending") {
    r = sd_bus_message_read(m, "v", "t", &s.fleet_pending);
  } else if (name == "FleetLagUSec") {
    r = sd_bus_message_read(m, "v", "t", &s.fleet_lag_us);
  } else if (name == "Backends") {
    r = sd_bus_message_enter_container(m, 'v', "as");
    if (r >= 0) r = sd_bus_message_enter_container(m, 'a', "s");
    while (r >= 0 && (r = sd_bus_message_read(m, "s", &text)) > 0) s.backends.emplace_back(text);
    if (r >= 0) r = sd_bus_message_exit_container(m);
    if (r >= 0) r = sd_bus_message_exit_container(m);
  } else if (name == "Feeds") {
    r = sd_bus_message_enter_container(m, 'v', "a(sttts)");
    if (r >= 0) r = sd_bus_message_enter_container(m, 'a', "(sttts)");
    const char* error = nullptr;
    Status::Feed f;
    while (r >= 0 && (r = sd_bus_message_read(m, "(sttts)", &text, &f.entries, &f.ranges,
                                              &f.loaded_usec, &error)) > 0) {
      f.name = text;
      f.error = error;
      s.feeds.push_back(f);
    }
    if (r >= 0) r = sd_bus_message_exit_container(m);
    if (r >= 0) r = sd_bus_message_exit_container(m);
  } else {
    r = sd_bus_message_skip(m, "v");
  }
  return r;
}

// The alerts in FILE (or stdin): one alert, or one per line for a file of JSON lines.
std::optional<std::vector<std::string>> read_alerts(const char* path) {
  FILE* f = (!path || strcmp(path, "-") == 0) ? stdin : fopen(path, "re");
  if (!f) return std::nullopt;
  std::string text;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0 && text.size() <= kMaxInput) text.append(buf, n);
  if (f != stdin) fclose(f);
  std::vector<std::string> lines;
  bool json_lines = true;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (line.front() != '{' || line.back() != '}') json_lines = false;
    lines.push_back(std::move(line));
  }
  if (lines.size() > 1 && !json_lines) return std::vector<std::string>{text};
  return lines;
}

}  // namespace

int verb_status(Client& c, const Options& o, const char*) {
  BusMessagePtr m;
  if (int r = c.get_all(&m); r != kOk) return r;
  Status status;
  int r = sd_bus_message_enter_container(m.get(), 'a', "{sv}");
  while (r >= 0 && (r = sd_bus_message_enter_container(m.get(), 'e', "sv")) > 0) {
    const char* name = nullptr;
    if ((r = sd_bus_message_read(m.get(), "s", &name)) < 0) break;
    if ((r = read_property(m.get(), name, status)) < 0) break;
    r = sd_bus_message_exit_container(m.get());
  }
  if (r < 0) return fail("unreadable reply from rampartd: %s", errno_text(r));
  write_all(format_status(status, o.json));
  return kOk;
}

int verb_list(Client& c, const Options& o, const char*) {
  std::vector<BusMessagePtr> pages;  // the records point into them
  std::vector<BlockRecord> records;
  std::string cursor;
  while (true) {
    BusMessagePtr m;
    if (int r = c.call("ListBlocksAfter", &m, "su", cursor.c_str(), kPageSize); r != kOk) return r;
    int r = sd_bus_message_enter_container(m.get(), 'a', "(sstussss)");
    size_t before = records.size();
    while (r >= 0) {
      BlockRecord rec;
      if ((r = read_record(m.get(), rec)) <= 0) break;
      records.push_back(rec);
    }
    if (r < 0) return fail("unreadable reply from rampartd: %s", errno_text(r));
    pages.push_back(std::move(m));
    if (records.size() == before) break;  // an empty page: the end
    cursor = records.back().address;
  }
  write_all(format_block_list(records, now_realtime(), o.json, o.legend));
  return kOk;
}

int verb_show(Client& c, const Options& o, const char* address) {
  BusMessagePtr m;
  if (int r = c.call("GetBlock", &m, "s", address); r != kOk) return r;
  BlockRecord rec;
  if (read_record(m.get(), rec) <= 0) return fail("unreadable reply from rampartd");
  write_all(format_block(rec, now_realtime(), o.json));
  return kOk;
}

int verb_block(Client& c, const Options& o, const char* address) {
  uint64_t timeout = o.timeout_usec.value_or(0);
  std::string reason = o.reason.value_or("");
  const char* method = o.everywhere ? "BlockEverywhere" : "Block";
  if (int r = c.call(method, nullptr, "sts", address, timeout, reason.c_str()); r != kOk) return r;
  if (!o.json)
    printf("Blocked %s %s%s.\n", address,
           timeout ? ("for " + format_duration(timeout)).c_str() : "with no timeout",
           o.everywhere ? " here and ordered every node of the fleet to" : "");
  return kOk;
}

int verb_unblock(Client& c, const Options& o, const char* address) {
  const char* method = o.everywhere ? "UnblockEverywhere" : "Unblock";
  if (int r = c.call(method, nullptr, "s", address); r != kOk) return r;
  if (!o.json)
    printf("Unblocked %s%s.\n", address,
           o.everywhere ? " here and ordered every node of the fleet to" : "");
  return kOk;
}

int verb_flush(Client& c, const Options& o, const char*) {
  BusMessagePtr m;
  if (int r = c.call(o.everywhere ? "FlushEverywhere" : "Flush", &m); r != kOk) return r;
  uint32_t n = 0;
  sd_bus_message_read(m.get(), "u", &n);
  if (o.json)
    printf("{\"flushed\":%u}\n", n);
  else
    printf("Flushed %u block%s.\n", n, n == 1 ? "" : "s");
  return kOk;
}

int verb_reload(Client& c, const Options& o, const char*) {
  if (int r = c.call("Reload", nullptr); r != kOk) return r;
  if (!o.json) printf("Configuration reloaded.\n");
  return kOk;
}

int verb_explain(Client& c, const Options& o, const char* path) {
  auto alerts = read_alerts(path);
  if (!alerts) return fail("cannot read %s: %s", path, errno_text(errno));
  if (alerts->empty()) return fail("no alert to explain (the input is empty)");
  std::string out = o.json ? "[" : "";
  for (size_t i = 0; i < alerts->size(); ++i) {
    BusMessagePtr m;
    if (int r = c.call("ExplainAlert", &m, "s", (*alerts)[i].c_str()); r != kOk) return r;
    const char* text = "";
    sd_bus_message_read(m.get(), "s", &text);
    if (o.json) {
      if (i) out += ',';
      append_json_string(out, text);
    } else {
      if (i) out += '\n';
      out += text;
      if (!out.ends_with('\n')) out += '\n';
    }
  }
  if (o.json) out += "]\n";
  write_all(out);
  return kOk;
}

int verb_submit(Client& c, const Options& o, const char* path) {
  auto alerts = read_alerts(path);
  if (!alerts) return fail("cannot read %s: %s", path, errno_text(errno));
  if (alerts->empty()) return fail("no alert to submit (the input is empty)");
  Table t({"COMMAND", "ADDRESS"});
  std::string json = "[";
  for (const auto& alert : *alerts) {
    BusMessagePtr m;
    if (int r = c.call("SubmitAlert", &m, "s", alert.c_str()); r != kOk) return r;
    int r = sd_bus_message_enter_container(m.get(), 'a', "(ss)");
    const char *cmd, *addr;
    while (r >= 0 && (r = sd_bus_message_read(m.get(), "(ss)", &cmd, &addr)) > 0) {
      if (json.size() > 1) json += ',';
      json += "{\"command\":";
      append_json_string(json, cmd);
      json += ",\"address\":";
      append_json_string(json, addr);
      json += '}';
      t.add(cmd);
      t.add(addr);
    }
  }
  std::string out;
  if (o.json) {
    out = json + "]\n";
  } else if (t.rows() == 0) {
    if (o.legend) out = "No active response fired.\n";
  } else {
    t.render(out, o.legend);
  }
  write_all(out);
  return kOk;
}

}  // namespace rampart::ctl
