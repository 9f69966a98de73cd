// rampart's own durable record of its nftables blocks, in <state_directory>:
//   nftables.blocks  the base: every block at one moment (table/block_snapshot.h), written
//                    atomically at a clean stop and whenever the log has grown large;
//   nftables.log     every change sent to the kernel since (nft/nft_log.h), appended before
//                    the transaction that carries it, with a marker of the generation the
//                    ruleset reached after it.
// A start reads both instead of dumping the kernel's sets, and after a reboot puts every block
// that has time left back into the kernel.
//
// Durability: a write() per transaction reaches the page cache before the kernel sees the
// change, so a killed rampartd loses nothing; fdatasync runs at most once a second (a power
// cut loses at most the last second of changes). A failed write removes both files (the next
// start then reads the kernel, as rampart did before it kept a record) and writing starts
// over with a new base once it works again.
#pragma once

#include <systemd/sd-event.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/error.h"
#include "base/fd.h"
#include "base/handles_event.h"
#include "nft/nft_log.h"
#include "table/block_snapshot.h"
namespace rampart {

// What a start or a repair still has to do with the kernel, a slice per loop turn, while
// rampartd already serves (nft_reconcile.cc).
enum class NftWork : uint8_t {
  None,
  // The kernel lacks the blocks (a reboot, a table removed while rampartd was down): add
  // every block again, with what is left of its time.
  Readd,
  // Someone changed the ruleset while rampartd was down: look every block up; what the
  // kernel no longer has was lifted, a different timeout is the kernel's.
  Verify,
  // The ruleset was rebuilt while running: look every block up, add what is missing.
  Repair,
};

// What a start knows when it decides how far to trust the record.
struct NftStartFacts {
  NftMarker marker;  // the record's last
  bool marker_this_boot = false;
  bool tail = false;  // changes were recorded after that marker (a crash before the next)
  uint64_t netns = 0;
  // The ruleset's generation before rampartd touched it, read once the monitor listened
  // (which then sees every later change to the table).
  uint32_t generation = 0;
  bool table_whole = false;  // the table, its sets and chains with their rules, then
};

struct NftStartPlan {
  NftWork work = NftWork::None;
  // Nothing changed since the marker: the recorded changes after it never reached the kernel.
  bool drop_tail = false;
  std::string why;  // when there is work
};

// Pure: the record's last marker against the kernel now.
NftStartPlan plan_start(const NftStartFacts& facts, std::string_view table);

// This boot: under the unit, a random id kept in $RUNTIME_DIRECTORY (a tmpfs that is empty
// after every boot; ProcSubset=pid hides the kernel's boot id); elsewhere the kernel's
// /proc/sys/kernel/random/boot_id.
Result<std::array<uint8_t, 16>> nft_boot_id();

class NftRecord {
 public:
  struct Loaded {
    BlockSnapshot base;  // deadlines already in this boot's monotonic clock
    NftLog log;          // likewise
    NftMarker marker;    // the last one written (the log's, else the base's)
    bool marker_this_boot = false;
  };

  // Nothing is read or written yet. `event` runs the once-a-second sync.
  static Result<std::unique_ptr<NftRecord>> open(std::string directory, std::string table,
                                                 sd_event* event);
  ~NftRecord();
  NftRecord(const NftRecord&) = delete;
  NftRecord& operator=(const NftRecord&) = delete;

  // What the last run left; nullopt (and `why`) when there is no usable record. Afterwards
  // the log is open for appending (a torn tail cut off); without a record, rebase() first.
  std::optional<Loaded> load(std::string& why);

  // Starts over from `snapshot` (the blocks now; origin filled in here from `marker`): a new
  // base, an empty log.
  Result<void> rebase(BlockSnapshot snapshot, const NftMarker& marker);
  // The log has outgrown its base: time to rebase.
  bool wants_rebase() const;

  // Records go here; append() writes them as one frame.
  NftLogWriter& writer() { return writer_; }
  void append();
  // fdatasync now (a clean stop).
  void sync();

  const NftClock& clock() const { return clock_; }
  uint64_t netns() const { return netns_; }
  std::string base_path() const;
  std::string log_path() const;
  uint64_t log_bytes() const { return log_bytes_; }

 private:
  NftRecord() = default;
  std::optional<BlockSnapshot> load_base(std::string& why);
  size_t load_log(Loaded& out);
  Result<void> start_log(uint64_t epoch, bool fresh, size_t keep_bytes);
  void failed(const std::string& message);
  static int on_sync(sd_event_source*, uint64_t, void* userdata);

  std::string directory_, table_;
  sd_event* event_ = nullptr;
  NftClock clock_;
  uint64_t netns_ = 0;
  uint64_t epoch_ = 0;
  Fd log_;
  NftLogWriter writer_;
  uint64_t log_bytes_ = 0, base_bytes_ = 0;
  bool unsynced_ = false;
  bool broken_ = false;  // a write failed: nothing is appended until the next rebase
  uint64_t retry_at_us_ = 0;
  EventSourcePtr sync_timer_;
};

}  // namespace rampart
