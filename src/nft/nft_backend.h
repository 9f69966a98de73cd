// nftables through netlink (libnftnl + libmnl): the table, its sets and chains, and batched
// element changes. Never runs nft.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/error.h"
#include "core/backend.h"
#include "nft/nft_batch.h"
namespace rampart {

// One element as the kernel reports it.
struct NftElement {
  Address address;          // host (blocked4/6) or prefix (blocked4_net/6_net)
  uint64_t timeout_ms = 0;  // as added; 0 = none
  uint64_t expires_ms = 0;  // remaining; 0 = none
  std::string comment;
};

// Counters the tests and the bench read: a flood must be few batches, not one per element.
struct NftCounters {
  uint64_t batches = 0;   // sendmsg() of a whole transaction
  uint64_t messages = 0;  // NEWSETELEM/DELSETELEM messages inside them
  uint64_t elements = 0;  // elements carried
  uint64_t rejected = 0;  // changes dropped after the kernel refused them
  uint64_t resends = 0;   // batches sent again without the refused changes
  uint64_t quiet = 0;     // transactions sent while the notification listener paused
};

// A subscriber to nftables notifications (the monitor) that can stop listening while a large
// transaction of ours commits, and tell afterwards whether it missed someone else's.
class NftListener {
 public:
  virtual ~NftListener() = default;
  // Stops listening. Returns the generation up to which every transaction has been seen, or
  // nullopt when it cannot stop now (it keeps listening).
  virtual std::optional<uint32_t> pause() = 0;
  // Listens again. `ours`: the generation our transactions left behind; `current` reads the
  // ruleset's generation now (called after listening has resumed).
  virtual void resume(uint32_t ours, const std::function<Result<uint32_t>()>& current) = 0;
};

class NftBackend {
 public:
  // Opens the netlink socket (sized for large batches) for table `table` in family inet.
  static Result<std::unique_ptr<NftBackend>> open(std::string table);
  ~NftBackend();

  // Creates what is missing: table inet <table>; sets blocked4 (ipv4_addr), blocked6
  // (ipv6_addr), blocked4_net, blocked6_net (interval) all with flags timeout; chains input and
  // forward (filter hooks, priority -10) with "ip saddr @blocked4 drop",
  // "ip saddr @blocked4_net drop" and the ip6 twins. Keeps existing elements. Idempotent.
  Result<void> ensure_ruleset();

  // Every element of the four sets, with remaining expiry. The kernel's dump is quadratic in a
  // set's size (a minute at 1,000,000): `progress` is called with the elements read so far
  // after every reply, so that a start can tell systemd it is still working.
  Result<std::vector<NftElement>> dump(const std::function<void(size_t)>& progress = {});

  // One transaction (as many messages as needed). Adds are sent without NLM_F_EXCL so a
  // re-add refreshes the timeout. When the kernel rejects the batch, the offending changes are
  // dropped (reported in `rejected`) and the rest is sent again.
  ApplyResult apply(std::span<const Change> changes);

  // Changes with <ports> (nft_service.h): `order` (indices into `changes`) as one transaction;
  // a change the kernel refuses is dropped into `rejected` and the rest sent again.
  ApplyResult apply_service(std::span<const Change> changes, std::vector<size_t> order);

  // Transactions of at least `min_changes` are sent while `listener` pauses (nullptr: never).
  void set_listener(NftListener* listener, size_t min_changes);

  // The ruleset's generation id (NFT_MSG_GETGEN).
  Result<uint32_t> generation();
  // Whether both chains still have their rules (they cannot outlive the table or the sets
  // they refer to): a few small requests, unlike dump().
  Result<bool> ruleset_present();

  // Sends the transaction `build` makes for a first sequence number and a generation (set
  // when the listener pauses for it: `changes` is at least the quiet size). The kernel takes
  // all of it or nothing; the first refused message becomes the error.
  using Build = std::function<NftBatch(uint32_t first_seq, std::optional<uint32_t> genid)>;
  Result<void> commit(size_t changes, const Build& build);
  // The names of the sets in the table (none when it does not exist).
  Result<std::vector<std::string>> set_names();

  // Removes every element from the four sets; returns how many there were.
  Result<size_t> flush();

  const NftCounters& counters() const;
  const std::string& table() const;
  // The netlink port id of this socket: nftables notifications of our own changes carry it.
  uint32_t portid() const;

 private:
  struct Impl;
  explicit NftBackend(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rampart
