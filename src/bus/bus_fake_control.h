// A plain fake of the daemon's Control for the D-Bus API's tests (bus_api_test.cc).
#pragma once

#include <cerrno>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/control.h"
namespace rampart::fakes {

inline Address A(std::string_view s) {
  return *Address::parse(s);
}

// Holds blocks in a map; refuses what `refusal` names; runs the when_committed() callbacks
// only when the test calls commit().
class FakeControl final : public Control {
 public:
  std::vector<BlockView> list(const std::optional<Address>& after, size_t max) const override {
    std::vector<BlockView> out;
    for (auto it = after ? blocks.upper_bound(*after) : blocks.begin();
         it != blocks.end() && out.size() < max; ++it)
      out.insert(out.end(), it->second.begin(), it->second.end());
    return out;
  }
  std::optional<BlockView> get(const Address& address) const override {
    auto it = blocks.find(address);
    if (it == blocks.end()) return std::nullopt;
    return it->second.front();
  }
  ControlStats stats() const override { return {blocks.size(), 7, 2, {"nftables"}, true, feeds}; }
  std::string metrics() const override {
    return "# HELP rampart_x_total X.\n# TYPE rampart_x_total counter\nrampart_x_total 7\n";
  }
  Result<std::string> explain(std::string_view alert) override {
    if (alert == "bad") return fail(EINVAL, "not an alert");
    return "explained: " + std::string(alert);
  }
  Outcome<BlockView> block(const Address& address, uint64_t timeout_usec, std::string_view reason,
                           uint32_t uid) override {
    last_uid = uid;
    if (refusal) return std::unexpected(Refused{*refusal, "refused: " + address.str()});
    BlockView v{address, "manual", timeout_usec, 0, std::string(reason), "nftables"};
    blocks[address] = {v};
    return v;
  }
  Outcome<void> unblock(const Address& address, uint32_t uid) override {
    last_uid = uid;
    if (!blocks.erase(address))
      return std::unexpected(Refused{Refusal::NotBlocked, address.str() + " is not blocked"});
    return {};
  }
  size_t flush(uint32_t uid) override {
    last_uid = uid;
    return std::exchange(blocks, {}).size();
  }
  Outcome<void> order_everywhere(FleetOp op, const Address& address, uint64_t, std::string_view,
                                 uint32_t) override {
    if (!in_fleet) return std::unexpected(Refused{Refusal::NoFleet, "no <fleet>"});
    orders.push_back(std::string(op == FleetOp::Block     ? "block "
                                 : op == FleetOp::Unblock ? "unblock "
                                                          : "flush") +
                     (op == FleetOp::Flush ? "" : address.str()));
    return {};
  }
  Result<std::vector<FiredResponse>> submit(std::string_view alert) override {
    if (alert == "bad") return fail(EINVAL, "not an alert");
    return std::vector<FiredResponse>{{"firewall-drop", A("203.0.113.9")}};
  }
  Result<void> reload() override {
    if (config_error.empty()) return {};
    return fail(EINVAL, "{}", config_error);
  }
  void when_committed(std::move_only_function<void()> then) override {
    after_commit.push_back(std::move(then));
  }

  // The daemon's commit: the backend refuses `backend_refuses`, then the replies go out.
  void commit() {
    if (backend_refuses) blocks.erase(*backend_refuses);
    for (auto& then : std::exchange(after_commit, {})) then();
  }

  std::map<Address, std::vector<BlockView>> blocks;
  std::vector<FeedStatus> feeds;
  std::optional<Refusal> refusal;
  std::optional<Address> backend_refuses;
  bool in_fleet = false;
  std::vector<std::string> orders;
  std::string config_error;
  std::optional<uint32_t> last_uid;
  std::vector<std::move_only_function<void()>> after_commit;
};

}  // namespace rampart::fakes
