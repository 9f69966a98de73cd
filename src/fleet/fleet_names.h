// The names a fleet uses in NATS, in one place: they are also what an administrator writes
// into nats-server.conf permissions (examples/nats-server.conf), so they must not drift.
//
//   subjects   <fleet>.order.all | <fleet>.order.server | <fleet>.order.agent.<agent id>
//   stream     <FLEET>_ORDERS, on <fleet>.order.>
//   consumers  <fleet>-<agent id>-all | -self | -server (durable, one per subject a node reads)
//   delivery   <fleet>.deliver.<agent id>.<all|self|server>
//   inbox      _INBOX_<fleet>_<agent id> (replies to this node's JetStream API requests)
#pragma once

#include <string>
#include <string_view>

#include "core/order.h"
namespace rampart {

// The subjects a node reads: every node "all" and "self", servers "server" as well.
enum class Feed : uint8_t { All, Self, Server };
std::string_view to_string(Feed feed);

std::string order_subject(std::string_view fleet, const OrderTarget& target);
std::string feed_subject(std::string_view fleet, std::string_view agent_id, Feed feed);
std::string stream_name(std::string_view fleet);
std::string durable_name(std::string_view fleet, std::string_view agent_id, Feed feed);
std::string deliver_subject(std::string_view fleet, std::string_view agent_id, Feed feed);
std::string inbox_prefix(std::string_view fleet, std::string_view agent_id);

}  // namespace rampart
