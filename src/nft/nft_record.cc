#include "nft/nft_record.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-id128.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "base/atomic_file.h"
#include "base/log.h"
namespace rampart {
namespace {

// The log is rebased when it grows past this, or past twice the base: a start replays at most
// a few times the table, and rewriting the base costs little per change.
constexpr uint64_t kMinRebaseBytes = 64 << 20;
constexpr uint64_t kSyncDelayUs = 1'000'000;
// After a failed write, a new base is tried no more often than this.
constexpr uint64_t kRetryUs = 10'000'000;

uint64_t monotonic_us() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000 + uint64_t(ts.tv_nsec) / 1000;
}

int64_t clock_offset_us() {
  timespec real{}, mono{};
  clock_gettime(CLOCK_REALTIME, &real);
  clock_gettime(CLOCK_MONOTONIC, &mono);
  return (int64_t{real.tv_sec} - mono.tv_sec) * 1'000'000 + (real.tv_nsec - mono.tv_nsec) / 1000;
}

Result<std::string> read_file(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail_errno(errno);
  std::string bytes;
  struct stat st {};
  if (fstat(fd.get(), &st) == 0) bytes.resize(static_cast<size_t>(st.st_size));
  size_t have = 0;
  while (true) {
    if (have == bytes.size()) bytes.resize(bytes.size() + (1 << 16));
    ssize_t n = ::read(fd.get(), bytes.data() + have, bytes.size() - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno(errno);
    if (n == 0) break;
    have += static_cast<size_t>(n);
  }
  bytes.resize(have);
  return bytes;
}

std::optional<std::array<uint8_t, 16>> parse_id(std::string_view text) {
  sd_id128_t id;
  std::string z(text.substr(0, 32));
  if (z.size() != 32 || sd_id128_from_string(z.c_str(), &id) < 0) return std::nullopt;
  std::array<uint8_t, 16> out;
  std::memcpy(out.data(), id.bytes, out.size());
  return out;
}

}  // namespace

NftStartPlan plan_start(const NftStartFacts& f, std::string_view table) {
  if (!f.marker_this_boot) return {NftWork::Readd, false, "the record is from another boot"};
  if (f.marker.netns != f.netns)
    return {f.table_whole ? NftWork::Verify : NftWork::Readd, false,
            "the record is of another network namespace"};
  if (!f.table_whole)
    return {NftWork::Readd, false, fmt::format("table inet {} is not whole", table)};
  if (f.marker.state == RecordState::NeedsReadd)
    return {NftWork::Repair, false, "re-adding the blocks was not finished"};
  if (f.marker.state == RecordState::NeedsVerify)
    return {NftWork::Verify, false, "checking the blocks against the kernel was not finished"};
  if (f.marker.genid == f.generation) return {NftWork::None, f.tail, {}};
  return {NftWork::Verify, false,
          fmt::format("nftables changed since the record (generation {} then, {} now)",
                      f.marker.genid, f.generation)};
}

Result<std::array<uint8_t, 16>> nft_boot_id() {
  const char* runtime = getenv("RUNTIME_DIRECTORY");
  if (runtime && *runtime) {
    std::string dir(runtime);
    dir = dir.substr(0, dir.find(':'));  // the first, when the unit names several
    std::string path = dir + "/boot-id";
    if (auto text = read_file(path))
      if (auto id = parse_id(*text)) return *id;
    sd_id128_t fresh;
    if (int r = sd_id128_randomize(&fresh); r < 0)
      return fail_errno(r, "cannot make a boot id for {}", path);
    char text[SD_ID128_STRING_MAX];
    if (auto r = write_file_atomically(path, std::string(sd_id128_to_string(fresh, text)) + "\n");
        !r)
      return fail(r.error().code, "cannot keep this boot's id: {}", r.error().message);
    std::array<uint8_t, 16> out;
    std::memcpy(out.data(), fresh.bytes, out.size());
    return out;
  }
  sd_id128_t boot;
  if (int r = sd_id128_get_boot(&boot); r < 0) return fail_errno(r, "cannot read the boot id");
  std::array<uint8_t, 16> out;
  std::memcpy(out.data(), boot.bytes, out.size());
  return out;
}

Result<std::unique_ptr<NftRecord>> NftRecord::open(std::string directory, std::string table,
                                                   sd_event* event) {
  std::unique_ptr<NftRecord> self(new NftRecord());
  self->directory_ = std::move(directory);
  self->table_ = std::move(table);
  self->event_ = event;
  auto boot = nft_boot_id();
  if (!boot) return std::unexpected(boot.error());
  self->clock_.boot_id = *boot;
  self->clock_.offset_us = clock_offset_us();
  struct stat st {};
  if (stat("/proc/self/ns/net", &st) != 0)
    return fail_errno(errno, "cannot identify the network namespace");
  self->netns_ = st.st_ino;
  if (mkdir(self->directory_.c_str(), 0700) != 0 && errno != EEXIST)
    return fail_errno(errno, "cannot create the state directory {}", self->directory_);
  return self;
}

NftRecord::~NftRecord() = default;

std::string NftRecord::base_path() const {
  return directory_ + "/nftables.blocks";
}
std::string NftRecord::log_path() const {
  return directory_ + "/nftables.log";
}

std::optional<NftRecord::Loaded> NftRecord::load(std::string& why) {
  auto base = load_base(why);
  if (!base) return std::nullopt;
  Loaded out;
  out.base = std::move(*base);
  const SnapshotOrigin& origin = out.base.origin;
  out.marker = {origin.state, origin.genid, origin.netns};
  out.marker_this_boot = origin.boot_id == clock_.boot_id;
  size_t keep = load_log(out);
  epoch_ = origin.epoch;
  if (auto r = start_log(epoch_, keep == 0, keep); !r) failed(r.error().message);
  if (keep > 0) writer_.seed(out.log.names);
  return out;
}

// The base, with its deadlines carried into this boot.
std::optional<BlockSnapshot> NftRecord::load_base(std::string& why) {
  auto bytes = read_file(base_path());
  if (!bytes) {
    why = bytes.error().code == ENOENT
              ? "no record of the blocks"
              : fmt::format("cannot read {}: {}", base_path(), bytes.error().message);
    return std::nullopt;
  }
  base_bytes_ = bytes->size();
  auto base = decode_snapshot(*bytes, base_path());
  bytes->clear();
  bytes->shrink_to_fit();
  if (!base) {
    why = base.error().message;
    return std::nullopt;
  }
  const SnapshotOrigin& origin = base->origin;
  if (origin.table != table_) {
    why = fmt::format("the record is of table inet {}", origin.table);
    return std::nullopt;
  }
  if (origin.boot_id != clock_.boot_id) {
    if (!origin.clock_known) {
      why = "the record is from another boot and from an older rampart";
      return std::nullopt;
    }
    for (SnapshotBlock& b : base->blocks)
      b.expiry_us = nft_carry_deadline(b.expiry_us, origin.clock_offset_us, clock_.offset_us);
  }
  return std::move(*base);
}

// The log on top of the base in `out`; returns how many of its bytes are whole (0: start a
// new log).
size_t NftRecord::load_log(Loaded& out) {
  clock_.offset_us = clock_offset_us();
  auto text = read_file(log_path());
  if (!text) return 0;
  auto log = decode_nft_log(*text, clock_, log_path());
  if (!log) {
    log_warning("{}; ignoring it (the blocks of {} and a check against the kernel stand in)",
                log.error().message, base_path());
    out.marker.state = RecordState::NeedsVerify;
    return 0;
  }
  // Another epoch: a crash between writing a new base and starting its log. The base already
  // holds everything that log said.
  if (log->epoch != out.base.origin.epoch || log->table != table_) return 0;
  if (log->valid_bytes < text->size())
    log_warning("{}: {} bytes of an interrupted write at its end are ignored", log_path(),
                text->size() - log->valid_bytes);
  size_t keep = log->valid_bytes;
  out.log = std::move(*log);
  if (out.log.marker) {
    out.marker = *out.log.marker;
    out.marker_this_boot = out.log.marker_this_boot;
  }
  return keep;
}

Result<void> NftRecord::start_log(uint64_t epoch, bool fresh, size_t keep_bytes) {
  log_.reset();
  writer_.restart();
  if (fresh) {
    if (auto r = write_file_atomically(log_path(), encode_nft_log_header(epoch, table_)); !r)
      return r;
    keep_bytes = encode_nft_log_header(epoch, table_).size();
  }
  Fd fd(::open(log_path().c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return fail_errno(errno, "cannot open {}", log_path());
  if (ftruncate(fd.get(), static_cast<off_t>(keep_bytes)) != 0 || lseek(fd.get(), 0, SEEK_END) < 0)
    return fail_errno(errno, "cannot cut {} to its whole records", log_path());
  log_ = std::move(fd);
  log_bytes_ = keep_bytes;
  return {};
}

Result<void> NftRecord::rebase(BlockSnapshot snapshot, const NftMarker& marker) {
  clock_.offset_us = clock_offset_us();
  SnapshotOrigin& o = snapshot.origin;
  o.boot_id = clock_.boot_id;
  o.netns = marker.netns;
  o.genid = marker.genid;
  o.state = marker.state;
  o.table = table_;
  o.clock_offset_us = clock_.offset_us;
  o.clock_known = true;
  o.epoch = epoch_ + 1;
  std::string bytes = encode_snapshot(snapshot);
  if (auto r = write_file_atomically(base_path(), bytes); !r) {
    failed(r.error().message);
    return r;
  }
  epoch_ = o.epoch;
  base_bytes_ = bytes.size();
  if (auto r = start_log(epoch_, true, 0); !r) {
    failed(r.error().message);
    return r;
  }
  broken_ = false;
  unsynced_ = false;
  return {};
}

bool NftRecord::wants_rebase() const {
  if (broken_) return monotonic_us() >= retry_at_us_;
  return log_bytes_ > std::max(kMinRebaseBytes, 2 * base_bytes_);
}

void NftRecord::append() {
  if (writer_.empty()) return;
  if (broken_ || !log_) {
    writer_.clear();
    return;
  }
  clock_.offset_us = clock_offset_us();
  std::string header = writer_.header(clock_);
  std::string_view payload = writer_.payload();
  iovec iov[2] = {{header.data(), header.size()},
                  {const_cast<char*>(payload.data()), payload.size()}};
  size_t total = header.size() + payload.size();
  ssize_t n;
  do n = writev(log_.get(), iov, 2);
  while (n < 0 && errno == EINTR);
  writer_.clear();
  if (n != static_cast<ssize_t>(total)) {
    // A short write leaves a torn frame, which a start ignores with everything after it.
    failed(fmt::format("cannot write {}: {}", log_path(), n < 0 ? errno_text(errno) : "disk full"));
    return;
  }
  log_bytes_ += total;
  if (unsynced_ || !event_) return;
  unsynced_ = true;
  sd_event_source* s = nullptr;
  if (sd_event_add_time_relative(event_, &s, CLOCK_MONOTONIC, kSyncDelayUs, 100'000, on_sync,
                                 this) >= 0)
    sync_timer_.reset(s);
}

void NftRecord::sync() {
  unsynced_ = false;
  sync_timer_.reset();
  if (log_ && fdatasync(log_.get()) != 0)
    failed(fmt::format("cannot sync {}: {}", log_path(), errno_text(errno)));
}

int NftRecord::on_sync(sd_event_source*, uint64_t, void* userdata) {
  static_cast<NftRecord*>(userdata)->sync();
  return 0;
}

// The record no longer says what the kernel holds: remove it, so that no start trusts it, and
// write a new base at the next chance.
void NftRecord::failed(const std::string& message) {
  if (!broken_)
    log_warning(
        "{}; {} and {} are removed until they can be written again (a start meanwhile "
        "reads the blocks from the kernel)",
        message, base_path(), log_path());
  broken_ = true;
  retry_at_us_ = monotonic_us() + kRetryUs;
  log_.reset();
  unlink(log_path().c_str());
  unlink(base_path().c_str());
}

}  // namespace rampart
