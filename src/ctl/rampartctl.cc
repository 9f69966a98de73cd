// rampartctl: inspect and change rampartd's blocks over the system bus (org.rampart1).
#include <fmt/format.h>
#include <getopt.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/json.h"
#include "bus/bus_names.h"
#include "ctl/rampartctl_format.h"
namespace {

using namespace rampart;
using namespace rampart::ctl;

constexpr int kOk = 0, kFailed = 1, kUsage = 2, kNotBlocked = 3;
constexpr uint32_t kPageSize = 10000;
constexpr size_t kMaxInput = 16 * 1024 * 1024;

struct BusDeleter {
  void operator()(sd_bus* b) const { sd_bus_flush_close_unref(b); }
};
struct MessageDeleter {
  void operator()(sd_bus_message* m) const { sd_bus_message_unref(m); }
};
using Bus = std::unique_ptr<sd_bus, BusDeleter>;
using Message = std::unique_ptr<sd_bus_message, MessageDeleter>;

// sd_bus_error with its cleanup.
struct BusError {
  sd_bus_error e = SD_BUS_ERROR_NULL;
  ~BusError() { sd_bus_error_free(&e); }
};

struct Options {
  bool json = false;
  bool legend = true;
  bool ask_password = true;
  bool help = false;
  std::optional<uint64_t> timeout_usec;
  std::optional<std::string> reason;
};

struct Verb {
  const char* name;
  const char* args;
  const char* summary;
  const char* help;
};

const Verb kVerbs[] = {
    {"status", "", "Show the daemon's version, counters and backends", ""},
    {"list", "", "List active blocks (address order)",
     "Columns: address, command, relative expiry, rule id, backend, reason.\n"},
    {"show", "ADDR", "Show one block; exit status 3 when ADDR is not blocked", ""},
    {"block", "ADDR [--timeout SPAN] [--reason TEXT]",
     "Block an address or CIDR prefix (no timeout unless --timeout)",
     "  --timeout SPAN   how long: 90 (seconds), 10m, 1h30m, 2d, 1w; 0 = no timeout\n"
     "  --reason TEXT    why, kept with the block and in the audit log (at most 1 KiB)\n"},
    {"unblock", "ADDR", "Revoke the blocks of an address or prefix; exit status 3 when none", ""},
    {"flush", "", "Revoke every block", ""},
    {"reload", "", "Reload the configuration (like SIGHUP); prints the config's errors", ""},
    {"explain", "[FILE|-]", "Explain what an alert would trigger and why, touching nothing",
     "Reads one alert (any supported format) from FILE or standard input; a file of JSON\n"
     "lines is explained line by line.\n"},
    {"submit", "[FILE|-]", "Feed an alert through the full pipeline; prints the responses",
     "Reads one alert from FILE or standard input; a file of JSON lines is submitted line by\n"
     "line.\n"},
};

const Verb* find_verb(std::string_view name) {
  for (const Verb& v : kVerbs)
    if (name == v.name) return &v;
  return nullptr;
}

void usage(FILE* out) {
  fprintf(out,
          "Usage: rampartctl [OPTIONS] COMMAND ...\n\n"
          "Inspect and change rampartd's blocks over the system bus.\n\nCommands:\n");
  for (const Verb& v : kVerbs) {
    std::string left = std::string(v.name) + (*v.args ? " " : "") + v.args;
    fprintf(out, "  %-44s %s\n", left.c_str(), v.summary);
  }
  fprintf(out,
          "\nOptions:\n"
          "  -h, --help          show this help, or a command's with COMMAND --help\n"
          "      --version       show rampartctl's version\n"
          "      --json          print JSON for scripts\n"
          "      --no-legend     omit table headers and footers\n"
          "      --no-ask-password  never ask polkit for a password\n"
          "\nExit status: 0 ok, 1 error, 2 usage error, 3 not blocked.\n");
}

void verb_usage(const Verb& v, FILE* out) {
  fprintf(out, "Usage: rampartctl %s%s%s\n\n%s.\n", v.name, *v.args ? " " : "", v.args, v.summary);
  if (*v.help) fprintf(out, "\n%s", v.help);
  fprintf(out, "\nCommon options: --json, --no-legend, --no-ask-password, --help\n");
}

__attribute__((format(printf, 1, 2))) int fail(const char* format, ...) {
  fputs("rampartctl: ", stderr);
  va_list args;
  va_start(args, format);
  vfprintf(stderr, format, args);
  va_end(args);
  fputc('\n', stderr);
  return kFailed;
}

int usage_error(const std::string& what) {
  fprintf(stderr, "rampartctl: %s\nTry 'rampartctl --help'.\n", what.c_str());
  return kUsage;
}

uint64_t now_realtime() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return uint64_t(ts.tv_sec) * 1000000 + uint64_t(ts.tv_nsec) / 1000;
}

