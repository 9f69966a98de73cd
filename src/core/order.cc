#include "core/order.h"
#include <fmt/format.h>

#include "core/enforcer.h"
namespace rampart {

std::string_view to_string(Order::Op op) {
  switch (op) {
    case Order::Op::Block:
      return "block";
    case Order::Op::Unblock:
      return "unblock";
    case Order::Op::Flush:
      return "flush";
  }
  return "unknown";
}

std::string describe(const OrderTarget& target) {
  switch (target.kind) {
    case OrderTarget::Kind::All:
      return "every node";
    case OrderTarget::Kind::Servers:
      return "the server nodes";
    case OrderTarget::Kind::Agent:
      return fmt::format("agent {}", target.agent);
  }
  return "unknown";
}

std::string_view to_string(OrderOutcome outcome) {
  switch (outcome) {
    case OrderOutcome::Applied:
      return "applied";
    case OrderOutcome::Unchanged:
      return "unchanged";
    case OrderOutcome::Expired:
      return "expired";
    case OrderOutcome::UnknownCommand:
      return "unknown-command";
    case OrderOutcome::Skipped:
      return "skipped";
    case OrderOutcome::Refused:
      return "refused";
    case OrderOutcome::NotBlocked:
      return "not-blocked";
  }
  return "unknown";
}

}  // namespace rampart
