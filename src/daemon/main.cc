// rampartd: OSSEC/Wazuh active response as a systemd service.
#include <getopt.h>

#include <cstdio>
#include <cstring>

#include "base/log.h"
#include "config/config.h"
#include "daemon/daemon.h"
namespace {

void usage(FILE* out) {
  fprintf(out,
          "Usage: rampartd [OPTIONS]\n"
          "\n"
          "Turns OSSEC/Wazuh alerts into blocks in the kernel's nftables sets.\n"
          "\n"
          "  -c, --config PATH   configuration (default /etc/rampart/rampart.conf; the\n"
          "                      embedded default is used when that file does not exist)\n"
          "      --check-config  parse and validate, print the resolved commands and\n"
          "                      active-response bindings, exit 0 (valid) or 1\n"
          "      --dry-run       decide and log, but touch no firewall\n"
          "      --version       print the version and exit\n"
          "  -h, --help          show this help\n");
}

// --check-config: errors, or warnings and what the config resolves to.
int check_config(const rampart::Options& options) {
  auto config = rampart::load_daemon_config(options);
  fflush(stderr);
  if (!config) {
    fprintf(stderr, "%s\n", config.error().message.c_str());
    return 1;
  }
  for (const auto& w : (*config)->warnings) fprintf(stderr, "warning: %s\n", w.c_str());
  fputs(rampart::describe(**config).c_str(), stdout);
  fputs(rampart::describe_outside_sandbox(**config).c_str(), stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  rampart::log_init();
  // Buffered stderr, flushed once per loop turn: a flood must not cost a write per line.
  static char buffer[1 << 16];
  setvbuf(stderr, buffer, _IOFBF, sizeof buffer);

  enum { kCheckConfig = 256, kDryRun, kVersion };
  static const option longopts[] = {
      {"config", required_argument, nullptr, 'c'},
      {"check-config", no_argument, nullptr, kCheckConfig},
      {"dry-run", no_argument, nullptr, kDryRun},
      {"version", no_argument, nullptr, kVersion},
      {"help", no_argument, nullptr, 'h'},
      {nullptr, 0, nullptr, 0},
  };
  rampart::Options options;
  bool check = false;
  int c;
  while ((c = getopt_long(argc, argv, "c:h", longopts, nullptr)) != -1) {
    switch (c) {
      case 'c':
        options.config_path = optarg;
        options.config_path_given = true;
        break;
      case kCheckConfig:
        check = true;
        break;
      case kDryRun:
        options.dry_run = true;
        break;
      case kVersion:
        printf("rampartd %s\n", RAMPART_VERSION);
        return 0;
      case 'h':
        usage(stdout);
        return 0;
      default:
        usage(stderr);
        return 2;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "rampartd: unexpected argument \"%s\"\n", argv[optind]);
    usage(stderr);
    return 2;
  }

  if (check) return check_config(options);
  return rampart::Daemon(std::move(options)).run();
}