// One line a person understands, and the exit status that goes with it.
int report(const sd_bus_error& e, int r) {
  if (sd_bus_error_has_name(&e, kErrorNotBlocked)) {
    fprintf(stderr, "rampartctl: %s\n", e.message);
    return kNotBlocked;
  }
  if (sd_bus_error_has_names(&e, "org.freedesktop.DBus.Error.ServiceUnknown",
                             "org.freedesktop.DBus.Error.NameHasNoOwner"))
    return fail("rampartd is not running (nobody owns %s on the system bus)", kBusName);
  if (sd_bus_error_has_name(&e, "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired"))
    return fail(
        "%s; run as root, or without --no-ask-password from a terminal with a polkit "
        "agent",
        e.message);
  if (e.message) {
    // Multi-line messages (a config with several errors) are printed as they are.
    return fail("%s", e.message);
  }
  return fail("%s", errno_text(r));
}

class Client {
 public:
  explicit Client(const Options& o) : options_(o) {}

  int connect() {
    sd_bus* raw = nullptr;
    int r = sd_bus_open_system(&raw);
    if (r < 0) return fail("cannot connect to the system bus: %s", errno_text(r));
    bus_.reset(raw);
    sd_bus_set_allow_interactive_authorization(bus_.get(),
                                               options_.ask_password && isatty(STDIN_FILENO));
    return kOk;
  }

  // Calls `method`; on failure prints the error and returns the exit status.
  int call(const char* method, Message* reply, const char* types = nullptr, ...) {
    sd_bus_message* m = nullptr;
    int r =
        sd_bus_message_new_method_call(bus_.get(), &m, kBusName, kBusPath, kBusInterface, method);
    if (r < 0) return fail("%s", errno_text(r));
    Message msg(m);
    if (types) {
      va_list ap;
      va_start(ap, types);
      r = sd_bus_message_appendv(m, types, ap);
      va_end(ap);
      if (r < 0) return fail("cannot build the %s call: %s", method, errno_text(r));
    }
    BusError error;
    sd_bus_message* out = nullptr;
    // A password prompt can take a while: no timeout when polkit may ask.
    uint64_t timeout = sd_bus_get_allow_interactive_authorization(bus_.get()) > 0 ? UINT64_MAX : 0;
    r = sd_bus_call(bus_.get(), m, timeout, &error.e, &out);
    if (r < 0) return report(error.e, r);
    if (reply)
      reply->reset(out);
    else
      sd_bus_message_unref(out);
    return kOk;
  }

  sd_bus* bus() { return bus_.get(); }

 private:
  const Options& options_;
  Bus bus_;
};

// Points into the reply it was read from, which must outlive it.
struct Record {
  const char *address = "", *command = "";
  uint64_t expiry = 0;
  uint32_t rule = 0;
  const char *reason = "", *backend = "";
};

int read_record(sd_bus_message* m, Record& r) {
  return sd_bus_message_read(m, "(sstuss)", &r.address, &r.command, &r.expiry, &r.rule, &r.reason,
                             &r.backend);
}

