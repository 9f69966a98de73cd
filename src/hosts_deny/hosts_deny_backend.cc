#include "hosts_deny/hosts_deny_backend.h"
#include <linux/capability.h>

#include <algorithm>
#include <charconv>

#include "base/log.h"
#include "core/enforcer.h"
#include "hosts_deny/hosts_deny_check.h"
#include "state/state_store.h"
namespace rampart {

namespace {

// An update is a rewrite of a small file: this only stops a helper that hangs.
constexpr uint64_t kHelperTimeoutSec = 30;

uint32_t rule_of(std::string_view comment) {
  uint32_t rule = 0;
  if (size_t colon = comment.rfind(':'); colon != std::string_view::npos)
    std::from_chars(comment.data() + colon + 1, comment.data() + comment.size(), rule);
  return rule;
}

}  // namespace

void HostsDenyBackend::Batch::merge(Batch other) {
  for (const auto& [address, want] : other.edits) edits[address] = want;
  std::move(other.adds.begin(), other.adds.end(), std::back_inserter(adds));
  std::move(other.removed.begin(), other.removed.end(), std::back_inserter(removed));
}

HostsDenyBackend::HostsDenyBackend(std::string path, const Clock& clock, StateStore* state,
                                   std::optional<Helper> helper)
    : path_(std::move(path)), clock_(clock), state_(state), helper_(std::move(helper)) {}

HostsDenyBackend::~HostsDenyBackend() = default;  // an update under way finishes alone

ApplyResult HostsDenyBackend::apply(std::span<const Change> changes) {
  ApplyResult result;
  Batch batch;
  batch.edits.reserve(changes.size());
  uint64_t now = clock_.realtime_us();
  for (const auto& c : changes) {
    batch.edits[c.address] = c.op == Change::Op::Add;
    if (c.op != Change::Op::Add || !state_) continue;
    state_->put(UndoRecord{.kind = CommandKind::HostsDeny,
                           .command = c.command,
                           .address = c.address,
                           .deadline_us = c.timeout_ms ? now + c.timeout_ms * 1000 : 0,
                           .rule_id = rule_of(c.comment),
                           .confirmed = true});
  }
  // The undo must be on disk before the line is: a crash in between is repaired at start.
  Result<void> written = state_ ? state_->flush() : Result<void>{};
  if (!written) {
    log_error("hosts.deny: not adding blocks: {}", written.error().message);
    for (auto& [address, want] : batch.edits) want = false;
  }
  std::vector<size_t> accepted;
  for (size_t i = 0; i < changes.size(); ++i) {
    const Change& c = changes[i];
    if (c.op == Change::Op::Add && !written) {
      result.rejected.emplace_back(i, written.error());
      if (state_) state_->erase(CommandKind::HostsDeny, c.command, c.address);
      continue;
    }
    accepted.push_back(i);
    if (c.op == Change::Op::Add)
      batch.adds.push_back(c);
    else
      batch.removed.emplace_back(c.command, c.address);
  }
  if (helper_) {
    result.applied = accepted.size();
    queue(std::move(batch));
    return result;
  }
  if (auto r = update_hosts_deny(path_, batch.edits); !r) {
    // A failed add leaves no block; a failed delete keeps its undo for the next start.
    for (size_t i : accepted) {
      result.rejected.emplace_back(i, r.error());
      const Change& c = changes[i];
      if (c.op == Change::Op::Add && state_)
        state_->erase(CommandKind::HostsDeny, c.command, c.address);
    }
    return result;
  }
  updated(batch);
  result.applied = accepted.size();
  return result;
}

Result<std::vector<RestoredBlock>> HostsDenyBackend::restore() {
  std::vector<RestoredBlock> blocks;
  if (!state_) return blocks;
  auto records = state_->undo_records(CommandKind::HostsDeny);
  if (records.empty()) return blocks;
  uint64_t now = clock_.realtime_us();
  Batch batch;
  for (const auto& r : records) {
    bool expired = r.deadline_us && r.deadline_us <= now;
    batch.edits[r.address] = !expired;
    if (expired) {
      log_info("expired {} ({}, hosts-deny) while rampartd was not running", r.address.str(),
               r.command);
      batch.removed.emplace_back(r.command, r.address);
    } else {
      blocks.push_back(
          RestoredBlock{r.address, r.command, r.rule_id,
                        r.deadline_us ? std::max<uint64_t>(1, (r.deadline_us - now) / 1000) : 0});
    }
  }
  if (helper_) {
    queue(std::move(batch));
    return blocks;
  }
  if (auto u = update_hosts_deny(path_, batch.edits); !u) return std::unexpected(u.error());
  updated(batch);
  return blocks;
}

void HostsDenyBackend::queue(Batch batch) {
  pending_.merge(std::move(batch));
  if (!run_) start_helper();
}

void HostsDenyBackend::start_helper() {
  if (pending_.empty()) return;
  writing_ = std::exchange(pending_, {});
  helper_output_.clear();
  ExecSpec spec{.argv = {helper_->program, path_},
                .input = encode_hosts_deny_edits(writing_.edits),
                .timeout_usec = kHelperTimeoutSec * 1000000,
                .label = "hosts.deny update",
                .sandbox = ExecSpec::Sandbox{
                    .writable = {hosts_deny_directory(path_)},
                    // The temp file gets the owner and mode of the file it replaces.
                    .capabilities = (1ull << CAP_CHOWN) | (1ull << CAP_DAC_OVERRIDE)}};
  auto collect = [this](std::string_view line) {
    if (!helper_output_.empty()) helper_output_ += "; ";
    helper_output_ += line;
  };
  ExecCallbacks callbacks{.on_stdout = collect,
                          .on_stderr = collect,
                          .on_exit = [this](const ExecExit& exit) { helper_exited(exit); }};
  auto run = helper_->runner->start(std::move(spec), std::move(callbacks));
  if (!run) {
    failed(std::exchange(writing_, {}), run.error());
    return;
  }
  run_ = std::move(*run);
}

void HostsDenyBackend::helper_exited(const ExecExit& exit) {
  auto done = std::move(run_);  // its on_exit is running: it goes when this returns
  Batch batch = std::exchange(writing_, {});
  if (exit.ok())
    updated(batch);
  else
    failed(batch, Error{EIO, helper_output_.empty()
                                 ? "rampart-hosts-deny: " + exit.describe(kHelperTimeoutSec)
                                 : helper_output_});
  start_helper();  // what was decided meanwhile
}

void HostsDenyBackend::updated(const Batch& batch) {
  ++rewrites_;
  if (!state_) return;
  for (const auto& [command, address] : batch.removed) {
    // A later add of the address waits in pending_ with its own undo: keep that one.
    auto later = pending_.edits.find(address);
    if (later == pending_.edits.end() || !later->second)
      state_->erase(CommandKind::HostsDeny, command, address);
  }
}

void HostsDenyBackend::failed(const Batch& batch, const Error& error) {
  log_error("hosts.deny: cannot update {}: {}", path_, error.message);
  // A failed add leaves no block; a failed delete keeps its undo for the next start.
  for (const Change& c : batch.adds) {
    auto wanted = batch.edits.find(c.address);
    bool superseded =
        (wanted != batch.edits.end() && !wanted->second) || pending_.edits.contains(c.address);
    if (superseded) continue;
    if (state_) state_->erase(CommandKind::HostsDeny, c.command, c.address);
    if (on_failure_) on_failure_(c, error);
  }
}

}  // namespace rampart
