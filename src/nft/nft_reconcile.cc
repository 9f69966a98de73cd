// The work a start or a repair leaves for after READY, a slice per loop turn so that alerts and
// the D-Bus API are served meanwhile: re-adding every block (after a reboot), looking every
// block up (after someone changed the ruleset while rampartd was down), or both (a repair).
// Each slice first commits what the enforcer has decided, so the kernel it reads or writes
// holds every decision made so far and a block decided meanwhile is never undone by it.
#include <algorithm>

#include "base/log.h"
#include "nft/nft_firewall_impl.h"
namespace rampart {
namespace {

// ~50 ms of kernel time per turn for adds, ~15 ms for lookups (2.6 µs each): alerts wait at
// most that long behind a slice.
constexpr size_t kReaddSlice = 10'000;
constexpr size_t kLookupSlice = 5'000;
// Kernel and record may differ by the time between the record's write and the kernel's
// commit, and by the kernel's rounding; anything beyond this is someone else's timeout.
constexpr uint64_t kSameDeadlineMs = 2'000;

const char* verb(NftWork work) {
  switch (work) {
    case NftWork::Readd:
      return "re-adding";
    case NftWork::Verify:
      return "checking";
    case NftWork::Repair:
      return "repairing";
    case NftWork::None:
      break;
  }
  return "";
}

}  // namespace

void NftFirewall::Impl::begin(NftWork what) {
  work = what;
  cursor.reset();
  work_started_us = clock.monotonic_us();
  work_done = work_gone = work_moved = work_added = 0;
  if (!work_source) {
    sd_event_source* s = nullptr;
    if (int r = sd_event_add_defer(event, &s, on_work, this); r < 0) {
      log_error_errno(r, "cannot schedule {} the blocks", verb(what));
      return;
    }
    work_source.reset(s);
    // Like the inputs: slices and alerts take turns.
    sd_event_source_set_priority(s, SD_EVENT_PRIORITY_NORMAL);
  }
  sd_event_source_set_enabled(work_source.get(), SD_EVENT_ONESHOT);
  // Until it is done, the record says what is left to do, for a start after a crash.
  mark();
}

void NftFirewall::Impl::step() {
  if (work == NftWork::None) return;
  bool done = work == NftWork::Readd ? step_readd() : step_lookup();
  if (work == NftWork::None) return;  // given up, or begun anew
  if (done)
    finish_work();
  else
    sd_event_source_set_enabled(work_source.get(), SD_EVENT_ONESHOT);
}

// The next distinct addresses with firewall blocks after the cursor, in table order.
std::vector<Address> NftFirewall::Impl::next_addresses(size_t max) const {
  const BlockTable::Map& blocks = enforcer.table().blocks();
  auto it = cursor ? blocks.upper_bound(BlockKey{*cursor, UINT16_MAX}) : blocks.begin();
  std::vector<Address> out;
  for (; it != blocks.end() && out.size() < max; ++it) {
    if (it->second.kind != CommandKind::Firewall) continue;
    if (!out.empty() && out.back() == it->first.address) continue;
    out.push_back(it->first.address);
  }
  return out;
}

bool NftFirewall::Impl::step_readd() {
  std::vector<Address> slice = next_addresses(kReaddSlice);
  if (slice.empty()) return true;
  cursor = slice.back();
  work_added += enforcer.resync(CommandKind::Firewall, slice);
  work_done += slice.size();
  hooks.commit();
  return slice.size() < kReaddSlice;
}

bool NftFirewall::Impl::step_lookup() {
  hooks.commit();
  std::vector<Address> slice = next_addresses(kLookupSlice);
  if (slice.empty()) return true;
  cursor = slice.back();
  auto found = lookup->find(slice);
  if (!found) {
    // The table went away meanwhile (the monitor repairs it) or lookups do not work here:
    // adding everything again is always safe.
    log_warning("{} the blocks: {}; re-adding every block instead", verb(work),
                found.error().message);
    begin(NftWork::Readd);
    return false;
  }
  // Lookups see the whole-address sets; per-service elements (nft_service.h) are trusted, or
  // re-added by a repair.
  std::vector<Address> missing, changed, others;
  for (size_t i = 0; i < slice.size(); ++i) {
    const Address& a = slice[i];
    const std::optional<NftElement>& e = (*found)[i];
    Change ours = enforcer.desired(CommandKind::Firewall, a);
    if (ours.op == Change::Op::Delete || e) others.push_back(a);
    if (ours.op == Change::Op::Delete) continue;
    if (!e) {
      missing.push_back(a);
      continue;
    }
    if (work != NftWork::Verify) continue;
    uint64_t theirs = e->timeout_ms ? std::max<uint64_t>(1, e->expires_ms) : 0;
    bool differs =
        (ours.timeout_ms == 0) != (theirs == 0) ||
        std::max(ours.timeout_ms, theirs) - std::min(ours.timeout_ms, theirs) > kSameDeadlineMs;
    if (!differs) continue;
    enforcer.align(CommandKind::Firewall, a, theirs);
    changed.push_back(a);
  }
  work_done += slice.size();
  if (work == NftWork::Verify) {
    // Lifted while rampartd was down: the same as a deletion seen by the monitor.
    for (const Address& a : missing) enforcer.forget(CommandKind::Firewall, a);
    work_gone += missing.size();
    work_moved += changed.size();
    missing.insert(missing.end(), changed.begin(), changed.end());
    record_addresses(missing);
    if (!missing.empty()) hooks.changed();
  } else {
    work_added += enforcer.resync(CommandKind::Firewall, missing);
    enforcer.resync(CommandKind::Firewall, others, false);
    hooks.commit();
  }
  return slice.size() < kLookupSlice;
}

void NftFirewall::Impl::finish_work() {
  uint64_t ms = (clock.monotonic_us() - work_started_us) / 1000;
  switch (work) {
    case NftWork::Readd:
      log_info("re-added {} blocks to table inet {} in {} ms", work_added, options.table, ms);
      break;
    case NftWork::Verify:
      log_info(
          "checked {} blocks against table inet {} in {} ms: {} were gone (lifted while "
          "rampartd was down), {} had another timeout there",
          work_done, options.table, ms, work_gone, work_moved);
      break;
    case NftWork::Repair:
      log_warning(
          "table inet {} was removed or changed by someone else: re-created it and re-added "
          "{} blocks in {} ms",
          options.table, work_added, ms);
      break;
    case NftWork::None:
      break;
  }
  work = NftWork::None;
  mark();
}

}  // namespace rampart
