// Turns decisions into blocks: owns the block table, asks the engine, batches the changes of
// one loop turn per backend, and reports every event. It knows nothing of sd-event, D-Bus or
// netlink: backends, clock and event sink are handed in.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "alert/alert.h"
#include "base/error.h"
#include "config/config.h"
#include "core/backend.h"
#include "core/clock.h"
#include "core/engine.h"
#include "core/events.h"
#include "core/order.h"
#include "core/outcome.h"
#include "table/block_snapshot.h"
#include "table/block_table.h"
#include "table/pending_index.h"
namespace rampart {

struct EnforcerCounters {
  uint64_t alerts = 0;     // alerts decided
  uint64_t responses = 0;  // responses that fired
  uint64_t blocked = 0;    // new blocks
  uint64_t refreshed = 0;  // extended blocks
  uint64_t expired = 0;
  uint64_t unblocked = 0;  // revoked, flushed, replaced
  uint64_t skipped = 0;    // allowlisted, never-block, missing srcip
  uint64_t refused = 0;    // max_blocks
  uint64_t backend_failures = 0;
  uint64_t commits = 0;  // batches handed to backends
};

// What became of an order from another node.
enum class OrderOutcome : uint8_t {
  Applied,         // blocked, extended, revoked or flushed
  Unchanged,       // already blocked at least that long (a replay)
  Expired,         // its deadline had passed: never applied
  UnknownCommand,  // this node has no <command> of that name
  Skipped,         // this node's allowlist or never-block rules, or a missing field
  Refused,         // max_blocks, a prefix too wide, no backend for the command
  NotBlocked,      // a revocation of something this node does not hold
};
std::string_view to_string(OrderOutcome outcome);
struct OrderResult {
  OrderOutcome outcome = OrderOutcome::Applied;
  std::string detail;
};

// An element found in a backend at start (the kernel keeps blocks across restarts).
struct RestoredBlock {
  Address address;
  std::string command;  // from the element's comment; "" when unknown
  uint32_t rule_id = 0;
  uint64_t remaining_ms = 0;  // 0 = no timeout
};

class Enforcer {
 public:
  Enforcer(const Clock& clock, EventSink& events);

  // Installs a validated config (at start and on reload). Blocks stay; their commands are
  // kept by name.
  void set_config(std::shared_ptr<const Config> config);
  const Config& config() const { return *config_; }
  const Engine& engine() const { return *engine_; }

  // nullptr: blocks of that kind cannot be enforced (the config check refuses such commands).
  void set_backend(CommandKind kind, Backend* backend);
  Backend* backend(CommandKind kind) const { return backends_[static_cast<size_t>(kind)]; }

  // Puts blocks found in a backend into the table without changing the backend.
  void restore(CommandKind kind, const std::vector<RestoredBlock>& blocks);
  // The blocks of `kind` with everything the table knows of them (origin left empty), and
  // putting them back; blocks whose time has passed are left out. Returns how many.
  BlockSnapshot snapshot(CommandKind kind) const;
  size_t restore(CommandKind kind, const BlockSnapshot& snapshot);

  // Repeated-offender counts (CLOCK_REALTIME seconds, so they outlive a reboot): every offence
  // is reported to the observer (the state store), and restore_offence() puts a stored count
  // back at start.
  using OffenceObserver = std::function<void(std::string_view command, const Address& address,
                                             uint32_t count, uint64_t last_sec)>;
  void set_offence_observer(OffenceObserver observer) { on_offence_ = std::move(observer); }
  void restore_offence(std::string_view command, const Address& address, uint32_t count,
                       uint64_t last_sec);

  // Where responses for other nodes go (null: no fleet; they are dropped).
  void set_order_sink(OrderSink* sink) { orders_ = sink; }
  // An order from another node, applied exactly as a local decision would be: this node's
  // <command> of that name, allowlist, never-block rules and backends (enforcer_orders.cc).
  OrderResult apply_order(const Order& order);

  // The alert path. Returns the (command, address) responses that fired.
  void on_alert(const Alert& alert, std::vector<std::pair<std::string, Address>>* fired = nullptr);

  // Manual block through the firewall backend. `address` may be a prefix.
  // `origin`: the node whose order it is ("" = this one).
  Outcome<BlockView> block(const Address& address, uint64_t timeout_usec, std::string_view reason,
                           std::optional<uint32_t> caller_uid, std::string_view origin = {});
  // Revokes every block of `address` (exact host or prefix); Refusal::NotBlocked when none.
  Outcome<void> unblock(const Address& address, std::optional<uint32_t> caller_uid);
  // Revokes everything; returns how many blocks there were.
  size_t flush(std::optional<uint32_t> caller_uid);
  // A backend reports that `address` vanished outside rampart: forget it, do not re-add.
  void forget(CommandKind kind, const Address& address);
  // The backend lost its state (someone flushed the firewall): queues an add of every live
  // block of `kind` with its remaining time, except addresses for which `present` says the
  // backend still has them. Returns how many addresses were queued.
  size_t resync(CommandKind kind, const std::function<bool(const Address&)>& present = {});
  // The same for the listed addresses only (a re-add or a repair in slices): every <ports>
  // scope of their blocks, or only the per-service ones without `whole_address`. Returns how
  // many addresses had blocks of `kind`.
  size_t resync(CommandKind kind, std::span<const Address> addresses, bool whole_address = true);
  // The backend keeps `address` for `remaining_ms` more (0: no timeout): no whole-address block
  // of `kind` outlasts that, and the longest lasts exactly that long. Nothing is queued.
  void align(CommandKind kind, const Address& address, uint64_t remaining_ms);
  // The change that makes the backend match the table for `address` in the scope of `ports`:
  // an add with the longest remaining time of its blocks of `kind` there (what sync() queues),
  // or a delete when none is left. Nothing is queued.
  Change desired(CommandKind kind, const Address& address,
                 const std::vector<ServicePort>& ports = {}) const;

