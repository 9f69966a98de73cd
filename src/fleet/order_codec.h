// An order on the wire: one line of JSON, at most 64 KiB, versioned; a NATS message carries
// one order or several, one per line (fleet.h: a batch under a flood). Orders arrive from the
// network, so decoding validates every field and refuses what it cannot act on with a message
// that says which field was wrong; it never trusts the subject an order came on either.
//
//   {"v":1,"id":"000-1764540000-17","op":"block","target":"agent:005",
//    "origin":{"id":"000","name":"manager"},"command":"firewall-drop",
//    "address":"203.0.113.9","issued":1764540000000000,"deadline":1764540600000000,
//    "rule":5712,"level":10,"alert_id":"1764540000.17","reason":"sshd: brute force",
//    "alert":{...Wazuh alerts.json...}}
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/error.h"
#include "core/order.h"
namespace rampart {

inline constexpr size_t kMaxOrderBytes = 64 * 1024;
// A NATS message of orders (a batch, one per line) holds at most this much: under NATS's
// default max_payload (1 MiB) with room for the headers. Under a flood JetStream's cost is
// mostly per message: with this size instead of 64 KiB the NATS servers took about a quarter
// less CPU for 100,000 orders. A stream made with a smaller limit, or a server with a smaller
// max_payload, keeps theirs (FleetLink::batch_bytes()).
inline constexpr size_t kMaxBatchBytes = 1000 * 1024;
// Room for a message's headers (Nats-Msg-Id) beside its data, in the stream's limit.
inline constexpr size_t kMessageHeaderRoom = 4096;
inline constexpr int kOrderVersion = 1;

std::string encode_order(const Order& order);

// "all", "servers", "agent:005"; and back (nullopt for anything else).
std::string target_text(const OrderTarget& target);
std::optional<OrderTarget> parse_target(std::string_view text);

// Keeps its JSON and alert parsers between calls: a flood of orders does not allocate per
// order beyond the Order itself.
class OrderDecoder {
 public:
  OrderDecoder();
  ~OrderDecoder();
  OrderDecoder(const OrderDecoder&) = delete;
  OrderDecoder& operator=(const OrderDecoder&) = delete;

  // Fills `out` (reset first). EMSGSIZE for an oversized order, EINVAL for anything else.
  Result<void> decode(std::string_view text, Order& out);
  // decode() in two steps, for a receiver that may not need the alert: every field but the
  // alert, which stays unread until decode_alert(). Parsing the alert is most of an order's
  // cost, and a node drops its own orders and screens revoked ones before they need it.
  Result<void> decode_header(std::string_view text, Order& out);
  // The alert of the last decode_header(), whose text must still be alive; nothing for an
  // order without one.
  Result<void> decode_alert(Order& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rampart
