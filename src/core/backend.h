// What a firewall-like backend is asked to do. The daemon decides; a backend only applies.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "alert/alert.h"
#include "base/address.h"
#include "base/error.h"
#include "config/service_port.h"
namespace rampart {

struct Change {
  enum class Op : uint8_t { Add, Delete };
  Op op = Op::Add;
  Address address;          // a host, or a prefix (nftables keeps those in the *_net sets)
  uint64_t timeout_ms = 0;  // Add: remaining lifetime; 0 = no timeout. Re-adding refreshes.
  std::string comment;      // Add: stored with the element ("firewall-drop:5712")
  // The <command> of the block. Exec blocks are per (command, address), as wazuh-execd keys
  // them; for the other kinds it is the command of the address's longest block.
  std::string command;
  // Exec Add: the alert the script is given (a repeat of an active block only moves its
  // deadline and does not need it).
  std::shared_ptr<const Alert> alert;
  // Firewall: drop only this traffic from `address` (the command's <ports>); empty: all of it.
  std::vector<ServicePort> ports;
};

struct ApplyResult {
  size_t applied = 0;
  // Changes the backend could not apply, by index into the span given to apply().
  std::vector<std::pair<size_t, Error>> rejected;
};

// A place blocks are enforced. The daemon batches every change decided in one loop turn and
// hands it over in one call.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string_view name() const = 0;
  // True when the backend lifts blocks by itself at their timeout (kernel set timeouts), so the
  // daemon only has to update its own view at expiry.
  virtual bool expires_by_itself() const = 0;
  virtual ApplyResult apply(std::span<const Change> changes) = 0;

  // Asynchronous backends (exec, firewalld) accept changes at once and report a failure
  // later through this handler; synchronous ones report in ApplyResult.
  using FailureHandler = std::function<void(const Change& change, const Error& error)>;
  void set_failure_handler(FailureHandler handler) { on_failure_ = std::move(handler); }

 protected:
  FailureHandler on_failure_;
};

}  // namespace rampart
