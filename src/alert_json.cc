// Wazuh and OSSEC alerts.json objects, and the object OSSEC's csyslogd sends in its json
// syslog_output format ({"crit":10,"id":5712,"component":...}).
#include <simdjson.h>
#include <time.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "alert_internal.h"

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

// Keys are compared in place: unescaping each one into simdjson's string buffer was the
// biggest cost per alert. Only a key with an escape in it (never written by OSSEC or Wazuh)
// takes the slow path.
error_code field_key(simdjson::ondemand::field& field, std::string_view& ret) {
  const char* start = field.key().raw();
  const char* p = start;
  // stage 1 has already found the closing quote, and the buffer is zero-padded.
  while (*p != '"' && *p != '\\') ++p;
  if (*p == '"') {
    ret = std::string_view(start, static_cast<size_t>(p - start));
    return simdjson::SUCCESS;
  }
  return field.unescaped_key().get(ret);
}

// Runs `on_field(key, value)` for each member of an object value.
template <class F>
Result<void> for_each_field(value& v, std::string_view name, F&& on_field) {
  object obj;
  if (auto e = v.get_object().get(obj)) {
    if (e == simdjson::INCORRECT_TYPE) return fail(EINVAL, "{} is not an object", name);
    return json_error(e);
  }
  for (auto field_result : obj) {
    simdjson::ondemand::field field;
    if (auto e = std::move(field_result).get(field)) return json_error(e);
    std::string_view key;
    if (auto e = field_key(field, key)) return json_error(e);
    value member = field.value();
    if (auto r = on_field(key, member); !r) return r;
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
  return for_each_field(v, "rule", [&](std::string_view key, value& m) -> Result<void> {
    if (key == "level") {
      RAMPART_ASSIGN(f.level, get_level(m, "rule.level"));
    } else if (key == "id") {
      RAMPART_ASSIGN(f.rule_id, get_rule_id(m, "rule.id"));
    } else if (key == "groups") {
      RAMPART_TRY(parse_groups(m, f, groups));
    } else if (key == "description") {
      RAMPART_TRY(get_string(m, "rule.description", f.rule_description));
    } else if (key == "sidid") {
      RAMPART_ASSIGN(f.sidid, get_rule_id(m, "rule.sidid"));
    } else if (key == "comment") {
      RAMPART_TRY(get_string(m, "rule.comment", f.rule_comment));
    } else if (key == "group") {
      RAMPART_TRY(get_string(m, "rule.group", f.rule_group));
    }
    return {};
  });
}

Result<void> parse_top_field(std::string_view key, value& v, Fields& f, std::string& groups) {
  // Ordered by how often a Wazuh sshd alert has them.
  if (key == "rule") return parse_rule(v, f, groups);
  if (key == "data") {
    json_type type;
    if (auto e = v.type().get(type)) return json_error(e);
    // OSSEC's "data" is a decoded string; only Wazuh's object holds srcip.
    if (type != json_type::object) return {};
    return for_each_field(v, "data", [&](std::string_view k, value& m) -> Result<void> {
      if (k == "srcip") return get_string(m, "data.srcip", f.data_srcip);
      if (k == "srcuser") return get_string(m, "data.srcuser", f.data_srcuser);
      if (k == "dstuser") return get_string(m, "data.dstuser", f.data_dstuser);
      return {};
    });
  }
  if (key == "agent") {
    return for_each_field(v, "agent", [&](std::string_view k, value& m) -> Result<void> {
      if (k == "id") return get_string(m, "agent.id", f.agent_id);
      if (k == "name") return get_string(m, "agent.name", f.agent_name);
      return {};
    });
  }
  if (key == "timestamp") return get_string(v, "timestamp", f.timestamp);
  if (key == "location") return get_string(v, "location", f.location);
  if (key == "id") {
    json_type type;
    if (auto e = v.type().get(type)) return json_error(e);
    if (type == json_type::number) {
      RAMPART_ASSIGN(f.csyslog_id, get_rule_id(v, "id"));
      return {};
    }
    return get_string(v, "id", f.alert_id);
  }
  if (key == "srcip") return get_string(v, "srcip", f.srcip);
  if (key == "srcuser") return get_string(v, "srcuser", f.srcuser);
  if (key == "dstuser") return get_string(v, "dstuser", f.dstuser);
  if (key == "syscheck" || key == "SyscheckFile") {
    return for_each_field(v, key, [&](std::string_view k, value& m) -> Result<void> {
      if (k == "path") return get_string(m, "syscheck.path", f.syscheck_path);
      return {};
    });
  }
  if (key == "TimeStamp") {
    double ms = 0;
    if (v.get_double().get(ms)) return fail(EINVAL, "TimeStamp is not a number");
    f.timestamp_ms = ms;
    return {};
  }
  if (key == "hostname") return get_string(v, "hostname", f.hostname);
  if (key == "agent_name") return get_string(v, "agent_name", f.agent_name_top);
  if (key == "file" || key == "filename") return get_string(v, key, f.file);
  if (key == "crit") {
    RAMPART_ASSIGN(f.crit, get_level(v, "crit"));
    return {};
  }
  if (key == "component") return get_string(v, "component", f.component);
  if (key == "classification") return get_string(v, "classification", f.classification);
  if (key == "description") return get_string(v, "description", f.description);
  if (key == "src_ip") return get_string(v, "src_ip", f.src_ip);
  if (key == "acct") return get_string(v, "acct", f.acct);
  return {};
}

std::string_view first_of(std::initializer_list<std::string_view> candidates) {
  for (auto c : candidates)
    if (!c.empty()) return c;
  return {};
}

// OSSEC's TimeStamp is milliseconds since the epoch; Wazuh's form keeps it comparable.
void format_timestamp_ms(double ms, std::string& out) {
  auto seconds = static_cast<time_t>(ms / 1000);
  struct tm tm {};
  if (gmtime_r(&seconds, &tm) == nullptr) return;
  char buf[48];
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  auto millis = static_cast<int64_t>(ms) % 1000;
  out.assign(buf, n);
  out += fmt::format(".{:03}+0000", millis < 0 ? 0 : millis);
}

Result<void> fill_alert(const Fields& f, bool in_syslog, Alert& out) {
  if (f.has_rule) {
    if (!f.level) return fail(EINVAL, "rule.level is missing");
    bool ossec = f.sidid.has_value() && !f.rule_id.has_value();
    out.format = in_syslog ? AlertFormat::SyslogJson
                           : (ossec ? AlertFormat::OssecJson : AlertFormat::WazuhJson);
    out.level = static_cast<int>(*f.level);
    out.rule_id = f.rule_id ? f.rule_id : f.sidid;
    out.description.assign(first_of({f.rule_description, f.rule_comment}));
    if (!f.has_groups_array) set_groups(f.rule_group, out.groups);
    set_srcip(first_of({f.data_srcip, f.srcip}), out);
    out.user.assign(first_of({f.data_srcuser, f.srcuser, f.data_dstuser, f.dstuser}));
    out.agent_id.assign(f.agent_id);
    out.agent_name.assign(
        first_of({f.agent_name, f.agent_name_top, f.hostname, agent_from_location(f.location)}));
    out.id.assign(f.alert_id);
    out.location.assign(f.location);
    if (!f.timestamp.empty())
      out.timestamp.assign(f.timestamp);
    else if (f.timestamp_ms)
      format_timestamp_ms(*f.timestamp_ms, out.timestamp);
    out.filename.assign(first_of({f.syscheck_path, f.file}));
    return {};
  }
  if (f.crit) {
    out.format = AlertFormat::SyslogJson;
    out.level = static_cast<int>(*f.crit);
    out.rule_id = f.csyslog_id;
    out.description.assign(f.description);
    set_groups(f.classification, out.groups);
    set_srcip(f.src_ip, out);
    out.user.assign(first_of({f.acct, f.srcuser, f.dstuser}));
    out.location.assign(f.component);
    out.agent_name.assign(agent_from_location(f.component));
    out.filename.assign(f.file);
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
  for (auto field_result : root) {
    simdjson::ondemand::field field;
    if (auto e = std::move(field_result).get(field)) return json_error(e);
    std::string_view key;
    if (auto e = field_key(field, key)) return json_error(e);
    value v = field.value();
    RAMPART_TRY(parse_top_field(key, v, f, out.groups));
  }
  // OUT_OF_BOUNDS is the good case: nothing follows the object.
  const char* rest = nullptr;
  if (doc.current_location().get(rest) != simdjson::OUT_OF_BOUNDS)
    return fail(EINVAL, "invalid JSON: data after the object");
  return fill_alert(f, in_syslog, out);
}

}  // namespace rampart::alert_detail
