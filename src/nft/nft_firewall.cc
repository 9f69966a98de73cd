// The nftables firewall's lifecycle: opening it (from a snapshot or a dump of the sets), the
// snapshot at a clean stop, and repairs when someone else changes the ruleset.
#include "nft/nft_firewall.h"

#include <algorithm>
#include <charconv>
#include <unordered_set>

#include "base/handles_event.h"
#include "base/log.h"
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

struct NftFirewall::Impl {
  Impl(sd_event* e, Enforcer& enf, const Clock& c, Options o, Hooks h)
      : event(e), enforcer(enf), clock(c), options(std::move(o)), hooks(std::move(h)) {}

  sd_event* event;
  Enforcer& enforcer;
  const Clock& clock;
  Options options;
  Hooks hooks;
  std::unique_ptr<NftBackend> nft;
  std::unique_ptr<NftMonitor> monitor;  // others' changes to our table
  EventSourcePtr repair_timer;
  uint64_t repairs = 0;

  Result<void> start(NftFirewall* self);
  std::optional<BlockSnapshot> take_snapshot();
  void save_snapshot();
  void repair();
  void verify();
  void elements_deleted(const std::vector<NftElement>& elements);

  static int on_repair(sd_event_source*, uint64_t, void* u) {
    static_cast<Impl*>(u)->repair();
    return 0;
  }
};

Result<void> NftFirewall::Impl::start(NftFirewall* self) {
  auto opened = NftBackend::open(options.table);
  if (!opened) return std::unexpected(opened.error());
  nft = std::move(*opened);
  // Before anything of ours moves the generation on.
  std::optional<BlockSnapshot> snapshot = take_snapshot();
  if (auto r = nft->ensure_ruleset(); !r) return std::unexpected(r.error());
  enforcer.set_backend(CommandKind::Firewall, self);
  if (snapshot) {
    enforcer.restore(CommandKind::Firewall, *snapshot);
  } else {
    auto elements = nft->dump();
    if (!elements) return std::unexpected(elements.error());
    enforcer.restore(CommandKind::Firewall, restored_from(*elements));
  }
  auto watching =
      NftMonitor::open(event, nft->table(), nft->portid(),
                       {[this] { repair(); },
                        [this](const std::vector<NftElement>& gone) { elements_deleted(gone); },
                        [this] { verify(); }});
  if (!watching) return std::unexpected(watching.error());
  monitor = std::move(*watching);
  // Subscribed: every later transaction is either notified or moves the generation on.
  if (auto gen = nft->generation()) monitor->set_generation(*gen);
  nft->set_listener(monitor.get(), kQuietTransaction);
  return {};
}

// Someone flushed the ruleset or deleted (part of) our table: rebuild it and put back every
// live block with its remaining time. Blocks whose elements survived are not sent again.
void NftFirewall::Impl::repair() {
  uint64_t start = clock.monotonic_us();
  if (auto r = nft->ensure_ruleset(); !r) {
    log_error("cannot re-create table inet {}: {}; retrying in 1 s", nft->table(),
              r.error().message);
    sd_event_source* s = nullptr;
    if (sd_event_add_time_relative(event, &s, CLOCK_MONOTONIC, 1000000, 0, on_repair, this) >= 0)
      repair_timer.reset(s);
    return;
  }
  std::unordered_set<Address, AddressHash> present;
  if (auto elements = nft->dump())
    for (const auto& e : *elements) present.insert(e.address);
  size_t queued =
      enforcer.resync(CommandKind::Firewall, [&](const Address& a) { return present.contains(a); });
  hooks.commit();
  hooks.repaired();
  ++repairs;
  log_warning(
      "table inet {} was removed or changed by someone else: re-created it and re-added "
      "{} blocks in {} ms",
      nft->table(), queued, (clock.monotonic_us() - start) / 1000);
}

// The blocks saved at the last clean stop, when nothing can have changed since (see
// block_snapshot.h): a million of them load in a fraction of the time the kernel takes to dump
// them.
std::optional<BlockSnapshot> NftFirewall::Impl::take_snapshot() {
  const std::string path = nft_snapshot_path(options.state_directory);
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
void NftFirewall::Impl::save_snapshot() {
  if (!monitor) return;
  auto gen = monitor->settled_generation();
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
  BlockSnapshot snapshot = enforcer.snapshot(CommandKind::Firewall);
  snapshot.origin = std::move(*origin);
  const std::string path = nft_snapshot_path(options.state_directory);
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
void NftFirewall::Impl::verify() {
  auto present = nft->ruleset_present();
  if (present && *present) return;  // counted as nft_unsure in the stats line
  repair();
}

void NftFirewall::Impl::elements_deleted(const std::vector<NftElement>& elements) {
  for (const auto& e : elements) enforcer.forget(CommandKind::Firewall, e.address);
  hooks.changed();
}

Result<std::unique_ptr<NftFirewall>> NftFirewall::open(sd_event* event, Enforcer& enforcer,
                                                       const Clock& clock, Options options,
                                                       Hooks hooks) {
  auto impl = std::make_unique<Impl>(event, enforcer, clock, std::move(options), std::move(hooks));
  std::unique_ptr<NftFirewall> self(new NftFirewall(std::move(impl)));
  if (auto r = self->impl_->start(self.get()); !r) {
    // Nothing may keep pointing at a firewall that failed to open.
    if (enforcer.backend(CommandKind::Firewall) == self.get())
      enforcer.set_backend(CommandKind::Firewall, nullptr);
    return std::unexpected(r.error());
  }
  return self;
}

NftFirewall::NftFirewall(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
NftFirewall::~NftFirewall() = default;

ApplyResult NftFirewall::apply(std::span<const Change> changes) {
  bool any_service =
      std::any_of(changes.begin(), changes.end(), [](const Change& c) { return !c.ports.empty(); });
  if (!any_service) return impl_->nft->apply(changes);
  // Whole-address blocks and per-service ones live in different sets: two transactions.
  std::vector<Change> plain;
  std::vector<size_t> plain_index, service;
  for (size_t i = 0; i < changes.size(); ++i) {
    if (changes[i].ports.empty()) {
      plain.push_back(changes[i]);
      plain_index.push_back(i);
    } else {
      service.push_back(i);
    }
  }
  ApplyResult out = impl_->nft->apply_service(changes, std::move(service));
  if (!plain.empty()) {
    ApplyResult r = impl_->nft->apply(plain);
    out.applied += r.applied;
    for (auto& [i, e] : r.rejected) out.rejected.emplace_back(plain_index[i], std::move(e));
  }
  std::sort(out.rejected.begin(), out.rejected.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

Result<void> NftFirewall::load_feeds(const NftFeedPlan& plan) {
  size_t elements = 0;
  for (const NftFeedLoad& load : plan.loads) elements += 2 * load.ranges.size();
  return impl_->nft->commit(elements, [&](uint32_t seq, std::optional<uint32_t> genid) {
    return build_feed_batch(impl_->options.table, plan, seq, genid);
  });
}

Result<std::vector<std::string>> NftFirewall::set_names() {
  return impl_->nft->set_names();
}

void NftFirewall::stop() {
  impl_->save_snapshot();
}

NftFirewallCounters NftFirewall::counters() const {
  NftFirewallCounters c;
  c.kernel = impl_->nft->counters();
  if (impl_->monitor) c.monitor = impl_->monitor->counters();
  c.repairs = impl_->repairs;
  return c;
}

const std::string& NftFirewall::table() const {
  return impl_->options.table;
}

}  // namespace rampart
