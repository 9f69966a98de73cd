#include "fleet/order_codec.h"
#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <optional>

#include "base/json.h"
namespace rampart {
namespace {

struct OpName {
  Order::Op op;
  std::string_view name;
};
constexpr OpName kOps[] = {
    {Order::Op::Block, "block"}, {Order::Op::Unblock, "unblock"}, {Order::Op::Flush, "flush"}};

void key(std::string& out, std::string_view name, std::string_view value) {
  out += ",\"";
  out += name;
  out += "\":";
  append_json_string(out, value);
}

void key(std::string& out, std::string_view name, uint64_t value) {
  out += ",\"";
  out += name;
  out += "\":";
  fmt::format_int digits(value);
  out.append(digits.data(), digits.size());
}

// Agent ids, fleet-visible names and ids: printable, bounded, no JSON or subject surprises.
bool printable(std::string_view s, size_t max) {
  return !s.empty() && s.size() <= max &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c != 0x7f; });
}

bool token(std::string_view s, size_t max) {
  return !s.empty() && s.size() <= max && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

Result<void> invalid(std::string_view what) {
  return fail(EINVAL, "malformed order: {}", what);
}

}  // namespace

std::string target_text(const OrderTarget& target) {
  switch (target.kind) {
    case OrderTarget::Kind::All:
      return "all";
    case OrderTarget::Kind::Servers:
      return "servers";
    case OrderTarget::Kind::Agent:
      return "agent:" + target.agent;
  }
  return "all";
}

std::optional<OrderTarget> parse_target(std::string_view text) {
  if (text == "all") return OrderTarget{OrderTarget::Kind::All, {}};
  if (text == "servers") return OrderTarget{OrderTarget::Kind::Servers, {}};
  if (text.starts_with("agent:") && token(text.substr(6), 32))
    return OrderTarget{OrderTarget::Kind::Agent, std::string(text.substr(6))};
  return std::nullopt;
}

std::string encode_order(const Order& o) {
  std::string out;
  out.reserve(512 + o.reason.size());
  out += "{\"v\":";
  out += std::to_string(kOrderVersion);
  key(out, "id", o.id);
  key(out, "op", to_string(o.op));
  key(out, "target", target_text(o.target));
  out += ",\"origin\":{\"id\":";
  append_json_string(out, o.origin_id);
  out += ",\"name\":";
  append_json_string(out, o.origin_name);
  out += '}';
  key(out, "issued", o.issued_us);
  if (o.op != Order::Op::Flush) key(out, "address", o.address.str());
  if (o.op == Order::Op::Block) {
    key(out, "command", o.command);
    key(out, "deadline", o.deadline_us);
    key(out, "rule", o.rule_id);
    key(out, "level", static_cast<uint64_t>(std::max(o.level, 0)));
    key(out, "alert_id", o.alert_id);
    key(out, "reason", o.reason);
    if (o.alert) {
      out += ",\"alert\":";
      out += o.alert->to_wazuh_json();
    }
  }
  out += '}';
  return out;
}

// What an order's fields say, before any is checked. The views point into the parser's string
// buffer (or, for the alert, into the padded copy of the order): valid until the next decode.
struct OrderFields {
  std::optional<int64_t> version;
  std::optional<std::string_view> id, op, target, origin_id, origin_name, address, command,
      alert_id, reason;
  std::optional<uint64_t> issued, deadline, rule, level;
  bool has_origin = false, has_alert = false;
  std::optional<std::string_view> alert;  // the alert object's raw JSON
};

struct OrderDecoder::Impl {
  simdjson::ondemand::parser json;
  std::unique_ptr<char[]> padded;
  size_t capacity = 0;
  AlertParser alerts;
  std::string_view alert_text;   // of the last decode_header, into `padded`
  std::shared_ptr<Alert> alert;  // the last one parsed

  Result<void> read(std::string_view text, OrderFields& f);
  Result<void> check(const OrderFields& f, Order& out);
  Result<void> block_fields(const OrderFields& f, Order& out);
};

