#include "daemon/daemon_feeds.h"
#include <fcntl.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>

#include "base/fd.h"
#include "base/log.h"
namespace rampart {
namespace {

// The kernel inserts interval elements one by one: a list of a million prefixes keeps
// sendmsg() busy for tens of seconds, longer than the unit's WatchdogSec. Around a large load
// the watchdog timeout is raised (WATCHDOG_USEC=, systemd >= 236) and put back after. At a
// start or a reload (before READY=1) the load also counts against TimeoutStartSec: systemd
// hears that it goes on (EXTEND_TIMEOUT_USEC=, ignored once the service is running).
class WatchdogExtension {
 public:
  explicit WatchdogExtension(size_t elements) {
    if (elements < kLarge) return;
    // A generous bound: 60 µs per element measured on a loaded 2-core machine, times four.
    uint64_t need = uint64_t(elements) * 240;
    sd_notifyf(0, "EXTEND_TIMEOUT_USEC=%llu", static_cast<unsigned long long>(need));
    if (sd_watchdog_enabled(0, &usec_) <= 0) return;
    need = std::max<uint64_t>(usec_, need);
    sd_notifyf(0, "WATCHDOG=1\nWATCHDOG_USEC=%llu", static_cast<unsigned long long>(need));
    extended_ = true;
  }
  ~WatchdogExtension() {
    if (extended_)
      sd_notifyf(0, "WATCHDOG=1\nWATCHDOG_USEC=%llu", static_cast<unsigned long long>(usec_));
  }
  WatchdogExtension(const WatchdogExtension&) = delete;
  WatchdogExtension& operator=(const WatchdogExtension&) = delete;

 private:
  static constexpr size_t kLarge = 100000;
  uint64_t usec_ = 0;
  bool extended_ = false;
};

Result<std::string> read_whole(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail_errno(errno, "cannot read {}", path);
  std::string text;
  char buf[1 << 16];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno(errno, "reading {}", path);
    if (n == 0) return text;
    text.append(buf, static_cast<size_t>(n));
  }
}

// What a feed must never block: the allowlist, the ranges rampart never blocks, this host.
std::vector<FeedExclusion> exclusions(const Config& config, const std::vector<Address>& host) {
  std::vector<FeedExclusion> out;
  for (const Address& p : config.allowlist.prefixes()) out.push_back({p, "allowlisted"});
  for (const NeverBlockRange& r : never_block_ranges(config.settings.allow_link_local))
    out.push_back({r.prefix, std::string(r.why)});
  for (const Address& a : host) out.push_back({a, "address of this host"});
  return out;
}

}  // namespace

void DaemonFeeds::configure(const Config& config, const std::vector<Address>& host_addresses) {
  std::vector<Feed> next;
  for (const Blocklist& list : config.settings.blocklists) {
    Feed feed;
    feed.config = list;
    feed.status.name = list.name;
    feed.status.file = list.file;
    // A list that stays configured keeps what it loaded until its file loads again.
    for (Feed& old : feeds_)
      if (old.config.name == list.name) {
        feed.status = old.status;
        feed.status.file = list.file;
        feed.ranges = std::move(old.ranges);
        feed.loaded = old.loaded;
      }
    next.push_back(std::move(feed));
  }
  std::set<std::string> keep;
  for (const Feed& f : next) keep.insert(f.config.name);
  removed_.clear();
  for (const Feed& f : feeds_)
    if (!keep.contains(f.config.name)) removed_.push_back(f.config.name);
  feeds_ = std::move(next);
  exclude_ = exclusions(config, host_addresses);
  if (!nft_) {
    for (Feed& f : feeds_)
      refuse(f, "blocklists need the nftables backend (not firewalld, not --dry-run)");
    return;
  }
  // Sets of lists an earlier configuration (or run) had and this one does not.
  if (auto names = nft_->set_names()) {
    for (const std::string& set : *names) {
      if (!set.starts_with("feed_") || !set.ends_with("4")) continue;
      std::string name = set.substr(5, set.size() - 6);
      if (!keep.contains(name) &&
          std::find(removed_.begin(), removed_.end(), name) == removed_.end())
        removed_.push_back(name);
    }
  }
  unwatched_.clear();
  watch();
  std::vector<size_t> all;
  for (size_t i = 0; i < feeds_.size(); ++i) all.push_back(i);
  load(all);
}

void DaemonFeeds::watch() {
  std::vector<std::string> files;
  for (const Feed& f : feeds_) files.push_back(f.config.file);
  std::vector<std::pair<size_t, Error>> errors;
  watch_.reset();
  watch_ = FeedWatch::open(
      event_, files, [this](size_t i) { load({i}); }, errors);
  bool first = unwatched_.empty();
  unwatched_.clear();
  for (const auto& [i, e] : errors) {
    if (first)
      log_error("blocklist {}: {}; trying again every 10 s", feeds_[i].config.name, e.message);
    unwatched_.push_back(i);
  }
  retry_.reset();
  if (unwatched_.empty()) return;
  sd_event_source* s = nullptr;
  if (sd_event_add_time_relative(event_, &s, CLOCK_MONOTONIC, 10 * 1000000ull, 0, on_retry, this) >=
      0)
    retry_.reset(s);
}

