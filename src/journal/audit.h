// The audit trail. Every enforcer event becomes one structured journal record (a fixed
// MESSAGE_ID per event type, RAMPART_* fields; see audit_ids.h and catalog/rampart.catalog)
// and, when stderr is not the journal (the demo, tests, a terminal), one readable line. The
// daemon reports what it does itself (configuration loaded or rejected, alerts rejected)
// through the same object.
#pragma once

#include <systemd/sd-event.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/handles_event.h"
#include "base/log.h"
#include "config/config.h"
#include "core/events.h"
#include "core/feed_status.h"
#include "journal/audit_journal.h"
namespace rampart {

// An event as one greppable line ("blocked 203.0.113.9 with firewall-drop for 600s (rule
// 5712, level 10, nftables)") and the priority it is logged with.
struct EventText {
  LogLevel level = LogLevel::Info;
  std::string text;
};
EventText event_text(const Event& e);

// Prints events as readable lines on stderr.
class LogSink final : public EventSink {
 public:
  void emit(const Event& e) override;
};

// Renders an event as a journal record (without sending it).
void event_record(const Event& e, std::string_view message, LogLevel level, JournalRecord& out);

class Audit final : public EventSink {
 public:
  // Text lines unless stderr is the journal; structured records when the journal socket
  // exists.
  Audit();
  ~Audit() override;
  Audit(const Audit&) = delete;
  Audit& operator=(const Audit&) = delete;

  // Lets records wait for journald instead of blocking, and arms the flood summary.
  void attach(sd_event* event);

  void emit(const Event& e) override;

  // `how`: "loaded" at start, "reloaded" on SIGHUP.
  void config_loaded(const Config& config, std::string_view how);
  // `at_start`: the daemon prints the error itself and exits, so only the record is written.
  void config_rejected(const Error& error, bool at_start);
  // A rejected alert line (rate-limited by the caller); `suppressed` rejected lines were not
  // logged since the previous one.
  void alert_rejected(std::string_view why, std::string_view sample, uint64_t suppressed);

  // A blocklist feed replaced in the kernel (`cuts`: the log lines of what was cut), or a
  // file that was refused (the old list stays).
  void feed_loaded(const FeedStatus& feed, const std::vector<std::string>& cuts);
  void feed_refused(const FeedStatus& feed);

  bool text_lines() const { return text_; }
  bool records() const { return journal_ != nullptr; }
  // Records dropped under a flood and not yet summarised, all types.
  uint64_t unsummarised() const;

 private:
  void write_summary();
  static int on_summary(sd_event_source*, uint64_t, void* userdata);

  bool text_ = true;
  std::unique_ptr<JournalWriter> journal_;
  JournalRecord record_;
  EventSourcePtr summary_timer_;
  static constexpr size_t kTypes = kEventTypes;
  std::array<uint64_t, kTypes> dropped_{};
};

}  // namespace rampart
