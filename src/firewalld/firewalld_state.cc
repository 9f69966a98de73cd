// The deadlines of firewalld blocks across restarts of rampartd (firewalld keeps the rules,
// not what rampart knows of them).
#include "firewalld/firewalld_impl.h"

#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace rampart {

using namespace firewalld;

void FirewalldBackend::Impl::schedule_state() {
  if (!state_dirty || !state_timer || options.state_path.empty()) return;
  int enabled = SD_EVENT_OFF;
  sd_event_source_get_enabled(state_timer.get(), &enabled);
  if (enabled != SD_EVENT_OFF) return;
  sd_event_source_set_time_relative(state_timer.get(), kStateDelayUs);
  sd_event_source_set_enabled(state_timer.get(), SD_EVENT_ONESHOT);
}

int FirewalldBackend::Impl::on_state_timer(sd_event_source*, uint64_t, void* u) {
  static_cast<Impl*>(u)->write_state();
  return 0;
}

void FirewalldBackend::Impl::write_state() {
  if (options.state_path.empty()) return;
  uint64_t mono = clock_us(CLOCK_MONOTONIC), real = clock_us(CLOCK_REALTIME);
  std::vector<FirewalldStateEntry> entries;
  for (const auto& [address, l] : live)
    for (size_t i = 0; i < 2; ++i) {
      if (!l.held[i]) continue;
      uint64_t e = l.expiry_us[i];
      if (e && e <= mono) continue;
      uint64_t expiry_s = e ? (real + (e - mono) + 999999) / 1000000 : 0;
      entries.push_back({address, port_kind(i), expiry_s, l.comment[i]});
    }
  std::string dir = options.state_path.substr(0, options.state_path.rfind('/'));
  if (!dir.empty()) mkdir(dir.c_str(), 0700);
  std::string tmp = options.state_path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << format_firewalld_state(entries);
    if (!out.flush()) {
      log_warning_errno(errno, "cannot write {}", tmp);
      return;
    }
  }
  if (rename(tmp.c_str(), options.state_path.c_str()) != 0) {
    log_warning_errno(errno, "cannot write {}", options.state_path);
    return;
  }
  state_dirty = false;
}

void FirewalldBackend::Impl::read_state() {
  std::ifstream in(options.state_path);
  if (!in) return;
  std::stringstream text;
  text << in.rdbuf();
  uint64_t mono = clock_us(CLOCK_MONOTONIC), real_s = clock_us(CLOCK_REALTIME) / 1000000;
  for (const auto& e : parse_firewalld_state(text.str())) {
    if (e.expiry_realtime_s && e.expiry_realtime_s <= real_s) continue;
    Live& l = live[e.address];
    size_t i = port_index(e.kind);
    l.held[i] = true;
    l.expiry_us[i] = e.expiry_realtime_s ? mono + (e.expiry_realtime_s - real_s) * 1000000 : 0;
    l.comment[i] = e.comment;
  }
}

}  // namespace rampart
