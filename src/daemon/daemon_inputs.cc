// Where alerts come from (the sockets, the journal) and what happens to each one.
#include "daemon/daemon_impl.h"
namespace rampart {

Result<void> Daemon::Impl::setup_inputs() {
  // From here on audit records are queued for the loop to send, never written blocking.
  audit.attach(event.get());
  auto in = SocketInput::open(
      event.get(), config->settings.sockets, [this](std::string_view l) { on_line(l); },
      [this](std::string_view why, std::string_view sample) { reject(why, sample); });
  if (!in) return std::unexpected(in.error());
  input = std::move(*in);
  if (!config->settings.journal.enabled) return {};
  auto j = JournalInput::open(
      event.get(), config->settings.journal, config->settings.state_directory,
      [this](const Alert& a) {
        ++alerts_received;
        on_alert(a);
        if (enforcer_.pending() >= 65536) commit();
        schedule_commit();
      },
      [this](std::string_view why, std::string_view sample) {
        ++alerts_received;
        reject(why, sample);
      },
      [this] { return enforcer_.has_pending(); });
  if (!j) return std::unexpected(j.error());
  journal = std::move(*j);
  return {};
}

void Daemon::Impl::on_line(std::string_view line) {
  if (line.empty() || line == "\r") return;
  ++alerts_received;
  if (auto r = parser.parse(line, alert); !r) {
    reject(r.error().message, line.substr(0, 80));
    return;
  }
  on_alert(alert);
  // Bound what one turn can accumulate under a flood; otherwise commit when the turn ends.
  if (enforcer_.pending() >= 65536) commit();
  schedule_commit();
}

void Daemon::Impl::on_alert(const Alert& a, std::vector<std::pair<std::string, Address>>* fired) {
  ++alerts_by_format[static_cast<size_t>(a.format)];
  if (log_enabled(LogLevel::Debug)) log_reasoning(a);
  enforcer_.on_alert(a, fired);
}

// At debug level (systemctl service-log-level rampart debug), what ExplainAlert would say of
// each alert, binding by binding; rate-limited like the rejected-alert records, since a flood
// at debug level must not become a flood of the journal.
void Daemon::Impl::log_reasoning(const Alert& a) {
  uint64_t suppressed = 0;
  if (!reasoning_log.allow(clock.monotonic_us(), &suppressed)) return;
  std::string id = a.id.empty() ? std::string("(no id)") : a.id;
  if (suppressed)
    log_debug("alert {}: the reasoning for {} earlier alerts was not logged (at most {} a minute)",
              id, suppressed, kReasoningPerMinute);
  std::string text = enforcer_.engine().explain(a);
  for (std::string_view rest = text; !rest.empty();) {
    size_t end = rest.find('\n');
    log_debug("alert {}: {}", id, rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  }
}

// When the current loop turn began: the time its alerts were read.
uint64_t Daemon::Impl::turn_us() const {
  uint64_t now = 0;
  if (event && sd_event_now(event.get(), CLOCK_MONOTONIC, &now) >= 0) return now;
  return clock.monotonic_us();  // before the loop's first turn
}

void Daemon::Impl::reject(std::string_view why, std::string_view sample) {
  ++alerts_rejected;
  uint64_t suppressed = 0;
  if (!reject_log.allow(clock.monotonic_us(), &suppressed)) return;
  std::string printable;
  for (char c : sample) printable += (c >= 0x20 && c < 0x7f) ? c : '?';
  audit.alert_rejected(why, printable, suppressed);
}

}  // namespace rampart
