// The nftables backend in the daemon: opening it (from a snapshot or a dump of the sets), the
// snapshot at a clean stop, and repairs when someone else changes the ruleset.
#include <charconv>
#include <unordered_set>

#include "daemon/daemon_impl.h"
#include "nft/nft_snapshot.h"
namespace rampart {
namespace {

// Transactions this large are sent while the nftables monitor pauses (see NftMonitor): the
// kernel then builds no notification per element for it. Smaller ones are not worth the
// generation check.
constexpr size_t kQuietTransaction = 256;

std::vector<RestoredBlock> restored_from(const std::vector<NftElement>& elements) {
  std::vector<RestoredBlock> out;
  out.reserve(elements.size());
  for (const auto& e : elements) {
    RestoredBlock r{e.address, {}, 0, e.expires_ms};
    // Our comment is "command:rule"; anything else (an admin's own element) is "unknown".
    if (auto colon = e.comment.rfind(':'); colon != std::string::npos) {
      uint32_t rule = 0;
      const char* first = e.comment.data() + colon + 1;
      const char* last = e.comment.data() + e.comment.size();
      if (std::from_chars(first, last, rule).ptr == last) {
        r.command = e.comment.substr(0, colon);
        r.rule_id = rule;
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

Result<void> Daemon::Impl::setup_nft() {
  auto opened = NftBackend::open(config->settings.nft_table);
  if (!opened) return std::unexpected(opened.error());
  nft = std::move(*opened);
  // Before anything of ours moves the generation on.
  std::optional<BlockSnapshot> snapshot = take_snapshot();
  if (auto r = nft->ensure_ruleset(); !r) return std::unexpected(r.error());
  firewall = std::make_unique<NftFirewall>(*nft);
  enforcer_.set_backend(CommandKind::Firewall, firewall.get());
  if (snapshot) {
    enforcer_.restore(CommandKind::Firewall, *snapshot);
  } else {
    auto elements = nft->dump();
    if (!elements) return std::unexpected(elements.error());
    enforcer_.restore(CommandKind::Firewall, restored_from(*elements));
  }
  auto monitor =
      NftMonitor::open(event.get(), nft->table(), nft->portid(),
                       {[this] { repair_ruleset(); },
                        [this](const std::vector<NftElement>& gone) { elements_deleted(gone); },
                        [this] { verify_ruleset(); }});
  if (!monitor) return std::unexpected(monitor.error());
  nft_monitor = std::move(*monitor);
  // Subscribed: every later transaction is either notified or moves the generation on.
  if (auto gen = nft->generation()) nft_monitor->set_generation(*gen);
  nft->set_listener(nft_monitor.get(), kQuietTransaction);
  return {};
}

// Someone flushed the ruleset or deleted (part of) our table: rebuild it and put back every
// live block with its remaining time. Blocks whose elements survived are not sent again.
void Daemon::Impl::repair_ruleset() {
  uint64_t start = clock.monotonic_us();
  if (auto r = nft->ensure_ruleset(); !r) {
    log_error("cannot re-create table inet {}: {}; retrying in 1 s", nft->table(),
              r.error().message);
    sd_event_source* s = nullptr;
    if (sd_event_add_time_relative(event.get(), &s, CLOCK_MONOTONIC, 1000000, 0, on_repair, this) >=
        0)
      repair_timer.reset(s);
    return;
  }
  std::unordered_set<Address, AddressHash> present;
  if (auto elements = nft->dump())
    for (const auto& e : *elements) present.insert(e.address);
  size_t queued = enforcer_.resync(CommandKind::Firewall,
                                   [&](const Address& a) { return present.contains(a); });
  commit();
  ++nft_repairs;
  log_warning(
      "table inet {} was removed or changed by someone else: re-created it and re-added "
      "{} blocks in {} ms",
      nft->table(), queued, (clock.monotonic_us() - start) / 1000);
}

// The blocks saved at the last clean stop, when nothing can have changed since (see
// block_snapshot.h): a million of them load in a fraction of the time the kernel takes to dump
// them.
std::optional<BlockSnapshot> Daemon::Impl::take_snapshot() {
  const std::string path = nft_snapshot_path(config->settings.state_directory);
  auto gen = nft->generation();
  if (!gen) {
    log_warning("{}; reading the blocks from the kernel", gen.error().message);
    return std::nullopt;
  }
  auto here = nft_snapshot_origin(nft->table(), *gen);
  if (!here) {
    log_warning("{}; reading the blocks from the kernel", here.error().message);
    return std::nullopt;
  }
  std::string why;
  auto snapshot = take_nft_snapshot(path, *here, why);
  if (!snapshot) log_info("reading the blocks from the kernel: {}", why);
  return snapshot;
}

// At a clean stop, after the last commit: what the kernel holds is exactly the table.
void Daemon::Impl::save_snapshot() {
  if (!nft || !nft_monitor || !firewall) return;
  auto gen = nft_monitor->settled_generation();
  if (!gen) {
    log_info("not saving a block snapshot: nftables changes are still being handled");
    return;
  }
  auto origin = nft_snapshot_origin(nft->table(), *gen);
  if (!origin) {
    log_warning("not saving a block snapshot: {}", origin.error().message);
    return;
  }
  uint64_t start = clock.monotonic_us();
  BlockSnapshot snapshot = enforcer_.snapshot(CommandKind::Firewall);
  snapshot.origin = std::move(*origin);
  const std::string path = nft_snapshot_path(config->settings.state_directory);
  if (auto r = save_nft_snapshot(path, snapshot); !r) {
    log_warning("{}; the next start reads the blocks from the kernel", r.error().message);
    return;
  }
  log_info("saved {} blocks to {} in {} ms", snapshot.blocks.size(), path,
           (clock.monotonic_us() - start) / 1000);
}

// Someone else changed the ruleset while the monitor was not listening (during a large
// transaction of ours). Most such changes are other tables'; ours is rebuilt only if it is
// gone. An element an administrator deleted in that gap stays in rampart's view until it
// expires: finding it would take a dump of the sets, which is too slow at this scale.
void Daemon::Impl::verify_ruleset() {
  auto present = nft->ruleset_present();
  if (present && *present) return;  // counted as nft_unsure in the stats line
  repair_ruleset();
}

void Daemon::Impl::elements_deleted(const std::vector<NftElement>& elements) {
  for (const auto& e : elements) enforcer_.forget(CommandKind::Firewall, e.address);
  arm_expiry();
}

}  // namespace rampart