namespace {

template <typename T>
std::optional<T> get_or_none(simdjson::ondemand::value& v) {
  T out{};
  if (v.get(out)) return std::nullopt;
  return out;
}

bool read_origin(simdjson::ondemand::value& v, OrderFields& f) {
  simdjson::ondemand::object origin;
  if (v.get_object().get(origin)) return false;
  for (auto field : origin) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return false;
    simdjson::ondemand::value value = field.value();
    if (key == "id") f.origin_id = get_or_none<std::string_view>(value);
    if (key == "name") f.origin_name = get_or_none<std::string_view>(value);
  }
  return true;
}

// One field of the order's top object. A value of the wrong type leaves its field unset (the
// check says which); broken JSON shows in the iteration around it.
void read_field(std::string_view key, simdjson::ondemand::value& v, OrderFields& f) {
  using std::string_view;
  struct StringField {
    string_view name;
    std::optional<string_view> OrderFields::*member;
  };
  static constexpr StringField kStrings[] = {
      {"id", &OrderFields::id},           {"op", &OrderFields::op},
      {"target", &OrderFields::target},   {"address", &OrderFields::address},
      {"command", &OrderFields::command}, {"alert_id", &OrderFields::alert_id},
      {"reason", &OrderFields::reason}};
  struct NumberField {
    string_view name;
    std::optional<uint64_t> OrderFields::*member;
  };
  static constexpr NumberField kNumbers[] = {{"issued", &OrderFields::issued},
                                             {"deadline", &OrderFields::deadline},
                                             {"rule", &OrderFields::rule},
                                             {"level", &OrderFields::level}};
  for (const auto& s : kStrings)
    if (key == s.name) {
      f.*s.member = get_or_none<string_view>(v);
      return;
    }
  for (const auto& n : kNumbers)
    if (key == n.name) {
      f.*n.member = get_or_none<uint64_t>(v);
      return;
    }
  if (key == "v") {
    f.version = get_or_none<int64_t>(v);
  } else if (key == "origin") {
    f.has_origin = true;
    if (!read_origin(v, f)) f.has_origin = false;
  } else if (key == "alert") {
    f.has_alert = true;
    simdjson::ondemand::object alert;
    string_view raw;
    if (!v.get_object().get(alert) && !alert.raw_json().get(raw)) f.alert = raw;
  }
}

}  // namespace

OrderDecoder::OrderDecoder() : impl_(std::make_unique<Impl>()) {}
OrderDecoder::~OrderDecoder() = default;

Result<void> OrderDecoder::decode(std::string_view text, Order& out) {
  if (auto r = decode_header(text, out); !r) return r;
  return decode_alert(out);
}

Result<void> OrderDecoder::decode_header(std::string_view text, Order& out) {
  out = Order{};
  impl_->alert_text = {};
  if (text.size() > kMaxOrderBytes)
    return fail(EMSGSIZE, "order of {} bytes refused: the limit is {}", text.size(),
                kMaxOrderBytes);
  OrderFields f;
  if (auto r = impl_->read(text, f); !r) return r;
  return impl_->check(f, out);
}

Result<void> OrderDecoder::decode_alert(Order& out) {
  if (impl_->alert_text.empty()) return {};  // manual blocks and revocations carry no alert
  // The alert of the previous order is parsed over when nobody holds it any more: a flood
  // allocates no alert per order. One still held (a copy of that order) is never changed.
  std::shared_ptr<Alert>& alert = impl_->alert;
  if (!alert || alert.use_count() > 1) alert = std::make_shared<Alert>();
  if (auto r = impl_->alerts.parse(impl_->alert_text, *alert); !r)
    return invalid(fmt::format("its alert: {}", r.error().message));
  impl_->alert_text = {};
  out.alert = alert;
  return {};
}

