// rampart's own <rampart> section, and load_config() reading a file and its conf.d.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "config/config.h"
#include "config/config_testing.h"
namespace rampart {
namespace {

using namespace config_test;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// --- <rampart> ---

TEST(ConfigSettings, AllSettings) {
  auto config = parse_ok(conf(R"(<rampart>
  <socket>/run/a.sock</socket>
  <socket>/run/b.sock</socket>
  <state_directory>/srv/rampart</state_directory>
  <nftables><table>blocks_v2-x</table></nftables>
  <node><name>edge-1</name><agent_id>017</agent_id><server>no</server></node>
  <max_blocks>5000</max_blocks>
  <max_prefix><ipv4>24</ipv4><ipv6>64</ipv6></max_prefix>
  <allow_link_local>YES</allow_link_local>
  <journal>
    <match>SYSLOG_IDENTIFIER=wazuh-analysisd</match><match>PRIORITY=4</match>
    <or/>
    <match>_SYSTEMD_UNIT=ossec.service</match>
  </journal>
  <exec_directory>/opt/ar/bin</exec_directory>
  <exec_timeout>10</exec_timeout>
  <exec_concurrency>2</exec_concurrency>
  <hosts_deny>/etc/hosts.deny.rampart</hosts_deny>
  <firewall_backend>firewalld</firewall_backend>
  <firewalld><zone>public</zone><mode>ipset</mode></firewalld>
  <repeated_offenders_reset>3600</repeated_offenders_reset>
</rampart>
)"));
  EXPECT_TRUE(config.warnings.empty());
  const Settings& s = config.settings;
  EXPECT_THAT(s.sockets, ElementsAre("/run/a.sock", "/run/b.sock"));
  EXPECT_EQ(s.state_directory, "/srv/rampart");
  EXPECT_EQ(s.nft_table, "blocks_v2-x");
  EXPECT_EQ(s.node_name, "edge-1");
  EXPECT_EQ(s.agent_id, "017");
  EXPECT_FALSE(s.server);
  EXPECT_EQ(s.max_blocks, 5000u);
  EXPECT_EQ(s.max_prefix4, 24);
  EXPECT_EQ(s.max_prefix6, 64);
  EXPECT_TRUE(s.allow_link_local);
  EXPECT_TRUE(s.journal.enabled);
  ASSERT_EQ(s.journal.groups.size(), 2u);
  EXPECT_THAT(s.journal.groups[0], ElementsAre("SYSLOG_IDENTIFIER=wazuh-analysisd", "PRIORITY=4"));
  EXPECT_THAT(s.journal.groups[1], ElementsAre("_SYSTEMD_UNIT=ossec.service"));
  EXPECT_EQ(s.exec_directory, "/opt/ar/bin");
  EXPECT_EQ(s.exec_timeout_sec, 10u);
  EXPECT_EQ(s.exec_concurrency, 2u);
  EXPECT_EQ(s.hosts_deny, "/etc/hosts.deny.rampart");
  EXPECT_EQ(s.firewall_backend, FirewallBackend::Firewalld);
  EXPECT_EQ(s.firewalld_zone, "public");
  EXPECT_EQ(s.firewalld_mode, FirewalldMode::Ipset);
  EXPECT_EQ(s.repeated_offenders_reset_sec, 3600u);
}

// Each bad <rampart> option and the error it gets.
struct SettingsCase {
  std::string inner;
  std::string message;
};
const SettingsCase kSettingsErrors[] = {
    {"<sockets>/run/x</sockets>",
     "t.conf:2: <sockets> is not an option of <rampart>; remove it or use one of: socket, "
     "state_directory, nftables, node, max_blocks, max_prefix, allow_link_local, journal, "
     "exec_directory, exec_timeout, exec_concurrency, hosts_deny, firewall_backend, "
     "firewalld, repeated_offenders_reset, metrics, block_prefix, timeout_jitter, blocklist, "
     "fleet"},
    {"<socket>run/x.sock</socket>",
     "t.conf:2: <socket> must be an absolute path starting with '/', not \"run/x.sock\""},
    {"<state_directory></state_directory>",
     "t.conf:2: <state_directory> must be an absolute path starting with '/', not \"\""},
    {"<exec_directory>bin</exec_directory>",
     "t.conf:2: <exec_directory> must be an absolute path starting with '/', not \"bin\""},
    {"<hosts_deny>hosts.deny</hosts_deny>",
     "t.conf:2: <hosts_deny> must be an absolute path starting with '/', not \"hosts.deny\""},
    {"<nftables><table>my table</table></nftables>",
     "t.conf:2: <table> \"my table\" is not a usable nftables table name; use 1 to 32 "
     "letters, digits, '_' or '-'"},
    {"<nftables><table>" + std::string(33, 'a') + "</table></nftables>",
     "t.conf:2: <table> \"" + std::string(33, 'a') +
         "\" is not a usable nftables table name; use 1 to 32 letters, digits, '_' or '-'"},
    {"<nftables><family>inet</family></nftables>",
     "t.conf:2: <family> is not an option of <nftables>; remove it or use one of: table"},
    {"<node><agent_id>abc</agent_id></node>",
     "t.conf:2: <agent_id> must be this node's numeric agent ID such as 000, not \"abc\""},
    {"<node><server>maybe</server></node>", "t.conf:2: <server> must be yes or no, not \"maybe\""},
    {"<node><ip>1.2.3.4</ip></node>",
     "t.conf:2: <ip> is not an option of <node>; remove it or use one of: name, agent_id, "
     "server"},
    {"<max_blocks>0</max_blocks>",
     "t.conf:2: <max_blocks> must be a number from 1 to 4294967295, not \"0\""},
    {"<max_prefix><ipv4>0</ipv4></max_prefix>",
     "t.conf:2: <ipv4> must be a number from 1 to 32, not \"0\""},
    {"<max_prefix><ipv6>129</ipv6></max_prefix>",
     "t.conf:2: <ipv6> must be a number from 1 to 128, not \"129\""},
    {"<max_prefix><v4>8</v4></max_prefix>",
     "t.conf:2: <v4> is not an option of <max_prefix>; remove it or use one of: ipv4, ipv6"},
    {"<allow_link_local>1</allow_link_local>",
     "t.conf:2: <allow_link_local> must be yes or no, not \"1\""},
    {"<exec_timeout>0</exec_timeout>",
     "t.conf:2: <exec_timeout> must be a number of seconds from 1 to 86400, not \"0\""},
    {"<exec_concurrency>many</exec_concurrency>",
     "t.conf:2: <exec_concurrency> must be a number from 1 to 1024, not \"many\""},
    {"<firewall_backend>iptables</firewall_backend>",
     "t.conf:2: <firewall_backend> must be nftables, firewalld or auto, not \"iptables\""},
    {"<firewalld><mode>direct</mode></firewalld>",
     "t.conf:2: <mode> must be rich-rule or ipset, not \"direct\""},
    {"<firewalld><zone>my zone</zone></firewalld>",
     "t.conf:2: <zone> \"my zone\" must be a firewalld zone name without spaces"},
    {"<firewalld><policy>x</policy></firewalld>",
     "t.conf:2: <policy> is not an option of <firewalld>; remove it or use one of: zone, mode"},
    {"<repeated_offenders_reset>1d</repeated_offenders_reset>",
     "t.conf:2: <repeated_offenders_reset> must be a number of seconds from 1 to 4294967295, "
     "not \"1d\""},
    {"<metrics><textfile>rampart.prom</textfile></metrics>",
     "t.conf:2: <textfile> must be an absolute path starting with '/', not \"rampart.prom\""},
    {"<metrics><interval>0</interval></metrics>",
     "t.conf:2: <interval> must be a number of seconds from 1 to 3600, not \"0\""},
    {"<metrics><port>9818</port></metrics>",
     "t.conf:2: <port> is not an option of <metrics>; remove it or use one of: textfile, "
     "interval"},
    {"<journal/>",
     "t.conf:2: <journal> has no <match>; add <match>FIELD=value</match> so rampart reads "
     "only the alerts, such as <match>SYSLOG_IDENTIFIER=wazuh-analysisd</match>"},
    {"<journal><match>A=1</match><or/></journal>",
     "t.conf:2: <journal> ends with <or/>; remove it or add <match> after it"},
    {"<journal><or/><match>A=1</match></journal>",
     "t.conf:2: <or/> must stand between two groups of <match>; remove this one"},
    {"<journal><filter>A=1</filter></journal>",
     "t.conf:2: <filter> is not an option of <journal>; remove it or use one of: match, or"},
};

TEST(ConfigSettings, Errors) {
  for (const SettingsCase& c : kSettingsErrors)
    EXPECT_EQ(parse_error(conf("<rampart>" + c.inner + "</rampart>\n")), c.message) << c.inner;
  for (std::string_view bad : {"syslog_identifier=x", "1FIELD=x", "NOEQUALS", "=x", "A-B=1"})
    EXPECT_THAT(
        parse_error(conf(fmt::format("<rampart><journal><match>{}</match></journal>"
                                     "</rampart>\n",
                                     bad))),
        ::testing::StartsWith(fmt::format("t.conf:2: <match> \"{}\" must be FIELD=value", bad)));
}

TEST(ConfigSettings, MetricsTextfileAndWhatTheUnitNeedsForIt) {
  Config config = parse_ok(
      conf("<rampart><metrics><textfile>/var/lib/prometheus/node-exporter/rampart.prom</textfile>"
           "<interval>30</interval></metrics></rampart>\n"));
  EXPECT_EQ(config.settings.metrics_textfile, "/var/lib/prometheus/node-exporter/rampart.prom");
  EXPECT_EQ(config.settings.metrics_interval_sec, 30u);
  EXPECT_THAT(describe(config),
              ::testing::HasSubstr("metrics textfile: /var/lib/prometheus/node-exporter/"
                                   "rampart.prom, rewritten every 30s\n"));
  EXPECT_THAT(describe(config), ::testing::Not(::testing::HasSubstr("ReadWritePaths")));

  config =
      parse_ok(conf("<rampart><metrics><textfile>/srv/metrics/rampart.txt</textfile>"
                    "</metrics></rampart>\n"));
  EXPECT_EQ(config.settings.metrics_interval_sec, 15u);
  EXPECT_THAT(config.warnings,
              ::testing::ElementsAre("t.conf:2: <textfile> /srv/metrics/rampart.txt does not end "
                                     "in .prom: node_exporter's textfile collector reads only "
                                     "*.prom files"));
  EXPECT_THAT(describe(config),
              ::testing::HasSubstr("add ReadWritePaths=/srv/metrics with 'systemctl edit "
                                   "rampart', then restart it"));
  EXPECT_THAT(describe(parse_ok(conf(""))), ::testing::HasSubstr("no textfile"));
}

TEST(ConfigSettings, SocketsReplaceTheDefaultOnlyWhenGiven) {
  EXPECT_THAT(parse_ok(conf("<rampart><max_blocks>9</max_blocks></rampart>\n")).settings.sockets,
              ElementsAre("/run/rampart/alerts.sock"));
  auto config =
      parse_ok(conf("<rampart><socket>/run/a</socket></rampart>\n"
                    "<rampart><socket>/run/b</socket></rampart>\n"));
  EXPECT_THAT(config.settings.sockets, ElementsAre("/run/a", "/run/b"));
}

// --- load_config: files and conf.d ---

class ConfigFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rampart-config-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const fs::path& relative, std::string_view text) {
    fs::create_directories((dir_ / relative).parent_path());
    std::ofstream(dir_ / relative, std::ios::binary) << text;
  }
  std::string path(std::string_view relative) const { return (dir_ / relative).string(); }

