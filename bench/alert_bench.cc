// Alert parser throughput per format, on the realistic lines rampart sees in a brute-force
// flood. Run: ninja -C build alert_bench && ./build/bench/alert_bench
#include <benchmark/benchmark.h>

#include <string_view>

#include "alert/alert.h"
namespace rampart {
namespace {

// Wazuh 4.x's sshd brute-force alert, ~1.1 KB as alerts.json writes it: the hot path.
constexpr std::string_view kWazuhJson =
    R"({"timestamp":"2024-01-15T10:23:45.123+0000","rule":{"level":10,"description":"sshd: brute force trying to get access to the system. Non existent user.","id":"5712","mitre":{"id":["T1110"],"tactic":["Credential Access"],"technique":["Brute Force"]},"frequency":8,"firedtimes":1,"mail":false,"groups":["syslog","sshd","authentication_failures"],"gdpr":["IV_35.7.d","IV_32.2"],"hipaa":["164.312.b"],"nist_800_53":["SI.4","AU.14","AC.7"],"pci_dss":["11.4","10.2.4","10.2.5"],"tsc":["CC6.1","CC6.8","CC7.2","CC7.3"]},"agent":{"id":"001","name":"web01","ip":"192.168.1.10"},"manager":{"name":"wazuh-manager"},"id":"1705314225.1234567","previous_output":"Jan 15 10:23:43 web01 sshd[2345]: Invalid user admin from 203.0.113.9 port 51234\nJan 15 10:23:41 web01 sshd[2343]: Invalid user test from 203.0.113.9 port 51230","full_log":"Jan 15 10:23:45 web01 sshd[2347]: Invalid user oracle from 203.0.113.9 port 51238","predecoder":{"program_name":"sshd","timestamp":"Jan 15 10:23:45","hostname":"web01"},"decoder":{"parent":"sshd","name":"sshd"},"data":{"srcip":"203.0.113.9","srcport":"51238","srcuser":"oracle"},"location":"/var/log/secure"})";

constexpr std::string_view kOssecJson =
    R"({"rule":{"level":10,"comment":"SSHD brute force trying to get access to the system.","sidid":5712,"frequency":6,"firedtimes":1,"group":"syslog,sshd,authentication_failures,"},"id":"1705314225.12345","TimeStamp":1705314225000,"decoder":"sshd","srcip":"203.0.113.9","srcuser":"admin","location":"(web01) 192.168.1.10->/var/log/secure","full_log":"Jan 15 10:23:45 web01 sshd[2347]: Invalid user admin from 203.0.113.9 port 51238","hostname":"web01","program_name":"sshd"})";

constexpr std::string_view kSyslogDefault =
    R"(<132>Jan 15 10:23:45 manager ossec: Alert Level: 10; Rule: 5712 - SSHD brute force trying to get access to the system.; Location: (web01) 192.168.1.10->/var/log/secure; classification:  syslog,sshd,authentication_failures,; srcip: 203.0.113.9; user: admin; Jan 15 10:23:45 web01 sshd[2347]: Invalid user admin from 203.0.113.9 port 51238 ssh2)";

constexpr std::string_view kSyslogWazuhJson =
    R"(<132>Jan 15 10:23:45 manager ossec: {"timestamp":"2024-01-15T10:23:45.123+0000","rule":{"level":10,"description":"sshd: brute force trying to get access to the system. Non existent user.","id":"5712","mitre":{"id":["T1110"],"tactic":["Credential Access"],"technique":["Brute Force"]},"frequency":8,"firedtimes":1,"mail":false,"groups":["syslog","sshd","authentication_failures"],"gdpr":["IV_35.7.d","IV_32.2"],"hipaa":["164.312.b"],"nist_800_53":["SI.4","AU.14","AC.7"],"pci_dss":["11.4","10.2.4","10.2.5"],"tsc":["CC6.1","CC6.8","CC7.2","CC7.3"]},"agent":{"id":"001","name":"web01","ip":"192.168.1.10"},"manager":{"name":"wazuh-manager"},"id":"1705314225.1234567","previous_output":"Jan 15 10:23:43 web01 sshd[2345]: Invalid user admin from 203.0.113.9 port 51234\nJan 15 10:23:41 web01 sshd[2343]: Invalid user test from 203.0.113.9 port 51230","full_log":"Jan 15 10:23:45 web01 sshd[2347]: Invalid user oracle from 203.0.113.9 port 51238","predecoder":{"program_name":"sshd","timestamp":"Jan 15 10:23:45","hostname":"web01"},"decoder":{"parent":"sshd","name":"sshd"},"data":{"srcip":"203.0.113.9","srcport":"51238","srcuser":"oracle"},"location":"/var/log/secure"})";

constexpr std::string_view kSyslogCsyslogdJson =
    R"(<132>Jun 19 11:56:43 ub20 ossec: {"crit":10,"id":5712,"component":"(web01) 192.168.1.10->/var/log/secure","classification":" syslog,sshd,authentication_failures,","description":"SSHD brute force trying to get access to the system.","message":"Jan 15 10:23:45 web01 sshd[2347]: Invalid user admin from 203.0.113.9 port 51238","acct":"admin","src_ip":"203.0.113.9"})";

constexpr std::string_view kSyslogSplunk =
    R"(<132>Jan 15 10:23:45 manager ossec: crit=10 id=5712 description="SSHD brute force trying to get access to the system." component="(web01) 192.168.1.10->/var/log/secure", classification=" syslog,sshd,authentication_failures,", src_ip="203.0.113.9", acct="admin", message="Jan 15 10:23:45 web01 sshd[2347]: Invalid user admin from 203.0.113.9 port 51238 ssh2")";

void run(benchmark::State& state, std::string_view line) {
  AlertParser parser;
  Alert alert;
  for (auto _ : state) {
    auto result = parser.parse(line, alert);
    if (!result) {
      state.SkipWithError(result.error().message.c_str());
      break;
    }
    benchmark::DoNotOptimize(alert.address);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(line.size()));
}

void BM_WazuhJson(benchmark::State& state) {
  run(state, kWazuhJson);
}
void BM_OssecJson(benchmark::State& state) {
  run(state, kOssecJson);
}
void BM_SyslogDefault(benchmark::State& state) {
  run(state, kSyslogDefault);
}
void BM_SyslogJsonWazuh(benchmark::State& state) {
  run(state, kSyslogWazuhJson);
}
void BM_SyslogJsonCsyslogd(benchmark::State& state) {
  run(state, kSyslogCsyslogdJson);
}
void BM_SyslogSplunk(benchmark::State& state) {
  run(state, kSyslogSplunk);
}

void BM_ToWazuhJson(benchmark::State& state) {
  AlertParser parser;
  Alert alert;
  if (!parser.parse(kWazuhJson, alert)) {
    state.SkipWithError("sample does not parse");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(alert.to_wazuh_json());
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_WazuhJson);
BENCHMARK(BM_OssecJson);
BENCHMARK(BM_SyslogDefault);
BENCHMARK(BM_SyslogJsonWazuh);
BENCHMARK(BM_SyslogJsonCsyslogd);
BENCHMARK(BM_SyslogSplunk);
BENCHMARK(BM_ToWazuhJson);

}  // namespace
}  // namespace rampart

BENCHMARK_MAIN();
