// Wazuh and OSSEC alerts.json objects, and the object OSSEC's csyslogd sends in its json
// syslog_output format ({"crit":10,"id":5712,"component":...}).
#include <simdjson.h>

#include <bit>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>

#include "alert/alert_internal.h"
namespace rampart::alert_detail {
namespace {

using simdjson::error_code;
using simdjson::ondemand::array;
using simdjson::ondemand::json_type;
using simdjson::ondemand::object;
using simdjson::ondemand::value;

std::unexpected<Error> json_error(error_code e) {
  switch (e) {
    case simdjson::INCOMPLETE_ARRAY_OR_OBJECT:
      return fail(EINVAL, "truncated JSON object");
    case simdjson::UNCLOSED_STRING:
      return fail(EINVAL, "invalid JSON: unclosed string");
    case simdjson::UTF8_ERROR:
      return fail(EINVAL, "invalid JSON: not UTF-8");
    case simdjson::TAPE_ERROR:
      return fail(EINVAL, "invalid JSON: malformed structure");
    case simdjson::DEPTH_ERROR:
      return fail(EINVAL, "invalid JSON: nested too deeply");
    default:
      return fail(EINVAL, "invalid JSON: {}", simdjson::error_message(e));
  }
}

// Everything any of the three schemas may carry. The views point into the parser's string
// buffer, valid until the next iterate(), so nothing is copied until the schema is known.
struct Fields {
  bool has_rule = false;
  bool has_groups_array = false;
  std::optional<int64_t> level;
  std::optional<uint32_t> rule_id;
  std::optional<uint32_t> sidid;
  std::string_view rule_description, rule_comment, rule_group;
  std::string_view timestamp;
  std::optional<double> timestamp_ms;
  std::string_view alert_id, location, hostname, agent_name_top;
  std::string_view agent_id, agent_name;
  std::string_view data_srcip, data_srcuser, data_dstuser;
  std::string_view srcip, srcuser, dstuser;
  std::string_view file, syscheck_path;
  // csyslogd's json format.
  std::optional<int64_t> crit;
  std::optional<uint32_t> csyslog_id;
  std::string_view component, classification, description, acct, src_ip;
};

Result<void> get_string(value& v, std::string_view name, std::string_view& ret) {
  if (auto e = v.get_string().get(ret)) {
    if (e == simdjson::INCORRECT_TYPE) return fail(EINVAL, "{} is not a string", name);
    return json_error(e);
  }
  return {};
}

Result<int64_t> get_integer(value& v, std::string_view name) {
  json_type type;
  if (auto e = v.type().get(type)) return json_error(e);
  if (type != json_type::number) return fail(EINVAL, "{} is not a number", name);
  int64_t n = 0;
  if (v.get_int64().get(n)) return fail(EINVAL, "{} is not an integer", name);
  return n;
}

Result<int64_t> get_level(value& v, std::string_view name) {
  auto n = get_integer(v, name);
  if (!n) return std::unexpected(n.error());
  if (*n < 0 || *n > kMaxLevel) return fail(EINVAL, "{} {} is not 0..{}", name, *n, kMaxLevel);
  return *n;
}

// Wazuh writes rule ids as strings ("5712"), OSSEC and csyslogd as numbers.
Result<uint32_t> get_rule_id(value& v, std::string_view name) {
  json_type type;
  if (auto e = v.type().get(type)) return json_error(e);
  if (type == json_type::string) {
    std::string_view text;
    if (auto e = v.get_string().get(text)) return json_error(e);
    return parse_rule_id(text, name);
  }
  if (type != json_type::number) return fail(EINVAL, "{} is not a number", name);
  uint64_t n = 0;
  if (v.get_uint64().get(n) || n > UINT32_MAX) return fail(EINVAL, "{} is not a rule id", name);
  return static_cast<uint32_t>(n);
}

// A key literal with its closing quote, packed at compile time into two masked words.
template <size_t N>
struct KeyLiteral {
  static_assert(N <= 16, "keys longer than 15 bytes need a third word");
  uint64_t word[2] = {};
  uint64_t mask[2] = {};
  consteval KeyLiteral(const char (&text)[N]) {
    for (size_t i = 0; i < N; ++i) {
      auto byte = static_cast<uint64_t>(static_cast<unsigned char>(i + 1 < N ? text[i] : '"'));
      word[i / 8] |= byte << (8 * (i % 8));
      mask[i / 8] |= uint64_t{0xff} << (8 * (i % 8));
    }
  }
};

// A key as it stands in the JSON text, compared without unescaping: unescaping every key was
// the largest cost per alert. OSSEC and Wazuh never escape key names; a key written with
// escapes matches nothing and is ignored like any unknown key.
struct Key {
  uint64_t head;  // the first 16 bytes after the opening quote (little-endian words)
  uint64_t tail;