  fs::path dir_;
};

TEST_F(ConfigFiles, MissingMainFileIsEnoent) {
  auto config = load_config(path("nope.conf"));
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code, ENOENT);
  EXPECT_THAT(config.error().message, HasSubstr("nope.conf"));
}

TEST_F(ConfigFiles, UnreadableMainFileReportsErrno) {
  fs::create_directories(dir_ / "dir.conf");
  auto config = load_config(path("dir.conf"));
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code, EISDIR);
  EXPECT_THAT(config.error().message, HasSubstr("dir.conf: cannot read"));
}

TEST_F(ConfigFiles, ConfDMergesInLexicalOrder) {
  write("rampart.conf",
        conf("<active-response><command>late</command><location>local</location>"
             "<level>7</level></active-response>\n"
             "<rampart><max_blocks>10</max_blocks><socket>/run/main</socket></rampart>\n"
             "<global><white_list>192.0.2.1</white_list></global>\n"));
  write("conf.d/20-second.conf",
        conf("<rampart><max_blocks>30</max_blocks></rampart>\n"
             "<command><name>late</name><executable>host-deny</executable></command>\n"));
  write("conf.d/10-first.conf",
        conf("<rampart><max_blocks>20</max_blocks><exec_timeout>5</exec_timeout>"
             "<socket>/run/first</socket></rampart>\n"
             "<global><white_list>192.0.2.2</white_list></global>\n"));
  write("conf.d/.hidden.conf", "<broken");
  write("conf.d/notes.txt", "<broken");
  write("conf.d/30-first.conf.d/x.conf", "<broken");
  auto config = load_config(path("rampart.conf"));
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_THAT(config->files, ElementsAre(path("rampart.conf"), path("conf.d/10-first.conf"),
                                         path("conf.d/20-second.conf")));
  EXPECT_EQ(config->settings.max_blocks, 30u);       // the last file wins
  EXPECT_EQ(config->settings.exec_timeout_sec, 5u);  // set once, kept
  EXPECT_THAT(config->settings.sockets, ElementsAre("/run/first"));
  ASSERT_EQ(config->responses.size(), 1u);
  const Command& command = config->commands[config->responses[0].command];
  EXPECT_EQ(command.file, path("conf.d/20-second.conf"));
  EXPECT_EQ(config->responses[0].file, path("rampart.conf"));
  EXPECT_TRUE(config->allowlist.match(addr("192.0.2.1")));
  EXPECT_TRUE(config->allowlist.match(addr("192.0.2.2")));
}

