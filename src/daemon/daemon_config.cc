// The daemon's configuration: loading it at start, and reloading it (SIGHUP, D-Bus Reload).
#include <unistd.h>

#include <cerrno>

#include "daemon/daemon_impl.h"
#include "exec/exec_check.h"
#include "exec/exec_unit.h"
#include "fleet/fleet_unit.h"
#include "host/host_addresses.h"
#include "hosts_deny/hosts_deny_check.h"
namespace rampart {
namespace {

std::string hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

}  // namespace

bool binds_firewalld_drop(const Config& config) {
  for (const auto& ar : config.responses)
    if (config.commands[ar.command].kind == CommandKind::Firewalld) return true;
  return false;
}

std::string describe_outside_sandbox(const Config& config) {
  bool exec = false, hosts_deny = false;
  for (const auto& ar : config.responses) {
    exec |= config.commands[ar.command].kind == CommandKind::Exec;
    hosts_deny |= config.commands[ar.command].kind == CommandKind::HostsDeny;
  }
  std::string fleet = fleet_unit_dropin(config.settings.fleet);
  if (!exec && !hosts_deny) return fleet;
  std::string out =
      "\nUnder systemd (rampart.service keeps the file system read-only for rampartd):\n";
  if (exec)
    out += fmt::format(
        "  exec: every run is a transient unit in {}, as root outside rampartd's sandbox "
        "(journalctl -u 'rampart-exec-*')\n",
        kExecSlice);
  if (hosts_deny)
    out += fmt::format(
        "  hosts.deny: {} is written by {} in a transient unit that may write {} and nothing "
        "else\n",
        config.settings.hosts_deny, RAMPART_HOSTS_DENY_HELPER,
        hosts_deny_directory(config.settings.hosts_deny));
  return out + fleet;
}

Result<std::shared_ptr<Config>> load_daemon_config(const Options& options) {
  Result<Config> config = load_config(options.config_path);
  if (!config && config.error().code == ENOENT && !options.config_path_given) {
    log_notice("{} does not exist; using the embedded default configuration", options.config_path);
    config = parse_config(kDefaultConfigText, kDefaultConfigName);
  }
  if (!config) return std::unexpected(config.error());
  // Scripts run as root: refuse any the exec directory does not keep safe (reads the disk).
  if (auto r = check_exec_commands(*config); !r) return std::unexpected(r.error());
  if (auto r = check_hosts_deny(*config); !r) return std::unexpected(r.error());
  if (config->settings.node_name.empty()) config->settings.node_name = hostname();
  return std::make_shared<Config>(std::move(*config));
}

Result<void> Daemon::Impl::setup_config() {
  auto loaded = load_daemon_config(options);
  if (!loaded) {
    audit.config_rejected(loaded.error(), true);
    return std::unexpected(loaded.error());
  }
  config = *loaded;
  for (const auto& w : config->warnings) log_warning("{}", w);
  enforcer_.set_config(config);
  read_host_addresses_now();
  audit.config_loaded(*config, "loaded");
  return {};
}

Result<void> Daemon::Impl::reload() {
  sd_notify(0, "RELOADING=1");
  Result<void> result;
  auto loaded = load_daemon_config(options);
  if (!loaded) {
    result = std::unexpected(loaded.error());
  } else if ((*loaded)->settings.nft_table != config->settings.nft_table ||
             (*loaded)->settings.sockets != config->settings.sockets ||
             (*loaded)->settings.state_directory != config->settings.state_directory ||
             (*loaded)->settings.hosts_deny != config->settings.hosts_deny) {
    result = fail(EINVAL,
                  "<nftables><table>, <socket>, <state_directory> and <hosts_deny> cannot "
                  "change on reload; restart rampartd");
  } else if ((*loaded)->settings.firewall_backend != config->settings.firewall_backend ||
             (*loaded)->settings.firewalld_zone != config->settings.firewalld_zone ||
             (*loaded)->settings.firewalld_mode != config->settings.firewalld_mode ||
             (binds_firewalld_drop(**loaded) && !firewalld && !options.dry_run)) {
    result = fail(EINVAL,
                  "<firewall_backend> and <firewalld> cannot change on reload, and "
                  "firewalld-drop needs the firewalld backend from the start; restart "
                  "rampartd");
  } else if (auto what = fleet_change(config->settings, (*loaded)->settings)) {
    result = fail(EINVAL, "{} cannot change on reload; restart rampartd", *what);
  } else {
    commit();  // decisions made under the old config go out first
    config = *loaded;
    for (const auto& w : config->warnings) log_warning("{}", w);
    enforcer_.set_config(config);
    if (exec) exec->set_config(config);
    if (state) state->set_offence_ttl(config->settings.repeated_offenders_reset_sec);
    read_host_addresses_now();
    audit.config_loaded(*config, "reloaded");
    arm_textfile();
    if (feed_lists) feed_lists->configure(*config, enforcer_.host_addresses());
  }
  if (!result) audit.config_rejected(result.error(), false);
  sd_notify(0, "READY=1");
  return result;
}

void Daemon::Impl::read_host_addresses_now() {
  auto own = read_host_addresses();
  if (!own) {
    log_warning("{}; only loopback and the allowlist protect this host's addresses",
                own.error().message);
    return;
  }
  std::string text;
  for (const Address& a : *own) text += (text.empty() ? "" : ", ") + a.str();
  if (!own->empty()) log_info("never blocking this host's addresses: {}", text);
  enforcer_.set_host_addresses(std::move(*own));
}

}  // namespace rampart
