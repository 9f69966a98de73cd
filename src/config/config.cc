#include "config/config.h"
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/fd.h"
#include "config/config_parse.h"
namespace rampart {

// Kept byte-identical to examples/rampart.conf (config_test checks).
const std::string_view kDefaultConfigText = R"(<!--
  rampart configuration: an ossec.conf, read the way OSSEC and Wazuh read it.

  rampart acts on the <command> and <active-response> blocks and on
  <global><white_list>; every other section is ignored, so an existing ossec.conf
  can be used as it is. Files in conf.d/*.conf next to this file are read after
  it, in lexical order.
-->
<ossec_config>
  <global>
    <!-- Addresses and prefixes that are never blocked. Loopback always is. -->
    <white_list>127.0.0.1</white_list>
    <white_list>::1</white_list>
  </global>

  <command>
    <name>firewall-drop</name>
    <executable>firewall-drop</executable>
    <expect>srcip</expect>
    <timeout_allowed>yes</timeout_allowed>
  </command>

  <!-- Block the source address of any alert of level 10 or more for 10 minutes. -->
  <active-response>
    <command>firewall-drop</command>
    <location>local</location>
    <level>10</level>
    <timeout>600</timeout>
  </active-response>

  <!-- rampart's own settings, shown with their defaults.
  <rampart>
    <socket>/run/rampart/alerts.sock</socket>
    <state_directory>/var/lib/rampart</state_directory>
    <nftables>
      <table>rampart</table>
    </nftables>
    <node>
      <name></name>                 (empty: the host name)
      <agent_id>000</agent_id>
      <server>yes</server>
    </node>
    <max_blocks>1000000</max_blocks>
    <max_prefix>
      <ipv4>16</ipv4>
      <ipv6>32</ipv6>
    </max_prefix>
    <allow_link_local>no</allow_link_local>
    <journal>                       (absent: the journal is not read)
      <match>SYSLOG_IDENTIFIER=wazuh-analysisd</match>
    </journal>
    <exec_directory>/usr/lib/rampart/active-response/bin</exec_directory>
    <exec_timeout>30</exec_timeout>
    <exec_concurrency>8</exec_concurrency>
    <hosts_deny>/etc/hosts.deny</hosts_deny>
    <firewall_backend>auto</firewall_backend>
    <firewalld>
      <zone></zone>                 (empty: firewalld's default zone)
      <mode>rich-rule</mode>
    </firewalld>
    <repeated_offenders_reset>86400</repeated_offenders_reset>
    <metrics>                       (absent: no file; rampartctl metrics always works)
      <textfile>/var/lib/prometheus/node-exporter/rampart.prom</textfile>
      <interval>15</interval>
    </metrics>
  </rampart>
  -->
</ossec_config>
)";

std::string_view to_string(CommandKind kind) {
  switch (kind) {
    case CommandKind::Firewall:
      return "firewall";
    case CommandKind::Firewalld:
      return "firewalld";
    case CommandKind::HostsDeny:
      return "hosts-deny";
    case CommandKind::Exec:
      return "exec";
  }
  return "exec";
}

CommandKind command_kind_for(std::string_view executable) {
  if (executable == "firewall-drop" || executable == "firewall-drop.sh" ||
      executable == "nftables-drop.sh")
    return CommandKind::Firewall;
  if (executable == "firewalld-drop" || executable == "firewalld-drop.sh")
    return CommandKind::Firewalld;
  if (executable == "host-deny" || executable == "host-deny.sh") return CommandKind::HostsDeny;
  return CommandKind::Exec;
}

bool GroupPattern::matches(std::string_view groups) const {
  if (anchor_start && anchor_end) return groups == text;
  if (anchor_start) return groups.starts_with(text);
  if (anchor_end) return groups.ends_with(text);
  return groups.find(text) != std::string_view::npos;
}

const Command* Config::find_command(std::string_view name) const {
  for (const Command& c : commands)
    if (c.name == name) return &c;
  return nullptr;
}

Result<Config> parse_config(std::string_view text, std::string_view filename) {
  config_internal::ConfigParser parser;
  parser.add_document(text, std::string(filename));
  return parser.finish();
}

namespace {

Result<std::string> read_file(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    int err = errno;
    if (err == ENOENT) return fail(ENOENT, "{}: no such file", path);
    return fail_errno(err, "{}: cannot open", path);
  }
  std::string text;
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      return fail_errno(err, "{}: cannot read", path);
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  return text;
}

// The *.conf files of a conf.d directory in lexical order; none when it does not exist.
// Hidden files are skipped: editors leave ".name.conf.swp"-like files behind.
Result<std::vector<std::string>> conf_d_files(const std::string& dir) {
  std::unique_ptr<DIR, Deleter<closedir>> d(::opendir(dir.c_str()));
  if (!d) {
    int err = errno;
    if (err == ENOENT || err == ENOTDIR) return std::vector<std::string>{};
    return fail_errno(err, "{}: cannot read the directory", dir);
  }
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(d.get())) {
    std::string_view name = entry->d_name;
    if (name.starts_with('.') || !name.ends_with(".conf")) continue;
    std::string path = dir + "/" + std::string(name);
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) continue;
    names.emplace_back(name);
  }
  std::ranges::sort(names);
  for (std::string& name : names) name = dir + "/" + name;
  return names;
}

}  // namespace

Result<Config> load_config(const std::string& path) {
  config_internal::ConfigParser parser;
  auto text = read_file(path);
  if (!text) return std::unexpected(text.error());
  parser.add_document(*text, path);

  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
  auto extra = conf_d_files(dir == "/" ? "/conf.d" : dir + "/conf.d");
  if (!extra) return std::unexpected(extra.error());
  for (const std::string& file : *extra) {
    auto more = read_file(file);
    if (!more) return std::unexpected(more.error());
    parser.add_document(*more, file);
  }
  return parser.finish();
}

}  // namespace rampart
