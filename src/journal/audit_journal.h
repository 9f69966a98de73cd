// Writes structured records to journald over its native protocol, without ever blocking the
// daemon: a record the socket cannot take now waits in a bounded queue that an sd-event
// source drains when journald catches up. Beyond the bound, records are dropped and counted
// so that a summary record can say what is missing. sd_journal_sendv() blocks while journald
// is behind (measured here: ~190 us per record once its queue is full), which would make the
// audit trail the bottleneck of a flood.
#pragma once

#include <systemd/sd-event.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

#include "base/fd.h"
#include "base/handles_event.h"
namespace rampart {

// One record in the native protocol: "NAME=value\n", or NAME, '\n', 64-bit little-endian
// length, value, '\n' when the value holds a newline.
class JournalRecord {
 public:
  // Values longer than this are cut: a record must fit one datagram.
  static constexpr size_t kMaxValue = 8192;

  JournalRecord& add(std::string_view name, std::string_view value);
  JournalRecord& add(std::string_view name, uint64_t value);
  void clear() { bytes_.clear(); }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

class JournalWriter {
 public:
  static constexpr std::string_view kSocket = "/run/systemd/journal/socket";
  static constexpr size_t kMaxQueuedBytes = 16 << 20;

  // nullptr when there is no journal socket at `path` (no journald: no structured records).
  static std::unique_ptr<JournalWriter> open(std::string_view path = kSocket);
  ~JournalWriter();  // waits a little for the queue to drain

  // From here on, records the socket cannot take are queued and sent from the loop; before,
  // every send blocks (start-up, a handful of records).
  void attach(sd_event* event);

  // Queues or sends `record`. `droppable` records are dropped (false) when the queue is full;
  // the others are always kept.
  bool send(const JournalRecord& record, bool droppable = true);

  size_t queued() const { return queue_.size(); }
  uint64_t sent() const { return sent_; }

 private:
  JournalWriter(Fd fd, std::string path);
  // 1: sent, 0: would block, -1: failed for good (logged, record discarded).
  int try_send(const std::string& bytes, bool block);
  void drain();
  void reconnect();
  static int on_writable(sd_event_source*, int, uint32_t, void* userdata);

  Fd fd_;
  std::string path_;
  EventSourcePtr source_;
  std::deque<std::string> queue_;
  size_t queued_bytes_ = 0;
  uint64_t sent_ = 0;
  bool warned_ = false;
};

}  // namespace rampart