int DaemonFeeds::on_retry(sd_event_source*, uint64_t, void* userdata) {
  auto* self = static_cast<DaemonFeeds*>(userdata);
  std::vector<size_t> before = self->unwatched_;
  self->watch();
  std::vector<size_t> now_watched;
  for (size_t i : before)
    if (std::find(self->unwatched_.begin(), self->unwatched_.end(), i) == self->unwatched_.end())
      now_watched.push_back(i);
  if (!now_watched.empty()) self->load(now_watched);
  return 0;
}

void DaemonFeeds::refuse(Feed& feed, std::string error) {
  feed.status.last_error = std::move(error);
  audit_.feed_refused(feed.status);
}

void DaemonFeeds::load(const std::vector<size_t>& which) {
  std::vector<Parsed> parsed;
  for (size_t i : which) {
    Feed& feed = feeds_[i];
    uint64_t start = clock_.monotonic_us();
    auto text = read_whole(feed.config.file);
    if (!text) {
      refuse(feed, text.error().message + "; the previous list stays");
      continue;
    }
    auto list = parse_feed(*text, feed.config.file, feed.config.max_entries, exclude_);
    if (!list) {
      refuse(feed, list.error().message);
      continue;
    }
    Parsed p{i, std::move(*list), start, std::nullopt};
    if (feed.loaded) {
      RangeDiff d = diff_ranges(feed.ranges, p.list.ranges);
      if (d.removed.size() + d.added.size() < p.list.ranges.size()) p.delta = std::move(d);
    }
    parsed.push_back(std::move(p));
  }
  if (parsed.empty() && removed_.empty()) return;
  auto sent = send(parsed, true);
  // A difference assumes the kernel holds what was loaded last; when it does not (someone
  // changed the set) the kernel refuses it whole, and the whole list goes instead.
  bool any_delta = std::any_of(parsed.begin(), parsed.end(),
                               [](const Parsed& p) { return p.delta.has_value(); });
  if (!sent && any_delta) sent = send(parsed, false);
  if (!sent) {
    for (Parsed& p : parsed)
      refuse(feeds_[p.index], fmt::format("nftables refused the list: {}; the previous list stays",
                                          sent.error().message));
    return;
  }
  for (const std::string& name : removed_)
    log_info("blocklist {}: removed (no longer configured)", name);
  removed_.clear();
  for (Parsed& p : parsed) loaded(p);
}

Result<void> DaemonFeeds::send(const std::vector<Parsed>& parsed, bool deltas) {
  NftFeedPlan plan;
  for (const Feed& f : feeds_) plan.feeds.push_back(f.config.name);
  plan.removed = removed_;
  size_t elements = 0;
  for (const Parsed& p : parsed) {
    const std::string& name = feeds_[p.index].config.name;
    if (deltas && p.delta) {
      plan.loads.push_back({name, p.delta->added, p.delta->removed});
      elements += 2 * (p.delta->added.size() + p.delta->removed.size());
    } else {
      plan.loads.push_back({name, p.list.ranges, std::nullopt});
      elements += 2 * p.list.ranges.size();
    }
  }
  WatchdogExtension patience(elements);
  return nft_->load_feeds(plan);
}

void DaemonFeeds::loaded(Parsed& p) {
  Feed& feed = feeds_[p.index];
  feed.status.entries = p.list.entries;
  feed.status.ranges = p.list.ranges.size();
  feed.status.cuts = p.list.cuts.size();
  feed.status.last_load_us = clock_.realtime_us();
  feed.status.load_duration_us = clock_.monotonic_us() - p.started_us;
  feed.status.last_error.clear();
  feed.ranges = std::move(p.list.ranges);
  feed.loaded = true;
  audit_.feed_loaded(feed.status, p.list.cuts);
}

void DaemonFeeds::restore() {
  if (!nft_ || feeds_.empty()) return;
  NftFeedPlan plan;
  size_t elements = 0;
  for (const Feed& f : feeds_) {
    plan.feeds.push_back(f.config.name);
    if (f.loaded) plan.loads.push_back({f.config.name, f.ranges, std::nullopt});
    elements += f.loaded ? 2 * f.ranges.size() : 0;
  }
  WatchdogExtension patience(elements);
  if (auto r = nft_->load_feeds(plan); !r)
    log_error("blocklists could not be put back after the table was rebuilt: {}",
              r.error().message);
  else
    log_warning("put {} blocklists back after the table was rebuilt", plan.loads.size());
}

std::vector<FeedStatus> DaemonFeeds::status() const {
  std::vector<FeedStatus> out;
  for (const Feed& f : feeds_) out.push_back(f.status);
  return out;
}

}  // namespace rampart
