// A node of a fleet, on the loop thread: sends the orders the enforcer decides for other
// nodes (through the on-disk outbox, so a NATS outage loses none), and applies the orders
// other nodes send to this one through the enforcer, as if decided here. The NATS side is in
// fleet_link.h.
//
// Ordering: a node reads its orders through up to three consumers (all, self, server), and
// JetStream keeps order only within one. A block ordered before a fleet-wide unblock of the
// same address may therefore arrive after it; the stream sequence tells, and such a block is
// not applied. Orders are idempotent: a replay never doubles or shortens a block.
#pragma once

#include <systemd/sd-event.h>

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/error.h"
#include "base/handles_event.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/enforcer.h"
#include "core/events.h"
#include "core/order.h"
#include "fleet/fleet_link.h"
#include "fleet/order_codec.h"
#include "fleet/outbox.h"
namespace rampart {

struct FleetCounters {
  uint64_t sent = 0;             // stored by JetStream
  uint64_t send_failures = 0;    // refused by NATS (permissions, limits)
  uint64_t dropped = 0;          // the outbox was full
  uint64_t publish_retries = 0;  // publishes JetStream did not store at once (sent again)
  uint64_t received = 0;
  uint64_t applied = 0;
  uint64_t unchanged = 0;  // replays, blocks superseded by a revocation, this node's own
  uint64_t expired = 0;    // deadline passed before they arrived
  uint64_t refused = 0;    // unknown command, this node's rules, malformed
  uint64_t malformed = 0;  // of which malformed or oversized
};

struct FleetStatus {
  std::string state;  // "connected to nats://192.0.2.1:4222", "connecting", ...
  bool connected = false;
  bool ready = false;    // this node's consumers are bound: orders flow
  uint64_t pending = 0;  // orders to send, waiting in the outbox
  uint64_t lag_us = 0;   // stream time to applied, of the last order applied here
  uint64_t backlog = 0;  // orders the stream still holds for this node
  FleetCounters counters;
};

class Fleet final : public OrderSink {
 public:
  struct Hooks {
    std::function<OrderResult(const Order&)> apply;  // the enforcer's apply_order
    // Schedules the commit of this turn's changes; false when there is none to make.
    std::function<bool()> commit_pending;
    // true: the outbox is nearly full while NATS is up (JetStream stores orders slower than
    // alerts make them): stop reading alerts. false: read again. An outbox that fills while
    // NATS is unreachable pauses nothing: local enforcement goes on, and orders past
    // <outbox_max> are refused and counted.
    std::function<void(bool)> hold_inputs;
  };

  // Null when the config has no <fleet>.
  static Result<std::unique_ptr<Fleet>> open(sd_event* event, const Config& config,
                                             const Clock& clock, EventSink& events, Hooks hooks);
  ~Fleet() override;

  // OrderSink: fills in id and origin, keeps the order in the outbox, publishes it at the end
  // of this loop turn (or when NATS is back).
  void send(Order order) override;
  // An order for every node from this one (rampartctl ... --everywhere).
  void send_everywhere(Order order);
  // The backends have what was applied this turn: acknowledge those orders to JetStream.
  void committed();

  FleetStatus status() const;
  const FleetCounters& counters() const { return counters_; }

 private:
  Fleet(const Config& config, const Clock& clock, EventSink& events, Hooks hooks);
  void on_link(LinkEvent& e);
  void on_message(NatsMsgPtr msg);
  enum class Handled : uint8_t { Done, AfterCommit, Malformed };
  Handled on_order(std::string_view text, uint64_t sequence, const char* subject);
  // What to do with a decoded order before the enforcer sees it: nullopt to apply it.
  std::optional<std::string> screen(const Order& order, uint64_t sequence);
  void report(EventType type, const Order& order, std::string_view detail);
  void on_acked(const std::string& id, bool stored, std::string_view why);
  void refuse_forbidden(std::string_view problem);
  void flush_soon();
  void update_hold();
  void flush();
  void publish_batch();
  static int on_flush(sd_event_source*, void* userdata);
  static int on_tick(sd_event_source*, uint64_t usec, void* userdata);

  const Clock& clock_;
  EventSink& events_;
  Hooks hooks_;
  FleetSettings settings_;
  std::string agent_id_, node_name_;
  uint64_t boot_us_ = 0;
  uint64_t next_id_ = 0;
  std::unique_ptr<Outbox> outbox_;
  std::unique_ptr<FleetLink> link_;
  EventSourcePtr flush_source_, tick_;
  OrderDecoder decoder_;
  Order order_;                                        // reused for every order received
  std::vector<NatsMsgPtr> unacked_;                    // applied, acknowledged after the commit
  std::unordered_map<std::string, uint64_t> revoked_;  // address -> stream sequence
  uint64_t flushed_at_ = 0;                            // stream sequence of the last flush
  std::string state_ = "connecting";
  bool ready_ = false;
  bool holding_ = false;  // inputs are paused (hooks_.hold_inputs)
  uint64_t lag_us_ = 0;
  uint64_t backlog_ = 0;
  std::string last_problem_;
  // Orders for the same subject, consecutive in the outbox, go out as one message of lines (at
  // most link_->batch_bytes()): under a flood JetStream stores, delivers and acknowledges one
  // message per batch instead of one per order and node. Consecutive only, so that the stream's
  // sequence keeps the order in which this node decided. An idle node sends batches of one.
  struct Batch {
    std::string subject, data;
    std::vector<std::string> ids;
  };
  Batch batch_;
  // Message id of a batch of several in flight -> its orders' ids.
  std::unordered_map<std::string, std::vector<std::string>> batches_;
  FleetCounters counters_;
};

}  // namespace rampart
