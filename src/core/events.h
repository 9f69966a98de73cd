// What the enforcer tells the outside world: the audit log, D-Bus signals. One struct for all
// event types so a sink can render any of them; fields that do not apply are empty.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "base/address.h"
namespace rampart {

enum class EventType : uint8_t {
  Blocked,         // a new block
  Refreshed,       // an active block was extended
  Unblocked,       // revoked, flushed or removed externally (see `detail`)
  Expired,         // its timeout passed
  Skipped,         // a matching response did not act (allowlisted, never-block, missing srcip)
  Refused,         // max_blocks reached, or a manual block was refused
  BackendFailure,  // the backend could not apply a change
  Restored,        // blocks found in the kernel at start (count)
  // A fleet's orders (see core/order.h): one record per order at the sender once JetStream
  // has stored it, and one at each receiver with what became of it.
  OrderSent,      // stored by JetStream for its target
  OrderReceived,  // received and nothing to do: a replay, expired, superseded by a revocation
  OrderApplied,   // received and applied here
  OrderRefused,   // received and refused: malformed, unknown command, this node's rules
};
inline constexpr size_t kEventTypes = static_cast<size_t>(EventType::OrderRefused) + 1;
std::string_view to_string(EventType type);

// Why an Unblocked event happened.
enum class UnblockWhy : uint8_t {
  Revoked,   // by an operator (D-Bus Unblock)
  Flushed,   // by an operator, with every other block (D-Bus Flush)
  Replaced,  // a new block took its place
  External,  // removed from the firewall behind rampart's back
};
std::string_view to_string(UnblockWhy why);

struct Event {
  EventType type = EventType::Blocked;
  const Address* address = nullptr;
  std::string_view command;
  std::string_view backend;
  std::string_view reason;  // the alert's description, or a manual block's reason
  std::string_view detail;  // why: "allowlisted by 127.0.0.0/8", "expired", "revoked", ...
  UnblockWhy unblock_why = UnblockWhy::Revoked;  // Unblocked: `detail` as a value
  std::string_view alert_id;
  std::string_view agent_id;
  std::string_view origin;    // the fleet node whose order this was; empty: this node decided
  std::string_view order_id;  // Order* events
  std::string_view target;    // Order* events: "all", "servers", "agent:005"
  uint32_t rule_id = 0;
  int level = 0;
  std::optional<uint32_t> timeout_sec;
  uint64_t expiry_realtime_us = 0;  // 0 = none
  std::optional<uint32_t> caller_uid;
  uint64_t count = 0;
  // A block of the alert's <block_prefix>: the alert's own address.
  const Address* alert_address = nullptr;
  // Why a block is the alert's address only, though <block_prefix> is wider.
  std::string_view narrowed;
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void emit(const Event& event) = 0;
};

}  // namespace rampart
