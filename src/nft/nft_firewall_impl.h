// NftFirewall's insides, shared by nft_firewall.cc (start, transactions, repairs, stop) and
// nft_reconcile.cc (the work after READY that brings the kernel and the record together).
// Private to src/nft.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/handles_event.h"
#include "nft/nft_firewall.h"
#include "nft/nft_lookup.h"
#include "nft/nft_record.h"
namespace rampart {

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
  std::unique_ptr<NftRecord> record;    // null: the state directory is unusable
  std::unique_ptr<NftLookup> lookup;
  EventSourcePtr repair_timer, work_source, rebase_source;
  uint64_t repairs = 0;

  // The work in progress and where it stands.
  NftWork work = NftWork::None;
  std::optional<Address> cursor;  // the last address done
  uint64_t work_started_us = 0;
  size_t work_done = 0, work_gone = 0, work_moved = 0, work_added = 0;

  // nft_firewall.cc
  Result<void> start(NftFirewall* self);
  Result<void> open_sockets(uint32_t& gen);
  void restore_from_record(NftRecord::Loaded loaded, uint32_t gen, bool whole);
  void restore_from_kernel();
  void repair();
  void verify();
  void elements_deleted(const std::vector<NftElement>& elements);
  // Whole-address and per-service changes to their sets (two transactions when both).
  ApplyResult send(std::span<const Change> changes);
  void record_change(const Change& change, uint64_t now);
  void record_changes(std::span<const Change> changes);
  void record_outcome(std::span<const Change> changes, const ApplyResult& result);
  void record_addresses(std::span<const Address> addresses);
  void mark();
  NftMarker marker(uint32_t genid) const;
  // `commit`: send what the enforcer has pending first (not during the start, before the
  // daemon's loop exists).
  bool rebase(const char* why, bool commit = true);
  void stop();

  // nft_reconcile.cc
  void begin(NftWork what);
  void step();
  bool step_readd();
  bool step_lookup();
  void finish_work();
  std::vector<Address> next_addresses(size_t max) const;

  static int on_repair(sd_event_source*, uint64_t, void* u) {
    static_cast<Impl*>(u)->repair();
    return 0;
  }
  static int on_work(sd_event_source*, void* u) {
    static_cast<Impl*>(u)->step();
    return 0;
  }
  static int on_rebase(sd_event_source*, void* u) {
    auto* self = static_cast<Impl*>(u);
    if (self->record && self->record->wants_rebase()) self->rebase("the log outgrew its base");
    return 0;
  }
};

}  // namespace rampart
