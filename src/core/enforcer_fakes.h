// Plain fakes for the enforcer's seams (clock, backend, event sink) and a sample alert, shared
// by unit tests.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/backend.h"
#include "core/clock.h"
#include "core/events.h"
namespace rampart::fakes {

// `text` parsed as a config file, t.conf; a parse error fails the test (and yields defaults).
inline std::shared_ptr<Config> config(const std::string& text) {
  auto c = parse_config(text, "t.conf");
  EXPECT_TRUE(c) << (c ? "" : c.error().message);
  return std::make_shared<Config>(c ? std::move(*c) : Config{});
}

// An sshd brute-force alert (rule 5712) from `ip` at `level`.
inline Alert alert(const char* ip, int level = 10) {
  Alert a;
  a.level = level;
  a.rule_id = 5712;
  a.srcip = ip;
  a.address = Address::parse_host(ip);
  a.description = "sshd brute force";
  return a;
}

class FakeClock final : public Clock {
 public:
  uint64_t monotonic_us() const override { return now; }
  uint64_t realtime_us() const override { return now + 1'000'000'000'000; }
  uint64_t now = 5'000'000;
};

// Records every batch it is given; refuses the address named in `refuse`, if any. Like the
// kernel it lifts blocks at their timeout by itself, unless `expires` is false (like exec
// scripts and hosts.deny): then the enforcer sends the deletes.
class FakeBackend final : public Backend {
 public:
  std::string_view name() const override { return "fake"; }
  bool expires_by_itself() const override { return expires; }
  ApplyResult apply(std::span<const Change> changes) override {
    batches.emplace_back(changes.begin(), changes.end());
    ApplyResult r;
    for (size_t i = 0; i < changes.size(); ++i) {
      if (!refuse.empty() && changes[i].address.str() == refuse)
        r.rejected.emplace_back(i, Error{ENOSPC, "set is full"});
      else
        ++r.applied;
    }
    return r;
  }
  // An asynchronous backend's late refusal of `change`, as exec and firewalld report it.
  void fail_later(const Change& change, const Error& error) { on_failure_(change, error); }

  std::vector<std::vector<Change>> batches;
  std::string refuse;
  bool expires = true;
};

// Renders each event as "type address detail".
class RecordingSink final : public EventSink {
 public:
  void emit(const Event& e) override {
    lines.push_back(std::string(to_string(e.type)) + " " + (e.address ? e.address->str() : "-") +
                    " " + std::string(e.detail));
  }
  bool has(const std::string& text) const {
    return std::any_of(lines.begin(), lines.end(),
                       [&](const std::string& l) { return l.find(text) != std::string::npos; });
  }
  std::vector<std::string> lines;
};

}  // namespace rampart::fakes
