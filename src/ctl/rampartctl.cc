// rampartctl: inspect and change rampartd's blocks over the system bus (org.rampart1). This
// file reads the command line; rampartctl_verbs.cc runs the commands.
#include <fmt/format.h>
#include <getopt.h>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "ctl/rampartctl_client.h"
#include "ctl/rampartctl_format.h"
#include "ctl/rampartctl_metrics.h"
#include "ctl/rampartctl_verbs.h"
namespace {

using namespace rampart::ctl;

struct Verb {
  const char* name;
  const char* args;
  const char* summary;
  const char* help;
  int (*run)(Client& c, const Options& o, const char* arg);
  size_t min_args = 0, max_args = 0;
};

const Verb kVerbs[] = {
    {"status", "", "Show the daemon's version, counters and backends", "", verb_status},
    {"list", "", "List active blocks (address order)",
     "Columns: address, command, relative expiry, rule id, backend, reason.\n", verb_list},
    {"show", "ADDR", "Show one block; exit status 3 when ADDR is not blocked", "", verb_show, 1, 1},
    {"block", "ADDR [--timeout SPAN] [--reason TEXT] [--everywhere]",
     "Block an address or CIDR prefix (no timeout unless --timeout)",
     "  --timeout SPAN   how long: 90 (seconds), 10m, 1h30m, 2d, 1w; 0 = no timeout\n"
     "  --reason TEXT    why, kept with the block and in the audit log (at most 1 KiB)\n"
     "  --everywhere     on every node of the fleet (<fleet>), this one included\n",
     verb_block, 1, 1},
    {"unblock", "ADDR [--everywhere]",
     "Revoke the blocks of an address or prefix; exit status 3 when none",
     "  --everywhere     on every node of the fleet that holds one (no exit status 3)\n",
     verb_unblock, 1, 1},
    {"flush", "[--everywhere]", "Revoke every block",
     "  --everywhere     on every node of the fleet, this one included\n", verb_flush},
    {"reload", "", "Reload the configuration (like SIGHUP); prints the config's errors", "",
     verb_reload},
    {"explain", "[FILE|-]", "Explain what an alert would trigger and why, touching nothing",
     "Reads one alert (any supported format) from FILE or standard input; a file of JSON\n"
     "lines is explained line by line.\n",
     verb_explain, 0, 1},
    {"submit", "[FILE|-]", "Feed an alert through the full pipeline; prints the responses",
     "Reads one alert from FILE or standard input; a file of JSON lines is submitted line by\n"
     "line.\n",
     verb_submit, 0, 1},
    // Opens its own connection (run == nullptr): with --http a bus that is down is an answer.
    {"metrics", "[--http]", "Print every counter in the Prometheus text format",
     "  --http   answer one HTTP GET on the connection systemd passed (rampart-metrics.socket)\n"
     "           or on standard input and output, instead of printing\n",
     nullptr},
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

int usage_error(const std::string& what) {
  fprintf(stderr, "rampartctl: %s\nTry 'rampartctl --help'.\n", what.c_str());
  return kUsage;
}

enum { kJson = 256, kNoLegend, kNoAskPassword, kVersion, kTimeout, kReason, kHttp, kEverywhere };

// One option into `o`; an exit status when rampartctl is done (--version, a usage error).
std::optional<int> take_option(int c, char** argv, Options& o) {
  switch (c) {
    case 'h':
      o.help = true;
      return std::nullopt;
    case kVersion:
      printf("rampartctl %s\n", RAMPART_VERSION);
      return kOk;
    case kJson:
      o.json = true;
      return std::nullopt;
    case kNoLegend:
      o.legend = false;
      return std::nullopt;
    case kNoAskPassword:
      o.ask_password = false;
      return std::nullopt;
    case kTimeout:
      o.timeout_usec = parse_timespan_usec(optarg);
      if (!o.timeout_usec)
        return usage_error(
            fmt::format("\"{}\" is not a time span; use e.g. 90, 10m, 1h30m or 2d", optarg));
      return std::nullopt;
    case kReason:
      o.reason = optarg;
      return std::nullopt;
    case kHttp:
      o.http = true;
      return std::nullopt;
    case kEverywhere:
      o.everywhere = true;
      return std::nullopt;
    case '?':
      if (optopt) return usage_error(fmt::format("option -{} is not known", char(optopt)));
      return usage_error(fmt::format("option {} is not known or needs a value", argv[optind - 1]));
    default:
      return usage_error("bad option");
  }
}

std::optional<int> parse_options(int argc, char** argv, Options& o) {
  static const option longopts[] = {
      {"help", no_argument, nullptr, 'h'},
      {"version", no_argument, nullptr, kVersion},
      {"json", no_argument, nullptr, kJson},
      {"no-legend", no_argument, nullptr, kNoLegend},
      {"no-ask-password", no_argument, nullptr, kNoAskPassword},
      {"timeout", required_argument, nullptr, kTimeout},
      {"reason", required_argument, nullptr, kReason},
      {"everywhere", no_argument, nullptr, kEverywhere},
      {"http", no_argument, nullptr, kHttp},
      {nullptr, 0, nullptr, 0},
  };
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, "h", longopts, nullptr)) != -1)
    if (auto done = take_option(c, argv, o)) return done;
  return std::nullopt;
}

// The verb's arguments are the ones it takes; an exit status when they are not.
std::optional<int> check_arguments(const Verb& verb, size_t given, const Options& o) {
  if (given < verb.min_args || given > verb.max_args) {
    fprintf(stderr, "rampartctl: %s takes %s\n", verb.name,
            verb.max_args == 0   ? "no arguments"
            : verb.min_args != 0 ? "one address"
                                 : "at most one file");
    verb_usage(verb, stderr);
    return kUsage;
  }
  if ((o.timeout_usec || o.reason) && verb.run != verb_block)
    return usage_error("--timeout and --reason only go with block");
  if (o.everywhere && verb.run != verb_block && verb.run != verb_unblock && verb.run != verb_flush)
    return usage_error("--everywhere only goes with block, unblock and flush");
  if (o.http && verb.run) return usage_error("--http only goes with metrics");
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (auto done = parse_options(argc, argv, o)) return *done;
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
  if (auto done = check_arguments(*verb, args.size() - 1, o)) return *done;
  if (!verb->run) return verb_metrics(o.http);
  Client client(o);
  if (int r = client.connect(); r != kOk) return r;
  return verb->run(client, o, args.size() > 1 ? args[1] : nullptr);
}
