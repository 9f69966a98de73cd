// The names of events, unblock reasons and refusals, as the audit trail and tests print them.
#include "core/events.h"
#include "core/outcome.h"
namespace rampart {

std::string_view to_string(EventType type) {
  switch (type) {
    case EventType::Blocked:
      return "blocked";
    case EventType::Refreshed:
      return "refreshed";
    case EventType::Unblocked:
      return "unblocked";
    case EventType::Expired:
      return "expired";
    case EventType::Skipped:
      return "skipped";
    case EventType::Refused:
      return "refused";
    case EventType::BackendFailure:
      return "backend-failure";
    case EventType::Restored:
      return "restored";
    case EventType::OrderSent:
      return "order-sent";
    case EventType::OrderReceived:
      return "order-received";
    case EventType::OrderApplied:
      return "order-applied";
    case EventType::OrderRefused:
      return "order-refused";
  }
  return "unknown";
}

std::string_view to_string(UnblockWhy why) {
  switch (why) {
    case UnblockWhy::Revoked:
      return "revoked";
    case UnblockWhy::Flushed:
      return "flushed";
    case UnblockWhy::Replaced:
      return "replaced";
    case UnblockWhy::External:
      return "removed-externally";
  }
  return "unknown";
}

std::string_view to_string(Refusal why) {
  switch (why) {
    case Refusal::TooWide:
      return "too-wide";
    case Refusal::NeverBlock:
      return "never-block";
    case Refusal::HostAddress:
      return "host-address";
    case Refusal::Allowlisted:
      return "allowlisted";
    case Refusal::NoBackend:
      return "no-backend";
    case Refusal::TooMany:
      return "too-many";
    case Refusal::NotBlocked:
      return "not-blocked";
    case Refusal::NoFleet:
      return "no-fleet";
  }
  return "unknown";
}

}  // namespace rampart
