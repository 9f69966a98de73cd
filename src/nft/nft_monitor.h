// Watches nftables change notifications (NFNLGRP_NFTABLES) for what others do to rampart's
// table: a flushed ruleset or a deleted table/set/chain/rule means the ruleset must be rebuilt
// and every live block re-added; deleted elements mean an administrator lifted those blocks.
// Changes made through rampart's own socket are recognised by its port id and ignored. Expired
// elements send no notification, so expiry is never mistaken for deletion.
#pragma once

#include <linux/netlink.h>
#include <systemd/sd-event.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "nft/nft_backend.h"
#include "nft/nft_dump.h"
namespace rampart {

// What one transaction of someone else did to our table.
struct NftForeignChange {
  bool ruleset_lost = false;        // table, set, chain or rule of ours deleted
  std::vector<NftElement> deleted;  // elements deleted from our sets
  uint32_t portid = 0;              // who did it (nlmsg_pid of the notifications)
};

// Pure: feed it the notification messages in order; it reports each finished transaction
// (at NFT_MSG_NEWGEN) that touched our table and was not ours.
class NftChangeTracker {
 public:
  NftChangeTracker(std::string table, uint32_t own_portid)
      : table_(std::move(table)), own_portid_(own_portid) {}
  std::optional<NftForeignChange> feed(const nlmsghdr* nlh);
  // Notifications were lost: forget the transaction in progress (its end may be gone) and the
  // generation (learnt again from the next NEWGEN).
  void discard() {
    reset();
    open_ = false;
    generation_.reset();
  }
  uint64_t own_ignored() const { return own_ignored_; }
  // The generation of the last transaction seen to its end (NFT_MSG_NEWGEN), if any.
  std::optional<uint32_t> generation() const { return generation_; }
  void set_generation(uint32_t genid) { generation_ = genid; }
  // Part of a transaction has been read, its end (NEWGEN) not yet.
  bool in_transaction() const { return open_; }
  const std::string& table() const { return table_; }

 private:
  void reset();
  std::string table_;
  uint32_t own_portid_;
  bool ours_ = false;  // the current transaction came from our socket
  bool touched_ = false;
  bool open_ = false;  // any message since the last NEWGEN
  std::optional<uint32_t> generation_;
  NftForeignChange current_;
  std::array<std::unique_ptr<NftElementCollector>, 4> deleted_;  // per NftSetKind
  uint64_t own_ignored_ = 0;
};

struct NftMonitorCounters {
  uint64_t notifications = 0;  // messages read
  uint64_t own_ignored = 0;    // of rampart's own transactions
  uint64_t ruleset_lost = 0;   // transactions that removed our ruleset
  uint64_t elements_deleted = 0;
  uint64_t overruns = 0;  // the socket overflowed: notifications lost
  uint64_t pauses = 0;    // large transactions of ours sent while not listening
  uint64_t unsure = 0;    // pauses during which someone else may have changed the ruleset
};

// The kernel builds a notification per element for every listener, a third of the cost of a
// large transaction of ours. The monitor stops listening while one commits (NftListener) and
// knows from the generation ids whether anyone else's transaction fell into that gap: ours is
// sent only if the ruleset is still at the generation the monitor has seen to its end, and
// must be the only one when it listens again.
class NftMonitor final : public NftListener {
 public:
  struct Handlers {
    // Our ruleset (or part of it) is gone, or notifications were lost: rebuild and re-add.
    std::function<void()> ruleset_lost;
    // Someone deleted these elements: the blocks are lifted, do not re-add them.
    std::function<void(const std::vector<NftElement>&)> elements_deleted;
    // Someone else changed the ruleset while the monitor was not listening: check that ours
    // is still whole (cheaply; a lost table means ruleset_lost).
    std::function<void()> unsure;
  };

  // Subscribes to nftables notifications in the current network namespace. `own_portid` is
  // the port id of the socket rampart changes the ruleset with.
  static Result<std::unique_ptr<NftMonitor>> open(sd_event* event, std::string table,
                                                  uint32_t own_portid, Handlers handlers);
  ~NftMonitor() override;

  // Every transaction up to `genid` is known (read at start, after subscribing).
  void set_generation(uint32_t genid);
  // Reads what is queued. Returns the generation up to which every transaction has been
  // seen and handled, or nullopt when that is not known (some change is still to be handled:
  // it is, from the loop).
  std::optional<uint32_t> settled_generation();
  std::optional<uint32_t> pause() override;
  void resume(uint32_t ours, const std::function<Result<uint32_t>()>& current) override;

  const NftMonitorCounters& counters() const;

 private:
  struct Impl;
  explicit NftMonitor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rampart