void append_json(std::string& out, const Record& r) {
  out += "{\"address\":";
  append_json_string(out, r.address);
  out += ",\"command\":";
  append_json_string(out, r.command);
  out += fmt::format(",\"expiry_usec\":{},\"rule_id\":{},\"reason\":", r.expiry, r.rule);
  append_json_string(out, r.reason);
  out += ",\"backend\":";
  append_json_string(out, r.backend);
  out += '}';
}

void write_all(const std::string& s) {
  fwrite(s.data(), 1, s.size(), stdout);
}

int verb_status(Client& c, const Options& o) {
  BusError error;
  sd_bus_message* raw = nullptr;
  int r = sd_bus_call_method(c.bus(), kBusName, kBusPath, "org.freedesktop.DBus.Properties",
                             "GetAll", &error.e, &raw, "s", kBusInterface);
  if (r < 0) return report(error.e, r);
  Message m(raw);
  const char *version = "", *backends_sep = "";
  uint32_t active = 0;
  uint64_t received = 0, rejected = 0;
  int dry = 0;
  std::vector<std::string> backends;
  r = sd_bus_message_enter_container(raw, 'a', "{sv}");
  while (r >= 0 && (r = sd_bus_message_enter_container(raw, 'e', "sv")) > 0) {
    const char* name = nullptr;
    if ((r = sd_bus_message_read(raw, "s", &name)) < 0) break;
    std::string_view n(name);
    if (n == "Version")
      r = sd_bus_message_read(raw, "v", "s", &version);
    else if (n == "ActiveBlocks")
      r = sd_bus_message_read(raw, "v", "u", &active);
    else if (n == "AlertsReceived")
      r = sd_bus_message_read(raw, "v", "t", &received);
    else if (n == "AlertsRejected")
      r = sd_bus_message_read(raw, "v", "t", &rejected);
    else if (n == "DryRun")
      r = sd_bus_message_read(raw, "v", "b", &dry);
    else if (n == "Backends") {
      r = sd_bus_message_enter_container(raw, 'v', "as");
      if (r >= 0) r = sd_bus_message_enter_container(raw, 'a', "s");
      const char* b;
      while (r >= 0 && (r = sd_bus_message_read(raw, "s", &b)) > 0) backends.emplace_back(b);
      if (r >= 0) r = sd_bus_message_exit_container(raw);
      if (r >= 0) r = sd_bus_message_exit_container(raw);
    } else {
      r = sd_bus_message_skip(raw, "v");
    }
    if (r >= 0) r = sd_bus_message_exit_container(raw);
  }
  if (r < 0) return fail("unreadable reply from rampartd: %s", errno_text(r));
  std::string out;
  if (o.json) {
    out = "{\"Version\":";
    append_json_string(out, version);
    out += fmt::format(
        ",\"ActiveBlocks\":{},\"AlertsReceived\":{},\"AlertsRejected\":{},"
        "\"Backends\":[",
        active, received, rejected);
    for (size_t i = 0; i < backends.size(); ++i) {
      if (i) out += ',';
      append_json_string(out, backends[i]);
    }
    out += fmt::format("],\"DryRun\":{}}}\n", dry ? "true" : "false");
  } else {
    std::string list;
    for (const auto& b : backends) list += backends_sep + b, backends_sep = ", ";
    out = fmt::format(
        "        Version: {}\n  Active blocks: {}\nAlerts received: {}\nAlerts rejected: {}\n"
        "       Backends: {}\n        Dry run: {}\n",
        version, active, received, rejected, list.empty() ? "-" : list, dry ? "yes" : "no");
  }
  write_all(out);
  return kOk;
}

