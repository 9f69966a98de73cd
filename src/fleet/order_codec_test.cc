#include "fleet/order_codec.h"
#include <gtest/gtest.h>

namespace rampart {
namespace {

Order sample() {
  Order o;
  o.op = Order::Op::Block;
  o.target = {OrderTarget::Kind::Agent, "005"};
  o.id = "000-1764540000-17";
  o.origin_id = "000";
  o.origin_name = "manager \"one\"";
  o.command = "firewall-drop";
  o.address = *Address::parse_host("203.0.113.9");
  o.issued_us = 1764540000000000;
  o.deadline_us = 1764540600000000;
  o.rule_id = 5712;
  o.level = 10;
  o.alert_id = "1764540000.17";
  o.reason = "sshd: brute force\n\x01 from \xff";
  auto a = std::make_shared<Alert>();
  a->level = 10;
  a->rule_id = 5712;
  a->srcip = "203.0.113.9";
  a->address = o.address;
  a->agent_id = "005";
  a->agent_name = "web1";
  a->user = "root";
  a->description = "sshd: brute force";
  o.alert = a;
  return o;
}

TEST(OrderCodec, RoundTripKeepsEveryField) {
  Order o = sample();
  std::string text = encode_order(o);
  EXPECT_EQ(text.find('\n'), std::string::npos) << "one line";
  OrderDecoder decoder;
  Order back;
  auto r = decoder.decode(text, back);
  ASSERT_TRUE(r) << r.error().message << "\n" << text;
  EXPECT_EQ(back.op, Order::Op::Block);
  EXPECT_EQ(back.target, o.target);
  EXPECT_EQ(back.id, o.id);
  EXPECT_EQ(back.origin_id, "000");
  EXPECT_EQ(back.origin_name, o.origin_name);
  EXPECT_EQ(back.command, "firewall-drop");
  EXPECT_EQ(back.address.str(), "203.0.113.9");
  EXPECT_EQ(back.issued_us, o.issued_us);
  EXPECT_EQ(back.deadline_us, o.deadline_us);
  EXPECT_EQ(back.rule_id, 5712u);
  EXPECT_EQ(back.level, 10);
  EXPECT_EQ(back.alert_id, o.alert_id);
  EXPECT_EQ(back.reason, "sshd: brute force\n\x01 from \xef\xbf\xbd");
  ASSERT_TRUE(back.alert);
  EXPECT_EQ(back.alert->agent_id, "005");
  EXPECT_EQ(back.alert->user, "root");
  EXPECT_EQ(back.alert->rule_id, 5712u);
}

TEST(OrderCodec, RevocationsAndPrefixes) {
  OrderDecoder decoder;
  Order unblock;
  unblock.op = Order::Op::Unblock;
  unblock.id = "x";
  unblock.origin_id = "000";
  unblock.origin_name = "m";
  unblock.address = *Address::parse("198.51.100.0/24");
  Order back;
  ASSERT_TRUE(decoder.decode(encode_order(unblock), back));
  EXPECT_EQ(back.op, Order::Op::Unblock);
  EXPECT_EQ(back.address.str(), "198.51.100.0/24");
  Order flush = unblock;
  flush.op = Order::Op::Flush;
  ASSERT_TRUE(decoder.decode(encode_order(flush), back));
  EXPECT_EQ(back.op, Order::Op::Flush);
}

TEST(OrderCodec, MalformedOrdersAreRefusedWithTheField) {
  OrderDecoder decoder;
  Order out;
  std::string good = encode_order(sample());
  auto replace = [&](std::string from, std::string to) {
    std::string s = good;
    size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
  };
  const std::pair<std::string, std::string> cases[] = {
      {"", "not a JSON object"},
      {"[1,2]", "not a JSON object"},
      {"{\"v\":1", "not a JSON object"},
      {replace("\"v\":1", "\"v\":2"), "version 2"},
      {replace("\"op\":\"block\"", "\"op\":\"reboot\""), "unknown op"},
      {replace("\"target\":\"agent:005\"", "\"target\":\"agent:0.5>\""), "target"},
      {replace("\"address\":\"203.0.113.9\"", "\"address\":\"999.1.1.1\""), "not an address"},
      {replace("\"level\":10", "\"level\":99"), "level"},
      {replace("\"rule\":5712", "\"rule\":-1"), "rule"},
      {replace("\"deadline\":", "\"deadline_\":"), "deadline"},
      {replace("\"id\":\"000\"", "\"id\":\"0 0\""), "origin.id"},
  };
  for (const auto& [text, what] : cases) {
    auto r = decoder.decode(text, out);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().code, EINVAL);
    EXPECT_NE(r.error().message.find(what), std::string::npos) << r.error().message;
  }
  // After all that, a good one still decodes.
  EXPECT_TRUE(decoder.decode(good, out));
}

TEST(OrderCodec, TheAlertIsReadOnlyWhenAsked) {
  OrderDecoder decoder;
  Order out;
  std::string text = encode_order(sample());
  ASSERT_TRUE(decoder.decode_header(text, out));
  EXPECT_EQ(out.address.str(), "203.0.113.9");
  EXPECT_EQ(out.reason, "sshd: brute force\n\x01 from \xef\xbf\xbd");
  EXPECT_FALSE(out.alert);
  ASSERT_TRUE(decoder.decode_alert(out));
  ASSERT_TRUE(out.alert);
  EXPECT_EQ(out.alert->agent_name, "web1");
  EXPECT_EQ(out.alert->srcip, "203.0.113.9");

  // A broken alert is found only when it is read; an order without one reads as none.
  std::string bad = text;
  bad.replace(bad.find("{\"level\":10,"), 12, "{\"level\":\"x\",");
  ASSERT_TRUE(decoder.decode_header(bad, out)) << bad;
  auto r = decoder.decode_alert(out);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("its alert: rule.level"), std::string::npos)
      << r.error().message;
  EXPECT_FALSE(out.alert);
  Order manual = sample();
  manual.alert = nullptr;
  ASSERT_TRUE(decoder.decode_header(encode_order(manual), out));
  ASSERT_TRUE(decoder.decode_alert(out));
  EXPECT_FALSE(out.alert);
}

