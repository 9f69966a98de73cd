// Blocklist feeds in rampartd: each <blocklist> file is watched, parsed, merged, cut around
// what must stay reachable and replaced in the kernel in one transaction; a file that does not
// parse leaves the loaded list as it is. Only the nftables backend can hold feeds.
#pragma once

#include <systemd/sd-event.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/address_range.h"
#include "base/handles_event.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/feed_status.h"
#include "feed/feed_list.h"
#include "feed/feed_watch.h"
#include "journal/audit.h"
#include "nft/nft_firewall.h"
namespace rampart {

class DaemonFeeds {
 public:
  // `nft` may be null (firewalld, --dry-run): configured lists then report why they cannot load.
  DaemonFeeds(sd_event* event, NftFirewall* nft, Audit& audit, const Clock& clock)
      : event_(event), nft_(nft), audit_(audit), clock_(clock) {}

  // Takes the config's lists (at start and on reload): watches their files, loads them all,
  // and removes the sets of lists that are no longer configured.
  void configure(const Config& config, const std::vector<Address>& host_addresses);
  // The table was rebuilt after someone removed it: put every loaded list back.
  void restore();
  std::vector<FeedStatus> status() const;

 private:
  struct Feed {
    Blocklist config;
    FeedStatus status;
    std::vector<AddressRange> ranges;  // as loaded (kept for restore())
    bool loaded = false;
  };
  // A list read and parsed, on its way to the kernel.
  struct Parsed {
    size_t index;
    FeedList list;
    uint64_t started_us;
    std::optional<RangeDiff> delta;  // against what the kernel holds, when that is known
  };
  // Reads and parses the files of `which` and sends those that parse in one transaction.
  void load(const std::vector<size_t>& which);
  // One transaction for `parsed` (and the removed lists): only their differences when
  // `deltas`, else the whole lists.
  Result<void> send(const std::vector<Parsed>& parsed, bool deltas);
  void loaded(Parsed& parsed);
  void refuse(Feed& feed, std::string error);
  // Watches the files; a directory that does not exist yet (the first download has not run)
  // is tried again every 10 s, and its lists are loaded once it is there.
  void watch();
  static int on_retry(sd_event_source*, uint64_t, void* userdata);

  sd_event* event_;
  NftFirewall* nft_;
  Audit& audit_;
  const Clock& clock_;
  std::vector<Feed> feeds_;
  std::vector<FeedExclusion> exclude_;
  std::vector<std::string> removed_;  // left by an earlier configuration, to delete
  std::unique_ptr<FeedWatch> watch_;
  EventSourcePtr retry_;
  std::vector<size_t> unwatched_;  // lists whose directory could not be watched
};

}  // namespace rampart
