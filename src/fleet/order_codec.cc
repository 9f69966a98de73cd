#include "fleet/order_codec.h"
#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <cerrno>

#include "base/json.h"
namespace rampart {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

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
  fmt::format_to(std::back_inserter(out), ",\"{}\":{}", name, value);
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
  fmt::format_to(std::back_inserter(out), "{{\"v\":{}", kOrderVersion);
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

struct OrderDecoder::Impl {
  simdjson::dom::parser json;
  AlertParser alerts;
  std::string alert_text;

  Result<void> decode(std::string_view text, Order& out);
  Result<void> block_fields(object doc, Order& out);
};

OrderDecoder::OrderDecoder() : impl_(std::make_unique<Impl>()) {}
OrderDecoder::~OrderDecoder() = default;

Result<void> OrderDecoder::decode(std::string_view text, Order& out) {
  out = Order{};
  if (text.size() > kMaxOrderBytes)
    return fail(EMSGSIZE, "order of {} bytes refused: the limit is {}", text.size(),
                kMaxOrderBytes);
  return impl_->decode(text, out);
}

Result<void> OrderDecoder::Impl::decode(std::string_view text, Order& out) {
  object doc;
  if (json.parse(text.data(), text.size()).get(doc)) return invalid("not a JSON object");
  int64_t version = 0;
  if (doc["v"].get(version)) return invalid("no version \"v\"");
  if (version != kOrderVersion)
    return fail(EINVAL, "order version {} refused: this rampartd reads version {}", version,
                kOrderVersion);
  std::string_view s;
  if (doc["id"].get(s) || !printable(s, 128)) return invalid("\"id\" missing or not printable");
  out.id = s;
  if (doc["op"].get(s)) return invalid("no \"op\"");
  auto op = std::find_if(std::begin(kOps), std::end(kOps), [&](auto& o) { return o.name == s; });
  if (op == std::end(kOps)) return invalid(fmt::format("unknown op \"{}\"", s.substr(0, 32)));
  out.op = op->op;
  if (doc["target"].get(s)) return invalid("no \"target\"");
  auto target = parse_target(s);
  if (!target) return invalid("\"target\" must be all, servers or agent:ID");
  out.target = *target;
  object origin;
  if (doc["origin"].get(origin)) return invalid("no \"origin\" object");
  if (origin["id"].get(s) || !token(s, 32)) return invalid("\"origin.id\" is not an agent id");
  out.origin_id = s;
  if (origin["name"].get(s) || !printable(s, 255)) return invalid("\"origin.name\" is missing");
  out.origin_name = s;
  uint64_t issued = 0;
  if (doc["issued"].get(issued)) return invalid("\"issued\" is not a number of microseconds");
  out.issued_us = issued;
  if (out.op == Order::Op::Flush) return {};
  if (doc["address"].get(s)) return invalid("no \"address\"");
  auto address = Address::parse(s);
  if (!address) return invalid(fmt::format("\"{}\" is not an address", s.substr(0, 64)));
  out.address = *address;
  if (out.op == Order::Op::Block) return block_fields(doc, out);
  return {};
}

Result<void> OrderDecoder::Impl::block_fields(object doc, Order& out) {
  std::string_view s;
  if (doc["command"].get(s) || !printable(s, 128))
    return invalid("\"command\" missing or not printable");
  out.command = s;
  if (doc["deadline"].get(out.deadline_us)) return invalid("\"deadline\" is not a number");
  uint64_t rule = 0, level = 0;
  if (doc["rule"].get(rule) || rule > UINT32_MAX) return invalid("\"rule\" is not a rule id");
  if (doc["level"].get(level) || level > 16) return invalid("\"level\" is not 0 to 16");
  out.rule_id = static_cast<uint32_t>(rule);
  out.level = static_cast<int>(level);
  if (doc["alert_id"].get(s)) return invalid("no \"alert_id\"");
  out.alert_id = s;
  if (doc["reason"].get(s)) return invalid("no \"reason\"");
  out.reason = s;
  element alert;
  if (doc["alert"].get(alert)) return {};  // manual blocks carry no alert
  if (!alert.is_object()) return invalid("\"alert\" is not an object");
  alert_text = simdjson::minify(alert);
  auto parsed = std::make_shared<Alert>();
  if (auto r = alerts.parse(alert_text, *parsed); !r)
    return invalid(fmt::format("its alert: {}", r.error().message));
  out.alert = std::move(parsed);
  return {};
}

}  // namespace rampart
