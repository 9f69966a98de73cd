// What must outlive rampartd: the undo actions of blocks nothing else lifts (exec scripts,
// hosts.deny lines) with their deadlines, and repeated-offender counts. Kernel sets carry their
// own timeouts and need none of this.
//
// Storage: an append-only log (state.log) and a snapshot (state.snapshot) in
// <state_directory>. Why not SQLite: the whole state already lives in memory (the enforcer
// needs it), records are tiny and only ever replaced or removed whole, and one loop turn's
// records become one write() and one fdatasync(): a log gives crash safety and 1M records per
// second without a dependency or a schema. A crash can only cut the last line short; loading
// ignores a line without its newline. When the log outgrows the snapshot, the snapshot is
// rewritten (temp file + fsync + rename) and the log truncated; replaying an old log over a
// newer snapshot gives the same state, so a crash between the two steps loses nothing.
//
// A full or failing disk never stops enforcement: the records stay in memory, a short write is
// cut off the log again, the error is logged at most once a minute, and writing is retried
// (1 s, doubling up to 10 s). Past 1 MiB of unwritten records the buffer is dropped and the
// next successful write is a snapshot of memory, which holds everything the buffer held.
#pragma once

#include <systemd/sd-event.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/address.h"
#include "base/error.h"
#include "base/fd.h"
#include "base/handles_event.h"
#include "base/log.h"
#include "config/config.h"
#include "exec/exec_protocol.h"
namespace rampart {

// A block's undo, written before the block's action starts.
struct UndoRecord {
  CommandKind kind = CommandKind::Exec;
  std::string command;
  Address address;
  uint64_t deadline_us = 0;  // CLOCK_REALTIME; 0 = no timeout
  uint32_t rule_id = 0;
  bool confirmed = false;  // the add finished; false: it may not have run (crash in between)
  std::string rkey;        // exec: the check_keys key this block holds ("" = none)
  ExecRequest request;     // exec: how to run the delete
};

struct OffenceRecord {
  uint32_t count = 0;
  uint64_t last_sec = 0;  // CLOCK_REALTIME seconds of the last offence
};

// One record per line, tab-separated, escaped; exposed for tests.
std::string encode_undo(const UndoRecord& record);
std::string encode_offence(std::string_view command, const Address& address,
                           const OffenceRecord& offence);

class StateStore {
 public:
  // Creates the directory (0700) when missing, loads snapshot and log, compacts, and takes a
  // lock so two daemons never share one state directory.
  static Result<std::unique_ptr<StateStore>> open(const std::string& directory);
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  // Exec blocks have one undo per (command, address), like execd; every other kind one per
  // address (the command is kept as data).
  void put(const UndoRecord& record);
  void erase(CommandKind kind, std::string_view command, const Address& address);
  const UndoRecord* find(CommandKind kind, std::string_view command, const Address& address) const;
  std::vector<UndoRecord> undo_records(CommandKind kind) const;
  size_t undo_count() const { return undo_.size(); }

  void put_offence(std::string_view command, const Address& address, const OffenceRecord& offence);
  void for_each_offence(
      const std::function<void(std::string_view, const Address&, const OffenceRecord&)>& f) const;
  size_t offence_count() const { return offences_.size(); }
  // Snapshots leave out counts quiet for `sec` (the reset window): they start over anyway.
  void set_offence_ttl(uint64_t sec) { offence_ttl_sec_ = sec; }

  // Writes what was recorded since the last flush with one write and one fdatasync (or, after
  // a failure that lost track of the log, a snapshot).
  Result<void> flush();
  bool dirty() const { return !buffer_.empty() || needs_snapshot_; }
  // The last write failed; records are kept in memory and retried.
  bool failing() const { return failing_; }
  // Rewrites the snapshot from memory and empties the log.
  Result<void> compact();
  // Flushes at the end of every loop turn that recorded something, and retries failed writes.
  void attach(sd_event* event);

  uint64_t log_bytes() const { return log_bytes_; }
  const std::string& directory() const { return directory_; }

 private:
  struct OffenceKey {
    Address address;
    uint16_t command = 0;
    bool operator==(const OffenceKey&) const = default;
  };
  struct OffenceKeyHash {
    size_t operator()(const OffenceKey& k) const noexcept {
      return AddressHash{}(k.address) ^ (size_t{k.command} * 0x9e3779b97f4a7c15ull);
    }
  };

  StateStore() = default;
  static std::string undo_key(CommandKind kind, std::string_view command, const Address& address);
  uint16_t intern(std::string_view command);
  void append(std::string line);
  // Applies one line of the snapshot or the log; false when it is not a record.
  bool load_line(std::string_view line);
  Result<void> load_file(const std::string& path, size_t* ignored);
  Result<void> write_log();
  Result<void> write_snapshot(const std::string& tmp);
  void failed(const Error& error);
  void recovered();
  static int on_flush(sd_event_source*, void* userdata);
  static int on_retry(sd_event_source*, uint64_t, void* userdata);

  std::string directory_;
  Fd lock_, log_;
  std::unordered_map<std::string, UndoRecord> undo_;
  std::unordered_map<OffenceKey, OffenceRecord, OffenceKeyHash> offences_;
  std::vector<std::string> commands_;
  std::unordered_map<std::string, uint16_t> command_ids_;
  std::string buffer_;
  uint64_t log_bytes_ = 0;
  uint64_t snapshot_bytes_ = 0;
  uint64_t offence_ttl_sec_ = 0;
  uint16_t last_command_ = UINT16_MAX;
  bool cut_tail_ = false;
  EventSourcePtr flush_source_, retry_source_;
  sd_event* event_ = nullptr;

  // Write failures (a full disk): memory is the truth until a write succeeds again.
  bool failing_ = false;
  bool needs_snapshot_ = false;  // the log cannot be trusted to continue; write a snapshot
  uint64_t failures_ = 0;
  uint64_t failing_since_us_ = 0;
  uint64_t retry_delay_us_ = 0;
  uint64_t compact_after_us_ = 0;  // a failed compaction of a healthy log waits this long
  RateLimit error_log_{60'000'000, 1};
};

}  // namespace rampart
