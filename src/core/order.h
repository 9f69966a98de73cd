// An order: what one node of a fleet asks another to do. The node that receives an alert
// decides (OSSEC/Wazuh semantics); a response whose destination is another node becomes an
// order, and the receiving node applies it through its own <command> of that name, its own
// allowlist and its own backends, exactly as a local decision. Pure data; the wire format is
// in fleet/order_codec.h.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "alert/alert.h"
#include "base/address.h"
namespace rampart {

// Who an order is for. Agents are named by their agent id (<node><agent_id>).
struct OrderTarget {
  enum class Kind : uint8_t { All, Servers, Agent };
  Kind kind = Kind::All;
  std::string agent;  // Kind::Agent only
  bool operator==(const OrderTarget&) const = default;
};

struct Order {
  enum class Op : uint8_t {
    Block,    // block `address` with `command` until `deadline_us`
    Unblock,  // revoke every block of `address` (host or prefix), whatever its command
    Flush,    // revoke every block
  };
  Op op = Op::Block;
  OrderTarget target;
  std::string id;            // unique in the fleet: "<origin id>-<boot>-<counter>"
  std::string origin_id;     // the sender's agent id
  std::string origin_name;   // the sender's node name, shown with the block
  std::string command;       // Block: the <command> name; "manual" for rampartctl block
  Address address;           // Block, Unblock
  uint64_t issued_us = 0;    // CLOCK_REALTIME at the sender
  uint64_t deadline_us = 0;  // Block: CLOCK_REALTIME end; 0 = no timeout
  uint32_t rule_id = 0;
  int level = 0;
  std::string alert_id;
  std::string reason;  // the alert's description, or a manual block's reason
  // Block from an alert: the alert itself (JSON-protocol scripts receive it); null for
  // manual blocks and revocations.
  std::shared_ptr<const Alert> alert;
};
std::string_view to_string(Order::Op op);
std::string describe(const OrderTarget& target);

// Where the enforcer hands the orders it decides; the daemon's fleet adapter sends them.
class OrderSink {
 public:
  virtual ~OrderSink() = default;
  virtual void send(Order order) = 0;
};

}  // namespace rampart
