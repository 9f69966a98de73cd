#include "exec/exec_backend.h"
#include <algorithm>
#include <cerrno>
#include <charconv>

#include "base/log.h"
#include "core/enforcer.h"
#include "exec/exec_check.h"
#include "state/state_store.h"
namespace rampart {

namespace {

std::string basename_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

uint32_t rule_of(std::string_view comment) {
  uint32_t rule = 0;
  if (size_t colon = comment.rfind(':'); colon != std::string_view::npos)
    std::from_chars(comment.data() + colon + 1, comment.data() + comment.size(), rule);
  return rule;
}

std::string_view verb_name(ExecVerb verb) {
  return verb == ExecVerb::Add ? "add" : "delete";
}

}  // namespace

ExecBackend::ExecBackend(const Clock& clock, StateStore* state, ExecRunner& runner,
                         ProgramCheck check)
    : clock_(clock),
      state_(state),
      runner_(runner),
      check_(check ? std::move(check) : ProgramCheck(check_exec_program)) {}

ExecBackend::~ExecBackend() = default;

void ExecBackend::set_config(std::shared_ptr<const Config> config) {
  config_ = std::move(config);
  start_runs();  // a larger <exec_concurrency> lets queued runs go now
}

size_t ExecBackend::queued() const {
  size_t n = ready_.size();
  for (const auto& [key, waiting] : busy_) n += waiting.size();
  return n;
}

void ExecBackend::save(const Key& key, const Active& a) {
  if (!state_) return;
  state_->put(UndoRecord{.kind = CommandKind::Exec,
                         .command = key.command,
                         .address = key.address,
                         .deadline_us = a.deadline_us,
                         .rule_id = a.rule_id,
                         .confirmed = a.confirmed,
                         .rkey = a.rkey,
                         .request = a.request});
}

bool ExecBackend::release(const std::string& rkey) {
  if (rkey.empty()) return true;
  auto it = rkeys_.find(rkey);
  if (it == rkeys_.end()) return true;
  if (--it->second > 0) return false;
  rkeys_.erase(it);
  return true;
}

Result<std::unique_ptr<ExecBackend::Run>> ExecBackend::add(const Change& c, uint64_t now) {
  const Settings& s = config_->settings;
  Key key{c.command, c.address};
  uint64_t deadline = c.timeout_ms ? now + c.timeout_ms * 1000 : 0;
  if (auto it = active_.find(key); it != active_.end()) {
    // execd's repeat: the deadline moves, the script does not run again.
    it->second.deadline_us = deadline;
    save(key, it->second);
    return nullptr;
  }
  const Command* cmd = config_->find_command(c.command);
  if (!cmd || cmd->kind != CommandKind::Exec)
    return fail(ENOENT, "command \"{}\" is not an exec command", c.command);
  if (!c.alert) return fail(EINVAL, "no alert to give the script");
  auto program = check_(s.exec_directory, cmd->executable);
  if (!program) return std::unexpected(program.error());
  Active a{.request = make_exec_request(*cmd, *program, *c.alert, s.node_name),
           .deadline_us = deadline,
           .rule_id = rule_of(c.comment),
           .generation = ++generation_};
  save(key, a);
  auto run = std::make_unique<Run>(
      Run{.key = key, .verb = ExecVerb::Add, .request = a.request, .generation = a.generation});
  active_.emplace(key, std::move(a));
  return run;
}

std::unique_ptr<ExecBackend::Run> ExecBackend::remove(const Change& c) {
  Key key{c.command, c.address};
  auto it = active_.find(key);
  if (it == active_.end()) return nullptr;
  Active a = std::move(it->second);
  active_.erase(it);
  if (release(a.rkey))
    return std::make_unique<Run>(
        Run{.key = key, .verb = ExecVerb::Delete, .request = std::move(a.request)});
  // Another block holds the same check_keys key: its delete undoes the action.
  if (state_) state_->erase(CommandKind::Exec, key.command, key.address);
  return nullptr;
}

ApplyResult ExecBackend::apply(std::span<const Change> changes) {
  ApplyResult result;
  uint64_t now = clock_.realtime_us();
  std::vector<std::unique_ptr<Run>> fresh;
  std::vector<size_t> added;  // indexes of changes that start an add
  for (size_t i = 0; i < changes.size(); ++i) {
    const Change& c = changes[i];
    if (c.op != Change::Op::Add) {
      if (auto run = remove(c)) fresh.push_back(std::move(run));
      ++result.applied;
    } else if (auto run = add(c, now); !run) {
      result.rejected.emplace_back(i, run.error());
    } else if (!*run) {
      ++result.applied;  // a repeat
    } else {
      fresh.push_back(std::move(*run));
      added.push_back(i);
    }
  }
  // Every undo is on disk before its script starts: a crash in between is repaired at start.
  if (auto r = state_ ? state_->flush() : Result<void>{}; !r) {
    log_error("exec: not running add scripts: {}", r.error().message);
    for (size_t i : added) {
      Key key{changes[i].command, changes[i].address};
      active_.erase(key);
      state_->erase(CommandKind::Exec, key.command, key.address);
      result.rejected.emplace_back(i, r.error());
    }
    std::erase_if(fresh, [](const auto& run) { return run->verb == ExecVerb::Add; });
  } else {
    result.applied += added.size();
  }
  for (auto& run : fresh) submit(std::move(run));
  start_runs();
  return result;
}

std::vector<RestoredBlock> ExecBackend::restore() {
  std::vector<RestoredBlock> blocks;
  if (!state_) return blocks;
  uint64_t now = clock_.realtime_us();
  std::vector<UndoRecord> expired;
  for (UndoRecord& r : state_->undo_records(CommandKind::Exec)) {
    if (r.deadline_us && r.deadline_us <= now) {
      expired.push_back(std::move(r));
      continue;
    }
    Key key{r.command, r.address};
    Active a{.request = r.request,
             .deadline_us = r.deadline_us,
             .rule_id = r.rule_id,
             .rkey = r.confirmed ? r.rkey : std::string(),
             .generation = ++generation_,
             .confirmed = r.confirmed};
    if (!a.rkey.empty()) ++rkeys_[a.rkey];
    blocks.push_back(
        RestoredBlock{r.address, r.command, r.rule_id,
                      r.deadline_us ? std::max<uint64_t>(1, (r.deadline_us - now) / 1000) : 0});
    if (!r.confirmed) {
      // The add was running (or about to) when rampartd stopped: run it again.
      log_info("exec: {} for {} was interrupted; running its add again", r.command,
               r.address.str());
      submit(std::make_unique<Run>(Run{
          .key = key, .verb = ExecVerb::Add, .request = a.request, .generation = a.generation}));
    }
    active_.emplace(std::move(key), std::move(a));
  }
  for (UndoRecord& r : expired) {
    if (!r.rkey.empty() && rkeys_.contains(r.rkey)) {
      state_->erase(CommandKind::Exec, r.command, r.address);
      continue;
    }
    log_info("expired {} ({}, exec) while rampartd was not running; running its delete now",
             r.address.str(), r.command);
    submit(std::make_unique<Run>(Run{.key = Key{r.command, r.address},
                                     .verb = ExecVerb::Delete,
                                     .request = std::move(r.request)}));
  }
  start_runs();
  return blocks;
}

void ExecBackend::submit(std::unique_ptr<Run> run) {
  run->script = basename_of(run->request.program);
  auto [it, idle] = busy_.try_emplace(run->key);
  if (idle)
    ready_.push_back(std::move(run));
  else
    it->second.push_back(std::move(run));
}

void ExecBackend::start_runs() {
  if (starting_ || !config_) return;  // a run that fails to start finishes inside start()
  starting_ = true;
  size_t limit = std::max<uint32_t>(1, config_->settings.exec_concurrency);
  while (running_.size() < limit && !ready_.empty()) {
    auto run = std::move(ready_.front());
    ready_.pop_front();
    start(std::move(run));
  }
  starting_ = false;
}

void ExecBackend::start(std::unique_ptr<Run> owned) {
  Run* run = owned.get();
  running_.emplace(run, std::move(owned));
  ++counters_.runs;
  const Settings& s = config_->settings;
  // The file was checked at config load; check again, it may have changed since.
  std::string directory = run->request.program.substr(0, run->request.program.rfind('/'));
  if (auto ok = check_(directory, run->script); !ok) {
    finish(run, ExecExit{.error = ok.error().message});
    return;
  }
  bool json = run->request.protocol == ExecProtocol::Json;
  ExecSpec spec{
      .argv = exec_argv(run->request, run->verb),
      .input = exec_stdin(run->request, run->verb),
      .keep_stdin_open = json && run->verb == ExecVerb::Add,
      .timeout_usec = uint64_t{s.exec_timeout_sec} * 1000000,
      .label = fmt::format("{} {} {}", run->script, verb_name(run->verb), run->key.address.str())};
  ExecCallbacks cb{
      .on_stdout = [this, run](std::string_view line) { on_line(*run, line, true); },
      .on_stderr = [this, run](std::string_view line) { on_line(*run, line, false); },
      .on_exit = [this, run](const ExecExit& exit) { finish(run, exit); },
  };
  run->started_us = clock_.monotonic_us();
  auto p = runner_.start(std::move(spec), std::move(cb));
  if (!p) {
    finish(run, ExecExit{.error = p.error().message});
    return;
  }
  run->process = std::move(*p);
  log_info("exec: {} {} {} ({}, {})", run->script, verb_name(run->verb), run->key.address.str(),
           run->key.command, run->process->id());
}

void ExecBackend::on_line(Run& run, std::string_view line, bool is_stdout) {
  if (is_stdout && run.verb == ExecVerb::Add && !run.answered &&
      run.request.protocol == ExecProtocol::Json) {
    if (auto keys = parse_check_keys(line)) {
      // wazuh-execd: the key is the program's name plus the keys the script names; a key some
      // block already holds means the action is in place, so this add is aborted.
      run.answered = true;
      std::string rkey = run.script + *keys;
      auto it = active_.find(run.key);
      bool wanted = it != active_.end() && it->second.generation == run.generation;
      bool abort = !wanted || rkeys_.contains(rkey);
      if (wanted) {
        ++rkeys_[rkey];
        it->second.rkey = rkey;
        save(run.key, it->second);
      }
      if (abort) ++counters_.aborted;
      log_info("exec: {} check_keys {}: {}", run.script, *keys, abort ? "abort" : "continue");
      run.process->write_stdin(exec_check_keys_reply(run.request, abort), true);
      return;
    }
  }
  log_info("{}[{}]: {}{}", run.script, run.process ? run.process->id() : "",
           is_stdout ? "" : "stderr: ", line);
}

void ExecBackend::finish(Run* run, const ExecExit& exit) {
  auto owned = std::move(running_[run]);
  running_.erase(run);
  const Settings& s = config_->settings;
  bool ok = exit.ok();
  std::string what = exit.describe(s.exec_timeout_sec);
  if (exit.timed_out) ++counters_.timeouts;
  uint64_t ms = run->started_us ? (clock_.monotonic_us() - run->started_us) / 1000 : 0;
  if (ok)
    log_info("exec: {} {} {} ({}) done in {} ms", run->script, verb_name(run->verb),
             run->key.address.str(), run->key.command, ms);
  else {
    ++counters_.failures;
    // The run's id finds its output: rampartd's own log for a child, the unit's journal.
    log_warning("exec: {} {} {} ({}{}{}) failed: {}", run->script, verb_name(run->verb),
                run->key.address.str(), run->key.command, run->process ? ", " : "",
                run->process ? run->process->id() : "", what);
  }

  auto it = active_.find(run->key);
  bool current = it != active_.end() && it->second.generation == run->generation;
  if (run->verb == ExecVerb::Add && current) {
    if (ok) {
      it->second.confirmed = true;
      save(run->key, it->second);
    } else {
      release(it->second.rkey);
      active_.erase(it);
      if (state_) state_->erase(CommandKind::Exec, run->key.command, run->key.address);
      Change change{.op = Change::Op::Add, .address = run->key.address};
      change.command = run->key.command;
      if (on_failure_)
        on_failure_(change, Error{ECANCELED, fmt::format("{} add {}", run->script, what)});
    }
  } else if (run->verb == ExecVerb::Delete && it == active_.end() && state_) {
    // Done, whatever the script said: running it again would not do better.
    state_->erase(CommandKind::Exec, run->key.command, run->key.address);
  }

  // The next run of this key, if one waits for this one.
  if (auto b = busy_.find(run->key); b != busy_.end()) {
    if (b->second.empty()) {
      busy_.erase(b);
    } else {
      ready_.push_back(std::move(b->second.front()));
      b->second.pop_front();
    }
  }
  owned.reset();
  start_runs();
}

}  // namespace rampart
