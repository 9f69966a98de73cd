#include "journal/audit.h"
#include <fmt/compile.h>

#include "journal/audit_ids.h"
namespace rampart {

namespace {

// How often, at most, a flood summary is written while records are being dropped.
constexpr uint64_t kSummaryIntervalUs = 1000000;

std::string_view message_id(EventType type) {
  switch (type) {
    case EventType::Blocked:
      return audit_id::kBlocked;
    case EventType::Refreshed:
      return audit_id::kRefreshed;
    case EventType::Unblocked:
      return audit_id::kUnblocked;
    case EventType::Expired:
      return audit_id::kExpired;
    case EventType::Skipped:
      return audit_id::kSkipped;
    case EventType::Refused:
      return audit_id::kRefused;
    case EventType::BackendFailure:
      return audit_id::kBackendFailure;
    case EventType::Restored:
      return audit_id::kRestored;
    case EventType::OrderSent:
      return audit_id::kOrderSent;
    case EventType::OrderReceived:
      return audit_id::kOrderReceived;
    case EventType::OrderApplied:
      return audit_id::kOrderApplied;
    case EventType::OrderRefused:
      return audit_id::kOrderRefused;
  }
  return audit_id::kSummary;
}

void header(JournalRecord& r, std::string_view id, LogLevel level, std::string_view message) {
  r.clear();
  r.add("MESSAGE", message)
      .add("MESSAGE_ID", id)
      .add("PRIORITY", uint64_t(level))
      .add("SYSLOG_IDENTIFIER", "rampartd");
}

// The two lines every block logs, once per order on every node of a fleet: appended piece by
// piece with compiled formats, since a flood spent a tenth of a node's time formatting them.

// "blocked 203.0.113.9 with firewall-drop for 600s (rule 5712, level 10, nftables) ordered by
// manager: sshd: brute force"
std::string block_text(const Event& e, const std::string& addr, std::string_view who) {
  std::string out;
  out.reserve(128 + addr.size() + e.reason.size() + e.narrowed.size());
  auto it = std::back_inserter(out);
  fmt::format_to(it, FMT_COMPILE("{} {} with {} "), to_string(e.type), addr, e.command);
  if (e.timeout_sec)
    fmt::format_to(it, FMT_COMPILE("for {}s"), *e.timeout_sec);
  else
    out += "with no timeout";
  fmt::format_to(it, FMT_COMPILE(" (rule {}, level {}, {}){}"), e.rule_id, e.level, e.backend, who);
  if (!e.origin.empty()) fmt::format_to(it, FMT_COMPILE(" ordered by {}"), e.origin);
  if (!e.reason.empty()) fmt::format_to(it, FMT_COMPILE(": {}"), e.reason);
  if (!e.narrowed.empty()) fmt::format_to(it, FMT_COMPILE("; {}"), e.narrowed);
  return out;
}

// "order sent to agent:005: 203.0.113.9 with firewall-drop (order 000-17-1, rule 5712)"
EventText order_text(const Event& e, const std::string& addr) {
  std::string out;
  out.reserve(160 + addr.size() + e.detail.size());
  auto it = std::back_inserter(out);
  auto what = [&] {
    if (!e.command.empty())
      fmt::format_to(it, FMT_COMPILE("{} with {}"), addr, e.command);
    else if (e.detail.empty())
      out += "order";
  };
  switch (e.type) {
    case EventType::OrderSent:
      fmt::format_to(it, FMT_COMPILE("order sent to {}: "), e.target);
      what();
      fmt::format_to(it, FMT_COMPILE(" (order {}, rule {})"), e.order_id, e.rule_id);
      return {LogLevel::Info, std::move(out)};
    case EventType::OrderReceived:
      fmt::format_to(it, FMT_COMPILE("order received from {}: "), e.origin);
      what();
      fmt::format_to(it, FMT_COMPILE(" (order {}): {}"), e.order_id, e.detail);
      return {LogLevel::Info, std::move(out)};
    case EventType::OrderApplied:
      fmt::format_to(it, FMT_COMPILE("order applied from {}: "), e.origin);
      what();
      fmt::format_to(it, FMT_COMPILE(" (order {})"), e.order_id);
      if (!e.detail.empty()) fmt::format_to(it, FMT_COMPILE(": {}"), e.detail);
      return {LogLevel::Info, std::move(out)};
    default:
      fmt::format_to(it, FMT_COMPILE("order refused from {}: "), e.origin.empty() ? "?" : e.origin);
      what();
      fmt::format_to(it, FMT_COMPILE(" (order {}): {}"), e.order_id.empty() ? "?" : e.order_id,
                     e.detail);
      return {LogLevel::Warning, std::move(out)};
  }
}

}  // namespace

EventText event_text(const Event& e) {
  std::string addr = e.address ? e.address->str() : std::string("-");
  if (e.alert_address) addr += fmt::format(" (alert from {})", e.alert_address->str());
  std::string who = e.caller_uid ? fmt::format(" by uid {}", *e.caller_uid) : std::string();
  switch (e.type) {
    case EventType::Blocked:
    case EventType::Refreshed:
      return {LogLevel::Info, block_text(e, addr, who)};
    case EventType::Expired:
      return {LogLevel::Info, fmt::format("expired {} ({}, {})", addr, e.command, e.backend)};
    case EventType::Unblocked:
      return {LogLevel::Info, fmt::format("unblocked {} ({}, {}): {}{}", addr, e.command, e.backend,
                                          e.detail, who)};
    case EventType::Skipped:
      return {LogLevel::Notice, fmt::format("skipped {} for {}: {} (rule {}, level {})", addr,
                                            e.command, e.detail, e.rule_id, e.level)};
    case EventType::Refused:
      return {LogLevel::Warning,
              fmt::format("refused {} for {}: {}{}", addr, e.command, e.detail, who)};
    case EventType::BackendFailure:
      return {LogLevel::Error, fmt::format("backend failure: {} could not block {} ({}): {}",
                                           e.backend, addr, e.command, e.detail)};
    case EventType::Restored:
      return {LogLevel::Info, fmt::format("restored {} active blocks from {}", e.count, e.backend)};
    case EventType::OrderSent:
    case EventType::OrderReceived:
    case EventType::OrderApplied:
    case EventType::OrderRefused:
      return order_text(e, addr);
  }
  return {LogLevel::Info, std::string(to_string(e.type))};
}

void LogSink::emit(const Event& e) {
  EventText t = event_text(e);
  log_write(t.level, t.text);
}

void event_record(const Event& e, std::string_view message, LogLevel level, JournalRecord& r) {
  header(r, message_id(e.type), level, message);
  r.add("RAMPART_EVENT", to_string(e.type));
  if (e.address) r.add("RAMPART_ADDRESS", e.address->str());
  if (e.alert_address) r.add("RAMPART_ALERT_ADDRESS", e.alert_address->str());
  if (!e.narrowed.empty()) r.add("RAMPART_NARROWED", e.narrowed);
  if (!e.command.empty()) r.add("RAMPART_COMMAND", e.command);
  if (!e.backend.empty()) r.add("RAMPART_BACKEND", e.backend);
  if (e.rule_id != 0) r.add("RAMPART_RULE_ID", e.rule_id);
  if (e.rule_id != 0 || e.level != 0) r.add("RAMPART_LEVEL", uint64_t(e.level));
  if (e.timeout_sec) r.add("RAMPART_TIMEOUT_SEC", *e.timeout_sec);
  if (e.expiry_realtime_us) r.add("RAMPART_EXPIRY_USEC", e.expiry_realtime_us);
  if (!e.alert_id.empty()) r.add("RAMPART_ALERT_ID", e.alert_id);
  if (!e.agent_id.empty()) r.add("RAMPART_AGENT_ID", e.agent_id);
  // The reason is why this happened: the detail (allowlisted, revoked, ...) when there is
  // one, else the alert's description or the manual block's reason.
  if (!e.detail.empty()) {
    r.add("RAMPART_REASON", e.detail);
    if (!e.reason.empty()) r.add("RAMPART_DESCRIPTION", e.reason);
  } else if (!e.reason.empty()) {
    r.add("RAMPART_REASON", e.reason);
  }
  if (e.caller_uid) r.add("RAMPART_CALLER_UID", *e.caller_uid);
  if (!e.origin.empty()) r.add("RAMPART_ORIGIN", e.origin);
  if (!e.order_id.empty()) r.add("RAMPART_ORDER_ID", e.order_id);
  if (!e.target.empty()) r.add("RAMPART_TARGET", e.target);
  if (e.type == EventType::Restored) r.add("RAMPART_COUNT", e.count);
}

// When stderr is the journal the structured records are the log; text lines would only
// repeat them.
Audit::Audit() : text_(!stderr_is_journal()), journal_(JournalWriter::open()) {
  if (!journal_) text_ = true;  // never silent
}

Audit::~Audit() {
  summary_timer_.reset();
  if (unsummarised()) write_summary();
}

void Audit::attach(sd_event* event) {
  if (!journal_) return;
  journal_->attach(event);
  sd_event_source* s = nullptr;
  if (sd_event_add_time(event, &s, CLOCK_MONOTONIC, UINT64_MAX, 100000, on_summary, this) < 0)
    return;
  summary_timer_.reset(s);
  sd_event_source_set_enabled(s, SD_EVENT_OFF);
}

void Audit::emit(const Event& e) {
  EventText t = event_text(e);
  if (text_) log_write(t.level, t.text);
  if (!journal_) return;
  event_record(e, t.text, t.level, record_);
  if (journal_->send(record_)) return;
  ++dropped_[static_cast<size_t>(e.type)];
  if (summary_timer_ && sd_event_source_get_enabled(summary_timer_.get(), nullptr) == 0) {
    uint64_t now = 0;
    sd_event_now(sd_event_source_get_event(summary_timer_.get()), CLOCK_MONOTONIC, &now);
    sd_event_source_set_time(summary_timer_.get(), now + kSummaryIntervalUs);
    sd_event_source_set_enabled(summary_timer_.get(), SD_EVENT_ONESHOT);
  }
}

uint64_t Audit::unsummarised() const {
  uint64_t n = 0;
  for (uint64_t d : dropped_) n += d;
  return n;
}

void Audit::write_summary() {
  uint64_t total = unsummarised();
  std::string counts;
  for (size_t i = 0; i < kTypes; ++i) {
    if (!dropped_[i]) continue;
    if (!counts.empty()) counts += ", ";
    counts += fmt::format("{} {}", dropped_[i], to_string(static_cast<EventType>(i)));
  }
  std::string text = fmt::format(
      "audit: {} records were not written one by one because the journal could not keep up "
      "({}); the kernel and `rampartctl list` have every block",
      total, counts);
  if (text_) log_write(LogLevel::Warning, text);
  header(record_, audit_id::kSummary, LogLevel::Warning, text);
  record_.add("RAMPART_DROPPED", total);
  for (size_t i = 0; i < kTypes; ++i) {
    if (!dropped_[i]) continue;
    std::string name = fmt::format("RAMPART_DROPPED_{}", to_string(static_cast<EventType>(i)));
    for (char& c : name) c = c == '-' ? '_' : char(toupper(static_cast<unsigned char>(c)));
    record_.add(name, dropped_[i]);
  }
  journal_->send(record_, false);
  dropped_.fill(0);
}

int Audit::on_summary(sd_event_source*, uint64_t, void* userdata) {
  static_cast<Audit*>(userdata)->write_summary();
  return 0;
}

void Audit::config_loaded(const Config& config, std::string_view how) {
  std::string text = fmt::format("configuration {}: {} commands, {} active responses", how,
                                 config.commands.size(), config.responses.size());
  if (text_) log_write(LogLevel::Info, text);
  if (!journal_) return;
  header(record_, audit_id::kConfigLoaded, LogLevel::Info, text);
  std::string files;
  for (const auto& f : config.files) files += (files.empty() ? "" : " ") + f;
  record_.add("RAMPART_CONFIG_FILES", files)
      .add("RAMPART_COMMANDS", uint64_t(config.commands.size()))
      .add("RAMPART_RESPONSES", uint64_t(config.responses.size()));
  journal_->send(record_, false);
}

void Audit::config_rejected(const Error& error, bool at_start) {
  std::string text =
      at_start
          ? fmt::format("configuration rejected:\n{}", error.message)
          : fmt::format("configuration not reloaded, keeping the running one:\n{}", error.message);
  if (text_ && !at_start) log_write(LogLevel::Error, text);
  if (!journal_) return;
  header(record_, audit_id::kConfigRejected, LogLevel::Error, text);
  record_.add("RAMPART_REASON", error.message);
  journal_->send(record_, false);
}

void Audit::alert_rejected(std::string_view why, std::string_view sample, uint64_t suppressed) {
  std::string text =
      fmt::format("rejected alert line: {} (\"{}\"){}", why, sample,
                  suppressed ? fmt::format("; {} more rejected lines not logged", suppressed) : "");
  if (text_) log_write(LogLevel::Warning, text);
  if (!journal_) return;
  header(record_, audit_id::kAlertRejected, LogLevel::Warning, text);
  record_.add("RAMPART_REASON", why).add("RAMPART_SAMPLE", sample);
  record_.add("RAMPART_SUPPRESSED", suppressed);
  journal_->send(record_, false);
}

void Audit::feed_loaded(const FeedStatus& feed, const std::vector<std::string>& cuts) {
  std::string text = fmt::format(
      "blocklist {} loaded from {}: {} entries as {} ranges in one transaction ({} ms){}",
      feed.name, feed.file, feed.entries, feed.ranges, feed.load_duration_us / 1000,
      cuts.empty() ? ""
                   : fmt::format("; {} cut around addresses that stay reachable", cuts.size()));
  if (text_) {
    log_write(LogLevel::Info, text);
    for (const std::string& cut : cuts)
      log_write(LogLevel::Notice, fmt::format("blocklist {}: {}", feed.name, cut));
  }
  if (!journal_) return;
  header(record_, audit_id::kFeedLoaded, LogLevel::Info, text);
  record_.add("RAMPART_FEED", feed.name).add("RAMPART_FILE", feed.file);
  record_.add("RAMPART_ENTRIES", feed.entries).add("RAMPART_RANGES", feed.ranges);
  std::string joined;
  for (const std::string& cut : cuts) joined += (joined.empty() ? "" : "\n") + cut;
  if (!joined.empty()) record_.add("RAMPART_CUTS", joined);
  journal_->send(record_, false);
}

void Audit::feed_refused(const FeedStatus& feed) {
  std::string text = fmt::format("blocklist {} not loaded: {}", feed.name, feed.last_error);
  if (text_) log_write(LogLevel::Error, text);
  if (!journal_) return;
  header(record_, audit_id::kFeedRefused, LogLevel::Error, text);
  record_.add("RAMPART_FEED", feed.name).add("RAMPART_FILE", feed.file);
  record_.add("RAMPART_REASON", feed.last_error);
  journal_->send(record_, false);
}

}  // namespace rampart