TEST(OrderCodec, AnAlertStillHeldIsNeverParsedOver) {
  OrderDecoder decoder;
  Order first, second;
  ASSERT_TRUE(decoder.decode(encode_order(sample()), first));
  std::shared_ptr<const Alert> kept = first.alert;
  Order other = sample();
  auto db2 = std::make_shared<Alert>(*other.alert);
  db2->agent_name = "db2";
  other.alert = db2;
  ASSERT_TRUE(decoder.decode(encode_order(other), second));
  EXPECT_EQ(kept->agent_name, "web1");
  EXPECT_EQ(second.alert->agent_name, "db2");
  // Once nobody holds it, the next order's alert is parsed into the same one.
  const Alert* reused = second.alert.get();
  first = second = Order{};
  kept.reset();
  Order third;
  ASSERT_TRUE(decoder.decode(encode_order(sample()), third));
  EXPECT_EQ(third.alert.get(), reused);
  EXPECT_EQ(third.alert->agent_name, "web1");
}

TEST(OrderCodec, UnknownFieldsAreSkippedAndTrailingDataRefused) {
  OrderDecoder decoder;
  Order out;
  std::string text = encode_order(sample());
  std::string extra = text;
  extra.insert(1, "\"future\":{\"a\":[1,{\"b\":null}]},\"note\":\"x\",");
  auto r = decoder.decode(extra, out);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(out.rule_id, 5712u);
  for (std::string tail : {"}", " x", "{}"}) {
    r = decoder.decode(text + tail, out);
    ASSERT_FALSE(r) << tail;
    EXPECT_NE(r.error().message.find("not a JSON object"), std::string::npos);
  }
  std::string not_object = text;
  not_object.replace(not_object.find("\"alert\":{"), 9, "\"alert\":[],\"x\":{");
  r = decoder.decode(not_object, out);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("\"alert\" is not an object"), std::string::npos)
      << r.error().message;
}

TEST(OrderCodec, OversizedOrdersAreRefusedBeforeParsing) {
  OrderDecoder decoder;
  Order out;
  std::string big = encode_order(sample());
  big.insert(big.size() - 1, ",\"pad\":\"" + std::string(kMaxOrderBytes, 'x') + "\"");
  auto r = decoder.decode(big, out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, EMSGSIZE);
}

TEST(OrderCodec, Targets) {
  EXPECT_EQ(parse_target("all")->kind, OrderTarget::Kind::All);
  EXPECT_EQ(parse_target("servers")->kind, OrderTarget::Kind::Servers);
  EXPECT_EQ(parse_target("agent:005")->agent, "005");
  EXPECT_FALSE(parse_target("agent:"));
  EXPECT_FALSE(parse_target("agent:a.b"));
  EXPECT_FALSE(parse_target("everyone"));
}

}  // namespace
}  // namespace rampart
