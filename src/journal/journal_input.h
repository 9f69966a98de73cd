// Alerts from the systemd journal: entries matching <rampart><journal> are read in the event
// loop, in bounded chunks, and handed on as alerts. The position is a cursor saved in the
// state directory after what was read before it has been committed to the backends, so a
// crash replays at most the uncommitted tail and loses nothing.
#pragma once

#include <systemd/sd-event.h>
#include <systemd/sd-journal.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "alert/alert.h"
#include "base/error.h"
#include "base/handles_event.h"
#include "base/handles_journal.h"
#include "config/config.h"
#include "journal/journal_alert.h"
namespace rampart {

struct JournalCounters {
  uint64_t entries = 0;   // matching entries read
  uint64_t alerts = 0;    // handed on as alerts
  uint64_t rejected = 0;  // neither ALERT_* fields nor a MESSAGE the parser accepts
  uint64_t saves = 0;     // cursor files written
};

class JournalInput {
 public:
  using AlertHandler = std::function<void(const Alert& alert)>;
  using RejectHandler = std::function<void(std::string_view why, std::string_view sample)>;
  // True while decisions handed on are not yet committed to the backends.
  using PendingProbe = std::function<bool()>;

  // Entries read per loop turn; then the loop serves everything else before the next chunk.
  static constexpr size_t kChunk = 1024;
  // While a backlog is read, the cursor is saved at most this often (and always once caught
  // up, and at exit).
  static constexpr uint64_t kSaveIntervalUs = 1000000;

  static Result<std::unique_ptr<JournalInput>> open(sd_event* event, const JournalMatches& matches,
                                                    const std::string& state_directory,
                                                    AlertHandler on_alert, RejectHandler on_reject,
                                                    PendingProbe pending);
  ~JournalInput();  // saves the committed position

  // The backends have every decision handed on so far: the position may move past it.
  void committed();
  // Stops reading entries until pause(false) (they wait in the journal; the position stays).
  void pause(bool on);

  const JournalCounters& counters() const { return counters_; }
  const std::string& cursor_path() const { return cursor_path_; }
  // "the journal (SYSLOG_IDENTIFIER=ossec OR ...)" for the start-up line.
  std::string describe() const { return description_; }

 private:
  JournalInput(sd_event* event, AlertHandler on_alert, RejectHandler on_reject,
               PendingProbe pending);
  Result<void> add_matches(const JournalMatches& matches);
  void seek_start();
  void seek_tail();
  Result<void> watch();
  void read_chunk();
  void handle_entry();
  void save(bool force);
  void update_timeout();
  void wake();

  static int on_io(sd_event_source*, int, uint32_t, void* userdata);
  static int on_time(sd_event_source*, uint64_t, void* userdata);
  static int on_defer(sd_event_source*, void* userdata);

  sd_event* event_;
  JournalPtr journal_;
  EventSourcePtr io_, timer_, defer_;
  AlertHandler on_alert_;
  RejectHandler on_reject_;
  PendingProbe pending_;
  AlertParser parser_;
  Alert alert_;
  JournalFields fields_;

  std::string cursor_path_, description_;
  std::string read_cursor_;       // the last entry of the last chunk handed on
  std::string committed_cursor_;  // ... whose decisions are in the backends
  std::string saved_cursor_;      // ... in the cursor file
  uint64_t last_save_us_ = 0;
  bool current_unread_ = false;  // positioned on an entry not yet handed on
  bool caught_up_ = false;
  bool paused_ = false;
  bool warned_save_ = false;
  uint64_t backlog_entries_ = 0;  // read since the last time the input was caught up
  uint64_t backlog_start_us_ = 0;
  JournalCounters counters_;
};

}  // namespace rampart