  explicit Key(const char* raw) {
    // The buffer is zero-padded well past the end, so reading beyond a short key is safe.
    std::memcpy(&head, raw, 8);
    std::memcpy(&tail, raw + 8, 8);
  }
  char first() const { return static_cast<char>(head & 0xff); }
  template <KeyLiteral L>
  bool is() const {
    static_assert(std::endian::native == std::endian::little);
    return (head & L.mask[0]) == L.word[0] && (tail & L.mask[1]) == L.word[1];
  }
};

// Runs `on_field(key, value)` for each member of an object value.
template <class F>
Result<void> for_each_field(value& v, std::string_view name, F&& on_field) {
  object obj;
  if (auto e = v.get_object().get(obj)) {
    if (e == simdjson::INCORRECT_TYPE) return fail(EINVAL, "{} is not an object", name);
    return json_error(e);
  }
  // Each field is used where the iterator made it: moving it out of its result and copying its
  // value made GCC pass the iterator through the stack and reload it with one wide load over
  // two narrower stores, a store-forwarding stall per member that cost a third of a parse.
  for (auto field_result : obj) {
    if (auto e = field_result.error()) return json_error(e);
    auto& field = field_result.value_unsafe();
    if (auto r = on_field(Key(field.key().raw()), field.value()); !r) return r;
  }
  return {};
}

#define RAMPART_TRY(expr)                                                                          \
  do {                                                                                             \
    if (auto rampart_r = (expr); !rampart_r) return std::unexpected(std::move(rampart_r.error())); \
  } while (0)

#define RAMPART_ASSIGN(lhs, expr)                                         \
  do {                                                                    \
    auto rampart_r = (expr);                                              \
    if (!rampart_r) return std::unexpected(std::move(rampart_r.error())); \
    lhs = *rampart_r;                                                     \
  } while (0)

Result<void> parse_groups(value& v, Fields& f, std::string& groups) {
  array arr;
  if (auto e = v.get_array().get(arr)) {
    if (e == simdjson::INCORRECT_TYPE) return fail(EINVAL, "rule.groups is not an array");
    return json_error(e);
  }
  f.has_groups_array = true;
  for (auto element : arr) {
    std::string_view group;
    if (auto e = element.get_string().get(group)) {
      if (e == simdjson::INCORRECT_TYPE) return fail(EINVAL, "rule.groups holds a non-string");
      return json_error(e);
    }
    append_group(group, groups);
  }
  return {};
}

Result<void> parse_rule(value& v, Fields& f, std::string& groups) {
  f.has_rule = true;
  return for_each_field(v, "rule", [&](Key key, value& m) -> Result<void> {
    // Most rule members (mitre, pci_dss, gdpr, ...) are of no interest: the first byte
    // turns them away after one compare.
    switch (key.first()) {
      case 'l':
        if (key.is<"level">()) RAMPART_ASSIGN(f.level, get_level(m, "rule.level"));
        break;
      case 'i':
        if (key.is<"id">()) RAMPART_ASSIGN(f.rule_id, get_rule_id(m, "rule.id"));
        break;
      case 'g':
        if (key.is<"groups">()) return parse_groups(m, f, groups);
        if (key.is<"group">()) return get_string(m, "rule.group", f.rule_group);
        break;
      case 'd':
        if (key.is<"description">()) return get_string(m, "rule.description", f.rule_description);
        break;
      case 's':
        if (key.is<"sidid">()) RAMPART_ASSIGN(f.sidid, get_rule_id(m, "rule.sidid"));
        break;
      case 'c':
        if (key.is<"comment">()) return get_string(m, "rule.comment", f.rule_comment);
        break;
    }
    return {};
  });
}

Result<void> parse_data(value& v, Fields& f) {
  json_type type;
  if (auto e = v.type().get(type)) return json_error(e);
  // OSSEC's "data" is a decoded string; only Wazuh's object holds srcip.
  if (type != json_type::object) return {};
  return for_each_field(v, "data", [&](Key k, value& m) -> Result<void> {
    if (k.is<"srcip">()) return get_string(m, "data.srcip", f.data_srcip);
    if (k.is<"srcuser">()) return get_string(m, "data.srcuser", f.data_srcuser);
    if (k.is<"dstuser">()) return get_string(m, "data.dstuser", f.data_dstuser);
    return {};
  });
}

Result<void> parse_agent(value& v, Fields& f) {
  return for_each_field(v, "agent", [&](Key k, value& m) -> Result<void> {
    if (k.is<"id">()) return get_string(m, "agent.id", f.agent_id);
    if (k.is<"name">()) return get_string(m, "agent.name", f.agent_name);
    return {};
  });
}

Result<void> parse_syscheck(value& v, Fields& f) {
  return for_each_field(v, "syscheck", [&](Key k, value& m) -> Result<void> {
    if (k.is<"path">()) return get_string(m, "syscheck.path", f.syscheck_path);
    return {};
  });
}

// "id" is the alert id (a string) in alerts.json but the rule id (a number) from csyslogd.
Result<void> parse_id(value& v, Fields& f) {
  json_type type;
  if (auto e = v.type().get(type)) return json_error(e);
  if (type == json_type::number) {
    RAMPART_ASSIGN(f.csyslog_id, get_rule_id(v, "id"));
    return {};
  }
  return get_string(v, "id", f.alert_id);
}

Result<void> parse_timestamp_ms(value& v, Fields& f) {
  double ms = 0;
  if (v.get_double().get(ms)) return fail(EINVAL, "TimeStamp is not a number");
  f.timestamp_ms = ms;
  return {};
}

// Takes the key's text, not a Key: a Key passed by value is split out of a vector register
// through the stack, the same kind of stall.
Result<void> parse_top_field(const char* raw_key, value& v, Fields& f, std::string& groups) {
  Key key(raw_key);
  switch (key.first()) {
    case 'r':
      if (key.is<"rule">()) return parse_rule(v, f, groups);
      break;
    case 'd':
      if (key.is<"data">()) return parse_data(v, f);
      if (key.is<"dstuser">()) return get_string(v, "dstuser", f.dstuser);
      if (key.is<"description">()) return get_string(v, "description", f.description);
      break;
    case 'a':
      if (key.is<"agent">()) return parse_agent(v, f);
      if (key.is<"agent_name">()) return get_string(v, "agent_name", f.agent_name_top);
      if (key.is<"acct">()) return get_string(v, "acct", f.acct);
      break;
    case 't':
      if (key.is<"timestamp">()) return get_string(v, "timestamp", f.timestamp);
      break;
    case 'l':
      if (key.is<"location">()) return get_string(v, "location", f.location);
      break;
    case 'i':
      if (key.is<"id">()) return parse_id(v, f);
      break;
    case 's':
      if (key.is<"srcip">()) return get_string(v, "srcip", f.srcip);
      if (key.is<"srcuser">()) return get_string(v, "srcuser", f.srcuser);
      if (key.is<"syscheck">()) return parse_syscheck(v, f);
      if (key.is<"src_ip">()) return get_string(v, "src_ip", f.src_ip);
      break;
    case 'S':
      if (key.is<"SyscheckFile">()) return parse_syscheck(v, f);
      break;
    case 'T':
      if (key.is<"TimeStamp">()) return parse_timestamp_ms(v, f);
      break;
    case 'h':
      if (key.is<"hostname">()) return get_string(v, "hostname", f.hostname);
      break;
    case 'f':
      if (key.is<"file">() || key.is<"filename">()) return get_string(v, "file", f.file);
      break;
    case 'c':
      if (key.is<"crit">()) RAMPART_ASSIGN(f.crit, get_level(v, "crit"));
      if (key.is<"component">()) return get_string(v, "component", f.component);
      if (key.is<"classification">()) return get_string(v, "classification", f.classification);
      break;
  }
  return {};
}

std::string_view first_of(std::initializer_list<std::string_view> candidates) {
  for (auto c : candidates)
    if (!c.empty()) return c;
  return {};
}

char* put_2_digits(char* p, unsigned n) {
  p[0] = static_cast<char>('0' + n / 10);
  p[1] = static_cast<char>('0' + n % 10);
  return p + 2;
}

// OSSEC's TimeStamp is milliseconds since the epoch; Wazuh's form keeps it comparable.
// Formatted by hand: gmtime_r() (with its time-zone lock), strftime() and fmt were a fifth of
// an OSSEC alert's parse.
void format_timestamp_ms(double ms, std::string& out) {
  // Converting a double outside int64_t's range is undefined: keep such stamps out (before the
  // epoch or after the year 9999 are no real alert times either).
  if (!(ms >= 0 && ms < 253402300800000.0)) return;
  using namespace std::chrono;
  sys_seconds t{seconds{static_cast<int64_t>(ms / 1000)}};
  auto day = floor<days>(t);
  year_month_day date{day};
  hh_mm_ss time{t - day};
  auto year = static_cast<unsigned>(static_cast<int>(date.year()));
  auto millis = static_cast<unsigned>(static_cast<int64_t>(ms) % 1000);
  char buf[32];  // "2024-01-15T10:23:45.123"
  char* p = put_2_digits(put_2_digits(buf, year / 100), year % 100);
  *p++ = '-';
  p = put_2_digits(p, static_cast<unsigned>(date.month()));
  *p++ = '-';
  p = put_2_digits(p, static_cast<unsigned>(date.day()));
  *p++ = 'T';
  p = put_2_digits(p, static_cast<unsigned>(time.hours().count()));
  *p++ = ':';
  p = put_2_digits(p, static_cast<unsigned>(time.minutes().count()));
  *p++ = ':';
  p = put_2_digits(p, static_cast<unsigned>(time.seconds().count()));
  *p++ = '.';
  *p++ = static_cast<char>('0' + millis / 100);
  p = put_2_digits(p, millis % 100);
  out.assign(buf, p - buf);
  out += "+0000";
}

Result<void> fill_alert(const Fields& f, bool in_syslog, Alert& out) {
  if (f.has_rule) {
    if (!f.level) return fail(EINVAL, "rule.level is missing");
    bool ossec = f.sidid.has_value() && !f.rule_id.has_value();
    out.format = in_syslog ? AlertFormat::SyslogJson
                           : (ossec ? AlertFormat::OssecJson : AlertFormat::WazuhJson);
    out.level = static_cast<int>(*f.level);
    out.rule_id = f.rule_id ? f.rule_id : f.sidid;
    set_string(out.description, first_of({f.rule_description, f.rule_comment}));
    if (!f.has_groups_array) set_groups(f.rule_group, out.groups);
    set_srcip(first_of({f.data_srcip, f.srcip}), out);
    set_string(out.user, first_of({f.data_srcuser, f.srcuser, f.data_dstuser, f.dstuser}));
    set_string(out.agent_id, f.agent_id);
    set_string(out.agent_name, first_of({f.agent_name, f.agent_name_top, f.hostname,
                                         agent_from_location(f.location)}));
    set_string(out.id, f.alert_id);
    set_string(out.location, f.location);
    if (!f.timestamp.empty())
      set_string(out.timestamp, f.timestamp);
    else if (f.timestamp_ms)
      format_timestamp_ms(*f.timestamp_ms, out.timestamp);
    set_string(out.filename, first_of({f.syscheck_path, f.file}));
    return {};
  }
  if (f.crit) {
    out.format = AlertFormat::SyslogJson;
    out.level = static_cast<int>(*f.crit);
    out.rule_id = f.csyslog_id;
    set_string(out.description, f.description);
    set_groups(f.classification, out.groups);
    set_srcip(f.src_ip, out);
    set_string(out.user, first_of({f.acct, f.srcuser, f.dstuser}));
    set_string(out.location, f.component);
    set_string(out.agent_name, agent_from_location(f.component));
    set_string(out.filename, f.file);
    return {};
  }
  return fail(EINVAL, "not an alert: JSON object has no 'rule'");
}

}  // namespace

Result<void> parse_json(ParserState& state, std::string_view json, Alert& out, bool in_syslog) {
  // The one copy of the line: simdjson reads up to SIMDJSON_PADDING bytes past the end.
  std::memcpy(state.padded.get(), json.data(), json.size());
  std::memset(state.padded.get() + json.size(), 0, simdjson::SIMDJSON_PADDING);
  simdjson::padded_string_view view(state.padded.get(), json.size(), state.padded_capacity);

  simdjson::ondemand::document doc;
  if (auto e = state.json.iterate(view).get(doc)) return json_error(e);
  object root;
  if (auto e = doc.get_object().get(root)) {
    if (e == simdjson::INCORRECT_TYPE) return fail(EINVAL, "not an alert: JSON is not an object");
    return json_error(e);
  }
  Fields f;
  for (auto field_result : root) {  // as in for_each_field()
    if (auto e = field_result.error()) return json_error(e);
    auto& field = field_result.value_unsafe();
    RAMPART_TRY(parse_top_field(field.key().raw(), field.value(), f, out.groups));
  }
  // OUT_OF_BOUNDS is the good case: nothing follows the object.
  const char* rest = nullptr;
  if (doc.current_location().get(rest) != simdjson::OUT_OF_BOUNDS)
    return fail(EINVAL, "invalid JSON: data after the object");
  return fill_alert(f, in_syslog, out);
}

}  // namespace rampart::alert_detail