TEST_F(ConfigFiles, ErrorsNameTheirFile) {
  write("rampart.conf", conf(kFirewallDrop));
  write("conf.d/a.conf", conf(std::string("\n") + std::string(kFirewallDrop)));
  write("conf.d/b.conf", conf("<active-response><command>nope</command><level>1</level>"
                              "<location>local</location></active-response>\n"));
  auto config = load_config(path("rampart.conf"));
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code, EINVAL);
  EXPECT_EQ(config.error().message,
            fmt::format("{}:3: command \"firewall-drop\" is already defined at {}:2; rename one "
                        "of them or remove one\n"
                        "{}:2: <command> \"nope\" does not name any <command> block (defined: "
                        "firewall-drop); define it with <name>nope</name> or fix the name",
                        path("conf.d/a.conf"), path("rampart.conf"), path("conf.d/b.conf")));
}

TEST_F(ConfigFiles, WarningsNameTheirFile) {
  write("rampart.conf", conf(kFirewallDrop));
  write("conf.d/a.conf", conf("<active-response><command>firewall-drop</command>"
                              "<location>local</location></active-response>\n"));
  auto config = load_config(path("rampart.conf"));
  ASSERT_TRUE(config) << config.error().message;
  ASSERT_EQ(config->warnings.size(), 1u);
  EXPECT_THAT(config->warnings[0], ::testing::StartsWith(path("conf.d/a.conf") + ":2: "));
}

}  // namespace
}  // namespace rampart