int verb_list(Client& c, const Options& o) {
  std::vector<Message> pages;  // the records point into them
  std::vector<Record> records;
  const char* cursor = "";
  while (true) {
    Message m;
    if (int r = c.call("ListBlocksAfter", &m, "su", cursor, kPageSize); r != kOk) return r;
    int r = sd_bus_message_enter_container(m.get(), 'a', "(sstuss)");
    size_t before = records.size();
    while (r >= 0) {
      Record rec;
      if ((r = read_record(m.get(), rec)) <= 0) break;
      records.push_back(rec);
    }
    if (r < 0) return fail("unreadable reply from rampartd: %s", errno_text(r));
    pages.push_back(std::move(m));
    if (records.size() == before) break;  // an empty page: the end
    cursor = records.back().address;
  }
  std::string out;
  if (o.json) {
    out.reserve(records.size() * 160);
    out += '[';
    for (size_t i = 0; i < records.size(); ++i) {
      if (i) out += ',';
      append_json(out, records[i]);
    }
    out += "]\n";
  } else if (records.empty()) {
    if (o.legend) out = "No active blocks.\n";
  } else {
    uint64_t now = now_realtime();
    Table t({"ADDRESS", "COMMAND", "EXPIRES", "RULE", "BACKEND", "REASON"});
    t.reserve(records.size());
    // Blocks made in the same second read the same: format each second once.
    uint64_t last_second = UINT64_MAX;
    std::string expires;
    for (const auto& r : records) {
      if (r.expiry / 1000000 != last_second) {
        last_second = r.expiry / 1000000;
        expires = format_expiry(r.expiry, now);
      }
      t.add(r.address);
      t.add(r.command);
      t.add(expires);
      t.add(r.rule ? std::to_string(r.rule) : std::string());
      t.add(r.backend);
      t.add(r.reason);
    }
    t.render(out, o.legend);
    if (o.legend)
      out += fmt::format("\n{} block{} listed.\n", records.size(), records.size() == 1 ? "" : "s");
  }
  write_all(out);
  return kOk;
}

int verb_show(Client& c, const Options& o, const char* address) {
  Message m;
  if (int r = c.call("GetBlock", &m, "s", address); r != kOk) return r;
  Record rec;
  if (read_record(m.get(), rec) <= 0) return fail("unreadable reply from rampartd");
  std::string out;
  if (o.json) {
    append_json(out, rec);
    out += '\n';
  } else {
    uint64_t now = now_realtime();
    std::string expires = rec.expiry ? fmt::format("{} ({})", format_expiry(rec.expiry, now),
                                                   format_timestamp(rec.expiry))
                                     : "never";
    out = fmt::format(
        "Address: {}\nCommand: {}\nExpires: {}\n   Rule: {}\nBackend: {}\n Reason: {}\n",
        rec.address, rec.command, expires, rec.rule ? fmt::format("{}", rec.rule) : "-",
        rec.backend, *rec.reason ? rec.reason : "-");
  }
  write_all(out);
  return kOk;
}

int verb_block(Client& c, const Options& o, const char* address) {
  uint64_t timeout = o.timeout_usec.value_or(0);
  std::string reason = o.reason.value_or("");
  if (int r = c.call("Block", nullptr, "sts", address, timeout, reason.c_str()); r != kOk) return r;
  if (!o.json)
    printf("Blocked %s %s.\n", address,
           timeout ? ("for " + format_duration(timeout)).c_str() : "with no timeout");
  return kOk;
}

int verb_unblock(Client& c, const Options& o, const char* address) {
  if (int r = c.call("Unblock", nullptr, "s", address); r != kOk) return r;
  if (!o.json) printf("Unblocked %s.\n", address);
  return kOk;
}

int verb_flush(Client& c, const Options& o) {
  Message m;
  if (int r = c.call("Flush", &m); r != kOk) return r;
  uint32_t n = 0;
  sd_bus_message_read(m.get(), "u", &n);
  if (o.json)
    printf("{\"flushed\":%u}\n", n);
  else
    printf("Flushed %u block%s.\n", n, n == 1 ? "" : "s");
  return kOk;
}

