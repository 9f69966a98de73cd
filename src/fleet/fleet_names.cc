#include "fleet/fleet_names.h"
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace rampart {

std::string_view to_string(Feed feed) {
  switch (feed) {
    case Feed::All:
      return "all";
    case Feed::Self:
      return "self";
    case Feed::Server:
      return "server";
  }
  return "all";
}

std::string order_subject(std::string_view fleet, const OrderTarget& target) {
  switch (target.kind) {
    case OrderTarget::Kind::All:
      return fmt::format("{}.order.all", fleet);
    case OrderTarget::Kind::Servers:
      return fmt::format("{}.order.server", fleet);
    case OrderTarget::Kind::Agent:
      return fmt::format("{}.order.agent.{}", fleet, target.agent);
  }
  return {};
}

std::string feed_subject(std::string_view fleet, std::string_view agent_id, Feed feed) {
  switch (feed) {
    case Feed::All:
      return order_subject(fleet, {OrderTarget::Kind::All, {}});
    case Feed::Server:
      return order_subject(fleet, {OrderTarget::Kind::Servers, {}});
    case Feed::Self:
      return order_subject(fleet, {OrderTarget::Kind::Agent, std::string(agent_id)});
  }
  return {};
}

std::string stream_name(std::string_view fleet) {
  std::string out;
  for (char c : fleet) out += c == '-' ? '_' : static_cast<char>(std::toupper(c));
  return out + "_ORDERS";
}

std::string durable_name(std::string_view fleet, std::string_view agent_id, Feed feed) {
  return fmt::format("{}-{}-{}", fleet, agent_id, to_string(feed));
}

std::string deliver_subject(std::string_view fleet, std::string_view agent_id, Feed feed) {
  return fmt::format("{}.deliver.{}.{}", fleet, agent_id, to_string(feed));
}

std::string inbox_prefix(std::string_view fleet, std::string_view agent_id) {
  return fmt::format("_INBOX_{}_{}", fleet, agent_id);
}

}  // namespace rampart
