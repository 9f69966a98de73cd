// The nftables firewall's lifecycle: the start (from rampart's own record, or a dump of the
// sets when there is none), every transaction written ahead into the record, repairs when
// someone else changes the ruleset, and the record's new base at a clean stop. The work a
// start or a repair leaves for after READY is in nft_reconcile.cc.
#include "nft/nft_firewall.h"
#include <systemd/sd-daemon.h>

#include <algorithm>
#include <charconv>

#include "base/log.h"
#include "nft/nft_firewall_impl.h"
namespace rampart {
namespace {

// Transactions this large are sent while the nftables monitor pauses (see NftMonitor): the
// kernel then builds no notification per element for it. Smaller ones are not worth the
// generation check.
constexpr size_t kQuietTransaction = 256;
// How long systemd is asked to wait for the next sign of progress during a long start.
constexpr uint64_t kExtendStartUs = 60'000'000;

uint32_t rule_of(std::string_view comment) {
  uint32_t rule = 0;
  if (auto colon = comment.rfind(':'); colon != std::string_view::npos)
    std::from_chars(comment.data() + colon + 1, comment.data() + comment.size(), rule);
  return rule;
}

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

// systemd kills a start that takes longer than TimeoutStartSec (90 s by default) unless it
// hears that the start is still making progress.
void extend_start(uint64_t& last_us, uint64_t now_us, std::string_view status) {
  if (last_us && now_us - last_us < 5'000'000) return;
  last_us = now_us;
  sd_notifyf(0, "EXTEND_TIMEOUT_USEC=%llu\nSTATUS=%.*s",
             static_cast<unsigned long long>(kExtendStartUs), static_cast<int>(status.size()),
             status.data());
}

}  // namespace

// The sockets: transactions, lookups, and the monitor, which listens from here on, so that
// the generation read now (`gen`) is the one to compare with the record: every later change
// to the table is seen and handled.
Result<void> NftFirewall::Impl::open_sockets(uint32_t& gen) {
  auto opened = NftBackend::open(options.table);
  if (!opened) return std::unexpected(opened.error());
  nft = std::move(*opened);
  auto looking = NftLookup::open(options.table);
  if (!looking) return std::unexpected(looking.error());
  lookup = std::move(*looking);
  auto watching =
      NftMonitor::open(event, nft->table(), nft->portid(),
                       {[this] { repair(); },
                        [this](const std::vector<NftElement>& gone) { elements_deleted(gone); },
                        [this] { verify(); }});
  if (!watching) return std::unexpected(watching.error());
  monitor = std::move(*watching);
  auto now = nft->generation();
  if (!now) return std::unexpected(now.error());
  gen = *now;
  monitor->set_generation(gen);
  return {};
}

Result<void> NftFirewall::Impl::start(NftFirewall* self) {
  uint32_t gen = 0;
  if (auto r = open_sockets(gen); !r) return r;
  auto whole = nft->ruleset_present();
  if (!whole) return std::unexpected(whole.error());
  if (auto r = NftRecord::open(options.state_directory, options.table, event))
    record = std::move(*r);
  else
    log_warning("{}; the blocks are read from the kernel at every start", r.error().message);
  std::string why = "no usable state directory";
  std::optional<NftRecord::Loaded> loaded;
  if (record) {
    uint64_t extended = 0;
    extend_start(extended, clock.monotonic_us(), "reading the record of the nftables blocks");
    loaded = record->load(why);
  }
  if (auto r = nft->ensure_ruleset(); !r) return std::unexpected(r.error());
  enforcer.set_backend(CommandKind::Firewall, self);
  nft->set_listener(monitor.get(), kQuietTransaction);
  if (loaded) {
    restore_from_record(std::move(*loaded), gen, *whole);
  } else {
    log_info("reading the blocks from the kernel: {}", why);
    restore_from_kernel();
  }
  return {};
}

// The record against the kernel now (plan_start): trusted as it is, or trusted at once and
// checked or put back after READY.
void NftFirewall::Impl::restore_from_record(NftRecord::Loaded loaded, uint32_t gen, bool whole) {
  NftLog& log = loaded.log;
  NftStartPlan plan =
      plan_start({loaded.marker, loaded.marker_this_boot, log.entries.size() > log.marked_entries,
                  record->netns(), gen, whole},
                 options.table);
  size_t upto = plan.drop_tail ? log.marked_entries : log.entries.size();
  std::vector<std::pair<Address, std::string>> dropped;
  for (size_t i = upto; i < log.entries.size(); ++i)
    dropped.emplace_back(log.entries[i].address, log.names[log.entries[i].scope]);
  size_t restored =
      enforcer.restore(CommandKind::Firewall,
                       replay_nft_log(std::move(loaded.base), log, upto, clock.monotonic_us()));
  log = {};
  if (plan.work == NftWork::None) {
    // Changes written ahead of a transaction that never reached the kernel (a crash in
    // between): the record says again what the table holds for them. And the generation
    // after ensure_ruleset(), so that a crash before the next transaction needs no check.
    uint64_t now = clock.monotonic_us();
    for (const auto& [address, scope] : dropped)
      record_change(enforcer.desired(CommandKind::Firewall, address,
                                     parse_ports(scope).value_or(std::vector<ServicePort>{})),
                    now);
    mark();
    // The line an admin (and the system test) looks for: this start needed no kernel dump.
    log_info("{} blocks from the record in {}: table inet {} is as it was left (generation {})",
             restored, options.state_directory, options.table, gen);
    return;
  }
  log_info("{}: {} blocks {} table inet {} after the start", plan.why, enforcer.active(),
           plan.work == NftWork::Verify ? "are checked against" : "go back into", options.table);
  begin(plan.work);
}

// No record to trust: the sets' contents are the blocks, as before rampart kept one. The dump
// can take minutes at a million elements; systemd hears that the start goes on.
void NftFirewall::Impl::restore_from_kernel() {
  uint64_t extended = 0;
  auto elements = nft->dump([&](size_t n) {
    extend_start(extended, clock.monotonic_us(),
                 fmt::format("reading the blocks from the kernel: {} so far", n));
  });
  if (!elements) {
    log_error("cannot read the blocks from the kernel: {}; starting without them",
              elements.error().message);
    enforcer.restore(CommandKind::Firewall, std::vector<RestoredBlock>{});
  } else {
    enforcer.restore(CommandKind::Firewall, restored_from(*elements));
  }
  if (record) rebase("a new record", false);
}

ApplyResult NftFirewall::apply(std::span<const Change> changes) {
  impl_->record_changes(changes);
  ApplyResult result = impl_->send(changes);
  impl_->record_outcome(changes, result);
  return result;
}

// One change into the record: its element is per address and <ports> scope.
void NftFirewall::Impl::record_change(const Change& c, uint64_t now) {
  std::string scope = c.ports.empty() ? std::string() : ports_text(c.ports);
  if (c.op == Change::Op::Delete)
    record->writer().remove(c.address, scope);
  else
    record->writer().add(c.address, scope, c.command, rule_of(c.comment),
                         c.timeout_ms ? now + c.timeout_ms * 1000 : 0);
}

// Written ahead: a crash after the kernel took the transaction must not lose its blocks.
void NftFirewall::Impl::record_changes(std::span<const Change> changes) {
  if (!record) return;
  uint64_t now = clock.monotonic_us();
  for (const Change& c : changes) record_change(c, now);
  record->append();
}

// A refused add leaves no block (Enforcer::backend_failed); then the generation reached.
void NftFirewall::Impl::record_outcome(std::span<const Change> changes, const ApplyResult& result) {
  if (!record) return;
  for (const auto& [i, error] : result.rejected)
    if (changes[i].op == Change::Op::Add)
      record->writer().remove(changes[i].address, ports_text(changes[i].ports));
  mark();
  if (record->wants_rebase() && rebase_source)
    sd_event_source_set_enabled(rebase_source.get(), SD_EVENT_ONESHOT);
}

// The table's view of the whole-address blocks of `addresses` now, into the record.
void NftFirewall::Impl::record_addresses(std::span<const Address> addresses) {
  if (!record) return;
  uint64_t now = clock.monotonic_us();
  for (const Address& a : addresses) record_change(enforcer.desired(CommandKind::Firewall, a), now);
  record->append();
}

NftMarker NftFirewall::Impl::marker(uint32_t genid) const {
  RecordState state = work == NftWork::None     ? RecordState::Settled
                      : work == NftWork::Verify ? RecordState::NeedsVerify
                                                : RecordState::NeedsReadd;
  return {state, genid, record ? record->netns() : 0};
}

// The generation every recorded change has reached, when the monitor knows it (otherwise
// the next transaction tries again).
void NftFirewall::Impl::mark() {
  if (!record) return;
  auto gen = monitor ? monitor->settled_generation() : std::nullopt;
  if (gen || work != NftWork::None) record->writer().marker(marker(gen.value_or(0)));
  record->append();
}

// A new base from the table: everything decided goes to the kernel (and the log) first, so
// that the base is what the kernel holds.
bool NftFirewall::Impl::rebase(const char* why, bool commit) {
  if (!record) return false;
  if (commit) hooks.commit();
  auto gen = monitor ? monitor->settled_generation() : std::nullopt;
  NftMarker m = marker(gen.value_or(0));
  if (!gen && m.state == RecordState::Settled) m.state = RecordState::NeedsVerify;
  uint64_t start = clock.monotonic_us();
  BlockSnapshot snapshot = enforcer.snapshot(CommandKind::Firewall);
  size_t blocks = snapshot.blocks.size();
  if (!record->rebase(std::move(snapshot), m)) return false;
  log_info("saved {} blocks to {} in {} ms ({})", blocks, record->base_path(),
           (clock.monotonic_us() - start) / 1000, why);
  return true;
}

// Someone flushed the ruleset or deleted (part of) our table: rebuild it, then put back every
// live block that is missing, with its remaining time, a slice per loop turn.
void NftFirewall::Impl::repair() {
  if (auto r = nft->ensure_ruleset(); !r) {
    log_error("cannot re-create table inet {}: {}; retrying in 1 s", nft->table(),
              r.error().message);
    sd_event_source* s = nullptr;
    if (sd_event_add_time_relative(event, &s, CLOCK_MONOTONIC, 1000000, 0, on_repair, this) >= 0)
      repair_timer.reset(s);
    return;
  }
  // The table is whole again: what else lives in it (feeds) can go back at once.
  hooks.repaired();
  ++repairs;
  begin(NftWork::Repair);
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
  for (const auto& e : elements) {
    enforcer.forget(CommandKind::Firewall, e.address);
    if (record) record->writer().remove(e.address, "");
  }
  mark();
  hooks.changed();
}

// At a clean stop, after the last commit: the base the next start reads, and nothing in the
// log after it.
void NftFirewall::Impl::stop() {
  if (!record) return;
  rebase("clean stop");
  record->sync();
}

Result<std::unique_ptr<NftFirewall>> NftFirewall::open(sd_event* event, Enforcer& enforcer,
                                                       const Clock& clock, Options options,
                                                       Hooks hooks) {
  auto impl = std::make_unique<Impl>(event, enforcer, clock, std::move(options), std::move(hooks));
  std::unique_ptr<NftFirewall> self(new NftFirewall(std::move(impl)));
  Impl& i = *self->impl_;
  sd_event_source* s = nullptr;
  if (int r = sd_event_add_defer(event, &s, Impl::on_rebase, &i); r < 0)
    return fail_errno(r, "sd_event_add_defer");
  i.rebase_source.reset(s);
  sd_event_source_set_priority(s, SD_EVENT_PRIORITY_IDLE);
  sd_event_source_set_enabled(s, SD_EVENT_OFF);
  if (auto r = i.start(self.get()); !r) {
    // Nothing may keep pointing at a firewall that failed to open.
    if (enforcer.backend(CommandKind::Firewall) == self.get())
      enforcer.set_backend(CommandKind::Firewall, nullptr);
    return std::unexpected(r.error());
  }
  return self;
}

NftFirewall::NftFirewall(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
NftFirewall::~NftFirewall() = default;

ApplyResult NftFirewall::Impl::send(std::span<const Change> changes) {
  bool any_service =
      std::any_of(changes.begin(), changes.end(), [](const Change& c) { return !c.ports.empty(); });
  if (!any_service) return nft->apply(changes);
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
  ApplyResult out = nft->apply_service(changes, std::move(service));
  if (!plain.empty()) {
    ApplyResult r = nft->apply(plain);
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
  impl_->stop();
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
