#include "journal/journal_input.h"
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "base/atomic_file.h"
#include "base/log.h"
namespace rampart {

namespace {

uint64_t now_us() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000 + uint64_t(ts.tv_nsec) / 1000;
}

std::string read_cursor_file(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace

JournalInput::JournalInput(sd_event* event, AlertHandler on_alert, RejectHandler on_reject,
                           PendingProbe pending)
    : event_(event),
      on_alert_(std::move(on_alert)),
      on_reject_(std::move(on_reject)),
      pending_(std::move(pending)) {}

JournalInput::~JournalInput() {
  save(true);
}

Result<std::unique_ptr<JournalInput>> JournalInput::open(
    sd_event* event, const JournalMatches& matches, const std::string& state_directory,
    AlertHandler on_alert, RejectHandler on_reject, PendingProbe pending) {
  std::unique_ptr<JournalInput> self(
      new JournalInput(event, std::move(on_alert), std::move(on_reject), std::move(pending)));
  std::error_code ec;
  std::filesystem::create_directories(state_directory, ec);
  if (ec)
    return fail(ec.value(), "cannot create the state directory {} for the journal cursor: {}",
                state_directory, ec.message());
  self->cursor_path_ = state_directory + "/journal.cursor";

  sd_journal* j = nullptr;
  if (int r = sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY); r < 0)
    return fail_errno(r, "cannot open the journal");
  self->journal_.reset(j);
  if (auto r = self->add_matches(matches); !r) return std::unexpected(r.error());
  self->seek_start();
  if (auto r = self->watch(); !r) return std::unexpected(r.error());
  self->wake();  // whatever was written after the saved position
  return self;
}

Result<void> JournalInput::add_matches(const JournalMatches& matches) {
  std::string text;
  for (size_t g = 0; g < matches.groups.size(); ++g) {
    if (g > 0) {
      if (int r = sd_journal_add_disjunction(journal_.get()); r < 0)
        return fail_errno(r, "journal match: sd_journal_add_disjunction");
      text += " OR ";
    }
    for (size_t t = 0; t < matches.groups[g].size(); ++t) {
      const std::string& term = matches.groups[g][t];
      if (int r = sd_journal_add_match(journal_.get(), term.data(), term.size()); r < 0)
        return fail_errno(r, "<journal><match>{}</match> is not a valid journal match", term);
      text += (t ? " " : "") + term;
    }
  }
  description_ = "the journal (" + text + ")";
  return {};
}

void JournalInput::seek_tail() {
  // Since systemd 254, next() after seek_tail() returns the last entry again; before, it
  // returns nothing. Stepping back onto the last entry first is right for both.
  sd_journal_seek_tail(journal_.get());
  // No matching entry at all: then systemd 252 never leaves the tail position, and every
  // matching entry that appears is new, so reading from the head is the same and works.
  if (sd_journal_previous(journal_.get()) <= 0) sd_journal_seek_head(journal_.get());
  current_unread_ = false;
}

void JournalInput::seek_start() {
  std::string cursor = read_cursor_file(cursor_path_);
  if (cursor.empty()) {
    log_info("journal: no saved position in {}; reading entries written from now on", cursor_path_);
    seek_tail();
    return;
  }
  if (int r = sd_journal_seek_cursor(journal_.get(), cursor.c_str()); r < 0) {
    log_warning(
        "journal: the saved position in {} is not a valid cursor ({}); reading entries "
        "written from now on",
        cursor_path_, errno_text(r));
    seek_tail();
    return;
  }
  committed_cursor_ = saved_cursor_ = read_cursor_ = cursor;
  int r = sd_journal_next(journal_.get());
  if (r < 0) {
    log_warning(
        "journal: cannot move to the saved position ({}); reading entries written from "
        "now on",
        errno_text(r));
    seek_tail();
  } else if (r == 0) {
    // Nothing at or after the saved position (yet): new entries follow it.
    log_info("journal: resuming after the saved position in {}", cursor_path_);
  } else if (sd_journal_test_cursor(journal_.get(), cursor.c_str()) > 0) {
    log_info("journal: resuming after the saved position in {}", cursor_path_);
  } else {
    // The saved entry is gone (rotated, vacuumed) or no longer matches: the entry found is the
    // first one after it, not yet read.
    log_notice(
        "journal: the saved entry is no longer in the journal; resuming with the next "
        "entry after it");
    current_unread_ = true;
  }
}

Result<void> JournalInput::watch() {
  int fd = sd_journal_get_fd(journal_.get());
  if (fd < 0) return fail_errno(fd, "cannot watch the journal");
  int events = sd_journal_get_events(journal_.get());
  if (events < 0) return fail_errno(events, "cannot watch the journal");
  sd_event_source* s = nullptr;
  if (int r = sd_event_add_io(event_, &s, fd, uint32_t(events), on_io, this); r < 0)
    return fail_errno(r, "cannot watch the journal");
  io_.reset(s);
  if (int r = sd_event_add_time(event_, &s, CLOCK_MONOTONIC, UINT64_MAX, 0, on_time, this); r < 0)
    return fail_errno(r, "cannot add the journal timer");
  timer_.reset(s);
  sd_event_source_set_enabled(s, SD_EVENT_OFF);
  if (int r = sd_event_add_defer(event_, &s, on_defer, this); r < 0)
    return fail_errno(r, "sd_event_add_defer");
  defer_.reset(s);
  // Below the daemon's commit (SD_EVENT_PRIORITY_IDLE): a chunk's decisions reach the kernel
  // before the next chunk is read, and sockets, D-Bus and timers go before both.
  sd_event_source_set_priority(s, SD_EVENT_PRIORITY_IDLE + 1);
  sd_event_source_set_enabled(s, SD_EVENT_OFF);
  update_timeout();
  return {};
}

void JournalInput::wake() {
  if (!paused_) sd_event_source_set_enabled(defer_.get(), SD_EVENT_ONESHOT);
}

void JournalInput::pause(bool on) {
  paused_ = on;
  if (on)
    sd_event_source_set_enabled(defer_.get(), SD_EVENT_OFF);
  else
    wake();  // reads on from the position (a chunk finds nothing if there is nothing)
}

void JournalInput::update_timeout() {
  uint64_t t = UINT64_MAX;
  if (sd_journal_get_timeout(journal_.get(), &t) < 0 || t == UINT64_MAX) {
    sd_event_source_set_enabled(timer_.get(), SD_EVENT_OFF);
    return;
  }
  sd_event_source_set_time(timer_.get(), t);
  sd_event_source_set_enabled(timer_.get(), SD_EVENT_ONESHOT);
}

int JournalInput::on_io(sd_event_source*, int, uint32_t, void* userdata) {
  auto* self = static_cast<JournalInput*>(userdata);
  int r = sd_journal_process(self->journal_.get());
  // SD_JOURNAL_INVALIDATE (files rotated, added or vacuumed) needs nothing more: sd-journal
  // keeps the position across files, and the next chunk reads on from it.
  if (r < 0) log_warning_errno(r, "journal: sd_journal_process");
  if (r != SD_JOURNAL_NOP) self->wake();
  self->update_timeout();
  return 0;
}

int JournalInput::on_time(sd_event_source*, uint64_t, void* userdata) {
  return on_io(nullptr, -1, 0, userdata);
}

int JournalInput::on_defer(sd_event_source*, void* userdata) {
  static_cast<JournalInput*>(userdata)->read_chunk();
  return 0;
}

void JournalInput::read_chunk() {
  if (caught_up_ || backlog_entries_ == 0) backlog_start_us_ = now_us();
  size_t n = 0;
  bool more = true;
  while (n < kChunk && !paused_) {
    if (current_unread_) {
      current_unread_ = false;
    } else {
      int r = sd_journal_next(journal_.get());
      if (r < 0) log_warning_errno(r, "journal: cannot read the next entry");
      if (r <= 0) {
        more = false;
        break;
      }
    }
    ++n;
    handle_entry();
  }
  if (n > 0) {
    char* c = nullptr;
    if (sd_journal_get_cursor(journal_.get(), &c) >= 0) {
      read_cursor_ = c;
      free(c);
    }
  }
  caught_up_ = !more;
  backlog_entries_ += n;
  if (more) {
    wake();
  } else {
    if (backlog_entries_ > kChunk) {
      double s = double(now_us() - backlog_start_us_) / 1e6;
      log_info("journal: caught up after reading {} entries in {:.2f} s ({:.0f} entries/s)",
               backlog_entries_, s, backlog_entries_ / std::max(s, 1e-6));
    }
    backlog_entries_ = 0;
  }
  // Nothing waits for the backends (the alerts decided nothing, or it was committed
  // already): the position may move now.
  if (n > 0 && !pending_()) committed();
}

void JournalInput::handle_entry() {
  sd_journal* j = journal_.get();
  fields_.clear();
  sd_journal_get_realtime_usec(j, &fields_.realtime_us);
  const void* data = nullptr;
  size_t length = 0;
  sd_journal_restart_data(j);
  while (sd_journal_enumerate_available_data(j, &data, &length) > 0)
    fields_.set(std::string_view(static_cast<const char*>(data), length));
  ++counters_.entries;
  if (auto r = alert_from_journal(fields_, parser_, alert_); !r) {
    ++counters_.rejected;
    std::string_view sample;
    if (fields_.has(JournalFields::kMessage))
      sample = std::string_view(fields_.value[JournalFields::kMessage]).substr(0, 80);
    on_reject_(r.error().message, sample);
    return;
  }
  ++counters_.alerts;
  on_alert_(alert_);
}

void JournalInput::committed() {
  committed_cursor_ = read_cursor_;
  save(false);
}

void JournalInput::save(bool force) {
  if (committed_cursor_.empty() || committed_cursor_ == saved_cursor_) return;
  uint64_t now = now_us();
  if (!force && !caught_up_ && now - last_save_us_ < kSaveIntervalUs) return;
  if (auto r = write_file_atomically(cursor_path_, committed_cursor_ + "\n"); !r) {
    if (!warned_save_)
      log_warning(
          "journal: cannot save the position: {}; after a restart, entries since the "
          "last saved position are read again",
          r.error().message);
    warned_save_ = true;
    return;
  }
  warned_save_ = false;
  saved_cursor_ = committed_cursor_;
  last_save_us_ = now;
  ++counters_.saves;
}

}  // namespace rampart
