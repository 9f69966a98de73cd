// The core's share of one alert, without I/O: the decision, the enforcer's bookkeeping (block
// table, event, pending change) with a backend that accepts everything, and building the
// netlink batch. Run: ninja -C build core_bench && ./build/bench/core_bench
#include <benchmark/benchmark.h>

#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "alert/alert.h"
#include "config/config.h"
#include "core/backend.h"
#include "core/enforcer.h"
#include "core/engine.h"
#include "core/events.h"
#include "nft/nft_batch.h"
namespace rampart {
namespace {

// The configuration of the end-to-end runs: every alert at level >= 3 is a one-hour block.
constexpr std::string_view kConfig = R"(<ossec_config>
  <global><white_list>192.0.2.1</white_list><white_list>2001:db8:ffff::/48</white_list></global>
  <command><name>firewall-drop</name><executable>firewall-drop</executable>
    <timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>firewall-drop</command><location>local</location>
    <level>3</level><timeout>3600</timeout></active-response>
  <rampart><max_blocks>2000000</max_blocks></rampart>
</ossec_config>
)";

std::shared_ptr<const Config> bench_config() {
  auto c = parse_config(kConfig, "bench.conf");
  if (!c) std::abort();
  return std::make_shared<Config>(std::move(*c));
}

Address v6(uint32_t i) {
  Address a = *Address::parse("2001:db8::");
  for (int b = 0; b < 4; ++b) a.bytes[15 - b] = static_cast<uint8_t>(i >> (8 * b));
  return a;
}

Alert bench_alert() {
  Alert a;
  a.level = 10;
  a.rule_id = 5712;
  a.groups = "syslog,sshd,authentication_failures,";
  a.srcip = "2001:db8::1";
  a.address = Address::parse_host(a.srcip);
  a.description = "sshd: brute force trying to get access to the system.";
  a.id = "1732740000.123456";
  a.location = "/var/log/auth.log";
  return a;
}

class FixedClock final : public Clock {
 public:
  uint64_t monotonic_us() const override { return 5'000'000; }
  uint64_t realtime_us() const override { return 1'700'000'000'000'000; }
};

// Counts events, as a sink that costs nothing would.
class NullSink final : public EventSink {
 public:
  void emit(const Event&) override { ++events; }
  uint64_t events = 0;
};

class NullBackend final : public Backend {
 public:
  std::string_view name() const override { return "null"; }
  bool expires_by_itself() const override { return true; }
  ApplyResult apply(std::span<const Change> changes) override { return {changes.size(), {}}; }
};

// Engine::decide for one matching alert: filters, allowlist, never-block checks.
void BM_Decide(benchmark::State& state) {
  auto config = bench_config();
  Engine engine(*config);
  Alert alert = bench_alert();
  Decision d;
  for (auto _ : state) {
    engine.decide(alert, d);
    benchmark::DoNotOptimize(d.responses.data());
  }
  state.SetItemsProcessed(state.iterations());
}

// Enforcer::on_alert for new addresses (each a new block), committing to a null backend every
// 65,536 alerts as the daemon does under a flood. The table is emptied every `range(0)`
// blocks (untimed), so this is the cost per alert while the table holds up to that many.
void BM_EnforcerNewBlock(benchmark::State& state) {
  const uint32_t table_max = static_cast<uint32_t>(state.range(0));
  auto config = bench_config();
  FixedClock clock;
  NullSink sink;
  NullBackend backend;
  auto enforcer = std::make_unique<Enforcer>(clock, sink);
  enforcer->set_config(config);
  enforcer->set_backend(CommandKind::Firewall, &backend);
  Alert alert = bench_alert();
  uint32_t i = 0;
  for (auto _ : state) {
    if (i == table_max) {
      state.PauseTiming();
      enforcer = std::make_unique<Enforcer>(clock, sink);
      enforcer->set_config(config);
      enforcer->set_backend(CommandKind::Firewall, &backend);
      i = 0;
      state.ResumeTiming();
    }
    alert.address = v6(i++);
    enforcer->on_alert(alert);
    if (enforcer->pending() >= 65536) enforcer->commit();
  }
  state.SetItemsProcessed(state.iterations());
}

// A repeat of an active block: decided, found in the table, nothing sent.
void BM_EnforcerRepeat(benchmark::State& state) {
  auto config = bench_config();
  FixedClock clock;
  NullSink sink;
  NullBackend backend;
  Enforcer enforcer(clock, sink);
  enforcer.set_config(config);
  enforcer.set_backend(CommandKind::Firewall, &backend);
  Alert alert = bench_alert();
  for (uint32_t i = 0; i < 100000; ++i) {
    alert.address = v6(i);
    enforcer.on_alert(alert);
  }
  enforcer.commit();
  uint32_t i = 0;
  for (auto _ : state) {
    alert.address = v6(i);
    i = (i + 1) % 100000;
    enforcer.on_alert(alert);
  }
  state.SetItemsProcessed(state.iterations());
}

// build_element_batch for one flood commit (range(0) IPv6 adds with timeout and comment).
void BM_BuildBatch(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  std::vector<Change> changes;
  changes.reserve(n);
  for (size_t i = 0; i < n; ++i)
    changes.push_back({Change::Op::Add, v6(uint32_t(i)), 3600 * 1000, "firewall-drop:5712"});
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  size_t bytes = 0;
  for (auto _ : state) {
    NftBatch batch = build_element_batch("rampart", changes, order, {});
    bytes = batch.bytes.size();
    benchmark::DoNotOptimize(batch.bytes.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
  state.counters["bytes_per_element"] = double(bytes) / double(n);
}

BENCHMARK(BM_Decide);
BENCHMARK(BM_EnforcerNewBlock)->Arg(100000);
BENCHMARK(BM_EnforcerRepeat);
BENCHMARK(BM_BuildBatch)->Arg(1000)->Arg(65536);

}  // namespace
}  // namespace rampart

BENCHMARK_MAIN();
