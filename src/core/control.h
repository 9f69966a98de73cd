// What the daemon offers to its control adapters (the D-Bus API): everything an operator may
// ask, with typed answers. The bus code sees only this seam, never the enforcer or the event
// loop's wiring, and its tests drive it with a fake (src/bus/bus_api_test.cc).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/address.h"
#include "base/error.h"
#include "core/feed_status.h"
#include "core/outcome.h"
namespace rampart {

// This node in its fleet (rampartctl status, the Fleet* properties).
struct FleetStats {
  std::string state;  // "connected to nats://192.0.2.1:4222", "disconnected; reconnecting", ...
  bool connected = false;
  uint64_t sent = 0;      // orders stored by JetStream for other nodes
  uint64_t received = 0;  // orders from other nodes (applied, unchanged, expired or refused)
  uint64_t applied = 0;
  uint64_t refused = 0;
  uint64_t pending = 0;  // orders waiting to be sent (on disk while NATS is unreachable)
  uint64_t lag_us = 0;   // stream time to applied, of the last order applied here
  uint64_t backlog = 0;  // orders the stream still holds for this node
};

// What an operator may ask of every node at once (rampartctl ... --everywhere).
enum class FleetOp : uint8_t { Block, Unblock, Flush };

struct ControlStats {
  size_t active_blocks = 0;
  uint64_t alerts_received = 0;
  uint64_t alerts_rejected = 0;
  std::vector<std::string> backends;  // the firewall backend's name ("nftables", "firewalld")
  bool dry_run = false;
  std::vector<FeedStatus> feeds;    // the blocklist feeds, in configuration order
  std::optional<FleetStats> fleet;  // nullopt without <fleet>
};

// A response an alert fired: (command, address).
using FiredResponse = std::pair<std::string, Address>;

class Control {
 public:
  virtual ~Control() = default;

  // Reads. list() returns blocks in address order, starting after every block of `after`.
  virtual std::vector<BlockView> list(const std::optional<Address>& after, size_t max) const = 0;
  virtual std::optional<BlockView> get(const Address& address) const = 0;
  virtual ControlStats stats() const = 0;
  // Every counter, in the Prometheus text exposition format 0.0.4. Reads what the daemon keeps;
  // never asks the kernel or a backend.
  virtual std::string metrics() const = 0;
  // Parses one alert line (any supported format) and explains what it would do, touching
  // nothing.
  virtual Result<std::string> explain(std::string_view alert) = 0;

  // Changes. Each is in the block table at once and reaches the backends at the end of this
  // loop turn; when_committed() says when that has happened. `uid` is the caller's, for the
  // audit trail.
  virtual Outcome<BlockView> block(const Address& address, uint64_t timeout_usec,
                                   std::string_view reason, uint32_t uid) = 0;
  virtual Outcome<void> unblock(const Address& address, uint32_t uid) = 0;
  // Revokes every block; returns how many there were.
  virtual size_t flush(uint32_t uid) = 0;
  // Orders every node of the fleet to do what block(), unblock() or flush() did here (the
  // caller does it here first). Refusal::NoFleet without <fleet>.
  virtual Outcome<void> order_everywhere(FleetOp op, const Address& address, uint64_t timeout_usec,
                                         std::string_view reason, uint32_t uid) = 0;
  // Runs one alert line through the full pipeline; the error says why it is not an alert.
  virtual Result<std::vector<FiredResponse>> submit(std::string_view alert) = 0;
  // Re-reads the configuration like SIGHUP; the error carries the config's error text.
  virtual Result<void> reload() = 0;
  // Runs `then` once every change made so far has been handed to the backends (at the latest
  // at the end of this loop turn), so a reply can say what the firewall did.
  virtual void when_committed(std::move_only_function<void()> then) = 0;
};

}  // namespace rampart