Result<void> OrderDecoder::Impl::read(std::string_view text, OrderFields& f) {
  // The one copy of the order: simdjson reads up to SIMDJSON_PADDING bytes past the end.
  if (capacity < text.size() + simdjson::SIMDJSON_PADDING) {
    capacity = kMaxOrderBytes + simdjson::SIMDJSON_PADDING;
    padded = std::make_unique<char[]>(capacity);
  }
  std::memcpy(padded.get(), text.data(), text.size());
  std::memset(padded.get() + text.size(), 0, simdjson::SIMDJSON_PADDING);
  simdjson::ondemand::document doc;
  simdjson::ondemand::object root;
  if (json.iterate(padded.get(), text.size(), capacity).get(doc) || doc.get_object().get(root))
    return invalid("not a JSON object");
  for (auto field : root) {
    std::string_view key;
    if (field.error() || field.unescaped_key().get(key)) return invalid("not a JSON object");
    simdjson::ondemand::value value = field.value();
    read_field(key, value, f);
  }
  // OUT_OF_BOUNDS is the good case: the whole object was read and nothing follows it.
  const char* rest = nullptr;
  if (doc.current_location().get(rest) != simdjson::OUT_OF_BOUNDS)
    return invalid("not a JSON object");
  return {};
}

Result<void> OrderDecoder::Impl::check(const OrderFields& f, Order& out) {
  if (!f.version) return invalid("no version \"v\"");
  if (*f.version != kOrderVersion)
    return fail(EINVAL, "order version {} refused: this rampartd reads version {}", *f.version,
                kOrderVersion);
  if (!f.id || !printable(*f.id, 128)) return invalid("\"id\" missing or not printable");
  out.id = *f.id;
  if (!f.op) return invalid("no \"op\"");
  auto op =
      std::find_if(std::begin(kOps), std::end(kOps), [&](auto& o) { return o.name == *f.op; });
  if (op == std::end(kOps)) return invalid(fmt::format("unknown op \"{}\"", f.op->substr(0, 32)));
  out.op = op->op;
  if (!f.target) return invalid("no \"target\"");
  auto target = parse_target(*f.target);
  if (!target) return invalid("\"target\" must be all, servers or agent:ID");
  out.target = *target;
  if (!f.has_origin) return invalid("no \"origin\" object");
  if (!f.origin_id || !token(*f.origin_id, 32)) return invalid("\"origin.id\" is not an agent id");
  out.origin_id = *f.origin_id;
  if (!f.origin_name || !printable(*f.origin_name, 255))
    return invalid("\"origin.name\" is missing");
  out.origin_name = *f.origin_name;
  if (!f.issued) return invalid("\"issued\" is not a number of microseconds");
  out.issued_us = *f.issued;
  if (out.op == Order::Op::Flush) return {};
  if (!f.address) return invalid("no \"address\"");
  auto address = Address::parse(*f.address);
  if (!address) return invalid(fmt::format("\"{}\" is not an address", f.address->substr(0, 64)));
  out.address = *address;
  if (out.op == Order::Op::Block) return block_fields(f, out);
  return {};
}

Result<void> OrderDecoder::Impl::block_fields(const OrderFields& f, Order& out) {
  if (!f.command || !printable(*f.command, 128))
    return invalid("\"command\" missing or not printable");
  out.command = *f.command;
  if (!f.deadline) return invalid("\"deadline\" is not a number");
  out.deadline_us = *f.deadline;
  if (!f.rule || *f.rule > UINT32_MAX) return invalid("\"rule\" is not a rule id");
  if (!f.level || *f.level > 16) return invalid("\"level\" is not 0 to 16");
  out.rule_id = static_cast<uint32_t>(*f.rule);
  out.level = static_cast<int>(*f.level);
  if (!f.alert_id) return invalid("no \"alert_id\"");
  out.alert_id = *f.alert_id;
  if (!f.reason) return invalid("no \"reason\"");
  out.reason = *f.reason;
  if (!f.has_alert) return {};  // manual blocks carry no alert
  if (!f.alert) return invalid("\"alert\" is not an object");
  alert_text = *f.alert;
  return {};
}

}  // namespace rampart
