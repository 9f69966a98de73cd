// The decision engine: which active-responses an alert triggers, with OSSEC/Wazuh 4.x
// semantics. Pure: no I/O, no clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "alert/alert.h"
#include "config/config.h"
#include "core/destination.h"
namespace rampart {

// An active-response that fires for the alert's address.
struct Response {
  size_t response = 0;  // index into Config::responses
  size_t command = 0;   // index into Config::commands
  Address address;      // what is blocked: the alert's address, or its <block_prefix>
  std::optional<uint32_t> timeout_sec;  // nullopt: no timeout
  // Why the prefix was narrowed back to the alert's own address ("" when it was not).
  std::string narrowed;
  Destinations where;  // this node, and orders to others with a fleet
};

// An active-response whose filters matched but which must not act, and why.
enum class SkipReason : uint8_t {
  Allowlisted,
  NeverBlock,
  MissingSrcip,
  MissingUser,
  MissingFilename
};
std::string_view to_string(SkipReason reason);

struct Skip {
  size_t response = 0;
  SkipReason reason = SkipReason::Allowlisted;
  std::string detail;  // "127.0.0.0/8", "loopback", ...
};

struct Decision {
  std::vector<Response> responses;
  std::vector<Skip> skips;
  void clear() {
    responses.clear();
    skips.clear();
  }
};

class Engine {
 public:
  explicit Engine(const Config& config);

  // Fills `out` (cleared first). At most one response per command: when several bindings of
  // the same command fire, the longest timeout wins.
  void decide(const Alert& alert, Decision& out) const;

  // Why a response of `command` to `alert` must not act here (allowlist, never-block rules,
  // this host's addresses, a field the command expects), or nullopt. Orders from other nodes
  // go through the same checks.
  std::optional<Skip> check(const Command& command, const Alert& alert) const;

  // What would happen and why, binding by binding, for ExplainAlert and rampartd --explain.
  std::string explain(const Alert& alert) const;

  const Config& config() const { return config_; }
  // This host's own addresses (owned by the caller, may be null): skipped like loopback.
  void set_host_addresses(const std::vector<Address>* addresses) { host_ = addresses; }
  // The host address equal to `a`, if any.
  const Address* host_address(const Address& a) const;
  // What a firewall block for `a` covers: its <block_prefix>, or `a` itself when the prefix
  // holds an address that must stay reachable (then `why` says which).
  Address block_target(const Address& a, std::string& why) const;

 private:
  // nullopt when the filters (level, rules_id, rules_group) match; otherwise which one failed.
  std::optional<std::string> filter_mismatch(const ActiveResponse& ar, const Alert& alert,
                                             const std::string& groups_lower) const;
  // nullopt with the destinations in `where` when the binding reaches some node.
  std::optional<std::string> location_mismatch(const ActiveResponse& ar, const Alert& alert,
                                               Destinations& where) const;

  const Config& config_;
  const std::vector<Address>* host_ = nullptr;
  bool uses_groups_ = false;  // lower-casing the alert's groups is only needed then
};

}  // namespace rampart
