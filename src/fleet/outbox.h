// Orders this node must send, kept until JetStream has stored them: in memory, and on disk in
// <state_directory>/fleet.outbox so that neither a NATS outage nor a restart of rampartd loses
// one. Bounded: past `max` orders a new one is refused (and counted by the caller).
//
// The file is a log of "<id> <subject> <order JSON>" lines, appended once per loop turn; it is
// emptied when everything in it has been acknowledged and rewritten when acknowledged lines
// make up most of it. A line acknowledged but not yet dropped is sent again after a crash,
// which is harmless: JetStream drops a repeated id (Nats-Msg-Id) and orders are idempotent.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/error.h"
#include "base/fd.h"
namespace rampart {

class Outbox {
 public:
  struct Entry {
    std::string id;
    std::string subject;
    std::string text;
    uint64_t sent_us = 0;  // CLOCK_MONOTONIC of the last publish; 0 = waiting to be sent
  };

  // Loads what an earlier run left (every entry waits to be sent again).
  static Result<std::unique_ptr<Outbox>> open(std::string path, size_t max);
  // A clean stop leaves exactly the unacknowledged orders in the file.
  ~Outbox();

  // false when the outbox holds `max` orders already.
  bool add(std::string id, std::string subject, std::string text);
  // Calls `publish` for up to `limit` entries waiting to be sent, oldest first, and marks
  // those it accepted (returned true) as sent at `now_us`. Stops at the first refusal.
  size_t send(size_t limit, uint64_t now_us, const std::function<bool(const Entry&)>& publish);
  void for_each(const std::function<void(const Entry&)>& fn) const {
    for (const auto& [seq, e] : entries_) fn(e);
  }
  // JetStream stored it: forget it, and hand it back (nullopt if it was not here).
  std::optional<Entry> take(std::string_view id);
  // Entries sent before `before_us` (no ack came) wait to be sent again; all of them when
  // `before_us` is UINT64_MAX (the connection was lost).
  size_t resend_older(uint64_t before_us);

  // Writes what was added since the last call; drops or rewrites the file when acknowledged
  // entries make up most of it. Call once per loop turn.
  Result<void> sync();

  size_t size() const { return entries_.size(); }
  size_t waiting() const { return entries_.size() - in_flight_; }
  size_t max() const { return max_; }
  const std::string& path() const { return path_; }

 private:
  Outbox(std::string path, size_t max) : path_(std::move(path)), max_(max) {}
  Result<void> load();
  Result<void> rewrite();
  static void append_line(std::string& out, const Entry& e);
  // The size of line(e).
  static size_t line_bytes(const Entry& e) {
    return e.id.size() + e.subject.size() + e.text.size() + 3;
  }

  std::string path_;
  size_t max_;
  Fd fd_;
  std::map<uint64_t, Entry> entries_;  // by the order they were added
  // Looked up by the ids in acks: a string_view finds without a copy.
  struct IdHash {
    using is_transparent = void;
    size_t operator()(std::string_view id) const { return std::hash<std::string_view>{}(id); }
  };
  std::unordered_map<std::string, uint64_t, IdHash, std::equal_to<>> by_id_;
  uint64_t next_ = 0;
  uint64_t unwritten_from_ = 0;  // entries_ keys >= this are not in the file yet
  uint64_t unsent_from_ = 0;     // every entry below this key has been sent
  size_t in_flight_ = 0;
  size_t file_bytes_ = 0;
  size_t live_bytes_ = 0;
};

}  // namespace rampart