int verb_reload(Client& c, const Options& o) {
  if (int r = c.call("Reload", nullptr); r != kOk) return r;
  if (!o.json) printf("Configuration reloaded.\n");
  return kOk;
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

int verb_explain(Client& c, const Options& o, const char* path) {
  auto alerts = read_alerts(path);
  if (!alerts) return fail("cannot read %s: %s", path, errno_text(errno));
  if (alerts->empty()) return fail("no alert to explain (the input is empty)");
  std::string out = o.json ? "[" : "";
  for (size_t i = 0; i < alerts->size(); ++i) {
    Message m;
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
    Message m;
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

}  // namespace

int main(int argc, char** argv) {
  enum { kJson = 256, kNoLegend, kNoAskPassword, kVersion, kTimeout, kReason };
  static const option longopts[] = {
      {"help", no_argument, nullptr, 'h'},
      {"version", no_argument, nullptr, kVersion},
      {"json", no_argument, nullptr, kJson},
      {"no-legend", no_argument, nullptr, kNoLegend},
      {"no-ask-password", no_argument, nullptr, kNoAskPassword},
      {"timeout", required_argument, nullptr, kTimeout},
      {"reason", required_argument, nullptr, kReason},
      {nullptr, 0, nullptr, 0},
  };
  Options o;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, "h", longopts, nullptr)) != -1) {
    switch (c) {
      case 'h':
        o.help = true;
        break;
      case kVersion:
        printf("rampartctl %s\n", RAMPART_VERSION);
        return kOk;
      case kJson:
        o.json = true;
        break;
      case kNoLegend:
        o.legend = false;
        break;
      case kNoAskPassword:
        o.ask_password = false;
        break;
      case kTimeout:
        o.timeout_usec = parse_timespan_usec(optarg);
        if (!o.timeout_usec)
          return usage_error(
              fmt::format("\"{}\" is not a time span; use e.g. 90, 10m, 1h30m or 2d", optarg));
        break;
      case kReason:
        o.reason = optarg;
        break;
      case '?':
        if (optopt) return usage_error(fmt::format("option -{} is not known", char(optopt)));
        return usage_error(
            fmt::format("option {} is not known or needs a value", argv[optind - 1]));
      default:
        return usage_error("bad option");
    }
  }
  std::vector<const char*> args(argv + optind, argv + argc);
  if (args.empty()) {
    if (o.help) {
      usage(stdout);
      return kOk;
    }
    args.push_back("status");  // like timedatectl: no verb shows the status
  }
  const Verb* verb = find_verb(args[0]);
  if (!verb) return usage_error(fmt::format("unknown command \"{}\"", args[0]));
  if (o.help) {
    verb_usage(*verb, stdout);
    return kOk;
  }
  std::string_view name = verb->name;
  size_t wanted_min = 0, wanted_max = 0;
  if (name == "show" || name == "block" || name == "unblock") wanted_min = wanted_max = 1;
  if (name == "explain" || name == "submit") wanted_max = 1;
  size_t given = args.size() - 1;
  if (given < wanted_min || given > wanted_max) {
    fprintf(stderr, "rampartctl: %s takes %s\n", verb->name,
            wanted_max == 0 ? "no arguments"
            : wanted_min    ? "one address"
                            : "at most one file");
    verb_usage(*verb, stderr);
    return kUsage;
  }
  if ((o.timeout_usec || o.reason) && name != "block")
    return usage_error("--timeout and --reason only go with block");
  const char* arg = given ? args[1] : nullptr;

  Client client(o);
  if (int r = client.connect(); r != kOk) return r;
  if (name == "status") return verb_status(client, o);
  if (name == "list") return verb_list(client, o);
  if (name == "show") return verb_show(client, o, arg);
  if (name == "block") return verb_block(client, o, arg);
  if (name == "unblock") return verb_unblock(client, o, arg);
  if (name == "flush") return verb_flush(client, o);
  if (name == "reload") return verb_reload(client, o);
  if (name == "explain") return verb_explain(client, o, arg);
  if (name == "submit") return verb_submit(client, o, arg);
  return kUsage;
}
