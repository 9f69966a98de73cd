// The nftables firewall as one Backend, owning its whole lifecycle the way FirewalldBackend
// owns firewalld's: it creates rampart's table, sets and chains, puts the blocks that are
// already in the kernel into the enforcer at start, watches the ruleset for other processes'
// changes (and rebuilds it after a flush or a deleted table), and saves the block snapshot at
// a clean stop. The daemon only opens it, hands it to the enforcer and stops it.
#pragma once

#include <systemd/sd-event.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "core/backend.h"
#include "core/clock.h"
#include "core/enforcer.h"
#include "nft/nft_backend.h"
#include "nft/nft_feed.h"
#include "nft/nft_monitor.h"
namespace rampart {

struct NftFirewallCounters {
  NftCounters kernel;          // transactions sent
  NftMonitorCounters monitor;  // notifications read
  uint64_t repairs = 0;        // times the table was rebuilt after someone removed it
};

class NftFirewall final : public Backend {
 public:
  struct Options {
    std::string table;            // inet <table>
    std::string state_directory;  // where the block snapshot of a clean stop is kept
  };
  // What the firewall needs from the daemon around it.
  struct Hooks {
    // Send what the enforcer has queued now (after a repair queued every block again).
    std::function<void()> commit;
    // The enforcer's table changed outside a commit (blocks forgotten): re-arm the expiry.
    std::function<void()> changed;
    // The table was rebuilt after someone removed it: load what else lives in it (feeds).
    std::function<void()> repaired = [] {};
  };

  // Opens the netlink socket, reads the block snapshot of the last clean stop (before anything
  // of ours moves the generation on), creates what is missing of the ruleset, installs itself
  // as the enforcer's firewall backend, restores the blocks (from the snapshot, or a dump of
  // the sets) and starts watching for changes on `event`.
  static Result<std::unique_ptr<NftFirewall>> open(sd_event* event, Enforcer& enforcer,
                                                   const Clock& clock, Options options,
                                                   Hooks hooks);
  ~NftFirewall() override;
  NftFirewall(const NftFirewall&) = delete;
  NftFirewall& operator=(const NftFirewall&) = delete;

  std::string_view name() const override { return "nftables"; }
  bool expires_by_itself() const override { return true; }
  ApplyResult apply(std::span<const Change> changes) override;

  // At a clean stop, after the last commit: saves the snapshot the next start loads instead
  // of dumping the sets.
  void stop();

  // Blocklist feeds (nft_feed.h): one transaction on the firewall's socket, sent while the
  // monitor pauses when it is large. All of it is applied, or none.
  Result<void> load_feeds(const NftFeedPlan& plan);
  // The names of the sets in the table, to find feeds an earlier configuration left behind.
  Result<std::vector<std::string>> set_names();

  NftFirewallCounters counters() const;
  const std::string& table() const;

 private:
  struct Impl;
  explicit NftFirewall(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rampart