  // This host's own addresses are never blocked (like loopback); set at start and on reload.
  void set_host_addresses(std::vector<Address> addresses);
  const std::vector<Address>& host_addresses() const { return host_addresses_; }

  // Moves blocks whose time has come out of the table (deleting them where the backend does
  // not expire by itself). Call from the expiry timer.
  void expire();
  std::optional<uint64_t> next_expiry() { return table_.next_expiry(); }

  // Sends everything decided since the last commit, one batch per backend.
  void commit();
  // A backend could not apply `change` (synchronously in commit(), or later for asynchronous
  // backends): a refused add must not be claimed as a block.
  void backend_failed(CommandKind kind, const Change& change, const Error& error);
  bool has_pending() const { return pending_count_ > 0; }
  size_t pending() const { return pending_count_; }

  std::vector<BlockView> list(const Address* after = nullptr, size_t max = SIZE_MAX) const;
  std::optional<BlockView> get(const Address& address) const;
  size_t active() const { return table_.size(); }
  const BlockTable& table() const { return table_; }
  const EnforcerCounters& counters() const { return counters_; }

 private:
  // Pending changes are per address; exec ones per (command, address), since every exec
  // command runs its own script (kAnyCommand stands for "every command" in the key).
  static constexpr CommandId kAnyCommand = UINT16_MAX;
  struct Pending {
    std::vector<Change> changes;
    PendingIndex index;  // key -> changes[i]
  };

  CommandId command_id(std::string_view name);
  void emit_skip(const Alert& alert, const Skip& skip);
  std::optional<uint32_t> offence(const ActiveResponse& ar, const Command& cmd, const BlockKey& key,
                                  std::optional<uint32_t> timeout);
  bool respond(const Alert& alert, const Response& response, uint64_t now, uint32_t reason);
  uint16_t origin_id(std::string_view name);
  // Puts one block into the table and queues its backend change, emitting `e` (whose type,
  // backend and expiry are filled in here). nullopt when no backend runs `kind`.
  std::optional<Upsert> upsert_block(const BlockKey& key, CommandKind kind, uint64_t expiry,
                                     uint32_t rule_id, uint32_t reason, uint16_t origin,
                                     const Alert* alert, Event& e);
  OrderResult apply_block_order(const Order& order, const Command& command, uint64_t remaining_us);
  // Orders for the other nodes a response goes to.
  void send_orders(const Response& response, const Command& command, const Alert& alert,
                   std::optional<uint32_t> timeout_sec);
  BlockView view(const BlockKey& key, const Block& block) const;
  // Queues the backend change that makes `address` match the table for `kind`: an add with the
  // longest remaining timeout of its blocks of that kind, or a delete when none is left.
  void sync(CommandKind kind, const Address& address, uint32_t rule_id, uint16_t scope);
  Change change_for(CommandKind kind, const Address& address, uint32_t rule_id,
                    uint16_t scope) const;
  // Blocks of commands with the same <ports> share their kernel elements: scope 0 is all
  // traffic, the others index scopes_. Per command id, kept until the config changes.
  static constexpr uint16_t kAllTraffic = 0;
  uint16_t scope_of(CommandId command) const;
  uint16_t scope_for(const std::vector<ServicePort>& ports) const;
  // The same for one exec block: an add while (command, address) is in the table (with the
  // alert when it is new or extended), a delete when it is gone.
  void sync_exec(const BlockKey& key, uint32_t rule_id, const Alert* alert);
  // sync() or sync_exec(), as `kind` needs.
  void sync_key(CommandKind kind, const BlockKey& key, uint32_t rule_id);
  void queue(CommandKind kind, const BlockKey& key, Change change);
  void emit_unblocked(const BlockKey& key, const Block& block, UnblockWhy why,
                      std::optional<uint32_t> uid);

  const Clock& clock_;
  EventSink& events_;
  std::shared_ptr<const Config> config_;
  std::unique_ptr<Engine> engine_;
  std::array<Backend*, 4> backends_{};
  BlockTable table_;
  OffenderCounts offenders_;
  OffenceObserver on_offence_;
  std::vector<std::string> command_names_;
  mutable std::vector<std::vector<ServicePort>> scopes_{{}};
  mutable std::vector<uint16_t> command_scopes_;  // by CommandId; UINT16_MAX: not looked up yet
  std::unordered_map<std::string, CommandId> command_ids_;
  std::vector<std::string> origin_names_{""};
  std::unordered_map<std::string, uint16_t> origin_ids_{{"", 0}};
  OrderSink* orders_ = nullptr;
  std::array<Pending, 4> pending_;
  size_t pending_count_ = 0;
  Decision decision_;  // reused across alerts
  std::vector<Address> host_addresses_;
  EnforcerCounters counters_;
};

}  // namespace rampart
