#include "journal/journal_alert.h"
#include <gtest/gtest.h>

namespace rampart {
namespace {

class JournalAlertTest : public ::testing::Test {
 protected:
  Result<void> convert(std::initializer_list<std::string_view> data) {
    fields.clear();
    for (auto d : data) fields.set(d);
    return alert_from_journal(fields, parser, alert);
  }
  JournalFields fields;
  AlertParser parser;
  Alert alert;
};

TEST_F(JournalAlertTest, StructuredFieldsMakeTheAlert) {
  ASSERT_TRUE(convert({"MESSAGE=sshd brute force", "ALERT_RULE_ID=5712", "ALERT_LEVEL=10",
                       "ALERT_GROUPS=syslog, sshd,authentication_failures",
                       "ALERT_SRCIP=203.0.113.9", "ALERT_USER=root", "ALERT_AGENT_ID=001",
                       "ALERT_AGENT_NAME=web1", "ALERT_ID=1732740000.1", "_PID=42"}));
  EXPECT_EQ(alert.format, AlertFormat::Journal);
  EXPECT_EQ(alert.rule_id, 5712u);
  EXPECT_EQ(alert.level, 10);
  EXPECT_EQ(alert.groups, "syslog,sshd,authentication_failures,");
  ASSERT_TRUE(alert.address);
  EXPECT_EQ(alert.address->str(), "203.0.113.9");
  EXPECT_EQ(alert.user, "root");
  EXPECT_EQ(alert.agent_id, "001");
  EXPECT_EQ(alert.agent_name, "web1");
  EXPECT_EQ(alert.id, "1732740000.1");
  EXPECT_EQ(alert.description, "sshd brute force");
  EXPECT_EQ(alert.location, "journal");
}

TEST_F(JournalAlertTest, DescriptionFieldWinsOverMessage) {
  ASSERT_TRUE(convert({"MESSAGE=text", "ALERT_DESCRIPTION=the rule's words", "ALERT_LEVEL=3"}));
  EXPECT_EQ(alert.description, "the rule's words");
  EXPECT_FALSE(alert.rule_id);
  EXPECT_FALSE(alert.address);
}

TEST_F(JournalAlertTest, MappedAddressIsUnmapped) {
  ASSERT_TRUE(convert({"ALERT_SRCIP=::ffff:198.51.100.8", "ALERT_LEVEL=10"}));
  ASSERT_TRUE(alert.address);
  EXPECT_EQ(alert.address->str(), "198.51.100.8");
}

TEST_F(JournalAlertTest, BadNumbersAreRejectedByName) {
  auto r = convert({"ALERT_LEVEL=99", "ALERT_SRCIP=203.0.113.9"});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("ALERT_LEVEL"), std::string::npos) << r.error().message;
  r = convert({"ALERT_RULE_ID=abc"});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("ALERT_RULE_ID"), std::string::npos) << r.error().message;
}

TEST_F(JournalAlertTest, MessageIsParsedInAnySocketFormat) {
  ASSERT_TRUE(
      convert({"MESSAGE=ossec: Alert Level: 10; Rule: 5712 - sshd: brute force; "
               "Location: (web1) 10.0.0.5->/var/log/auth.log; srcip: 203.0.113.7; "
               "user: root;  Failed password",
               "SYSLOG_IDENTIFIER=ossec"}));
  EXPECT_EQ(alert.format, AlertFormat::SyslogDefault);
  ASSERT_TRUE(alert.address);
  EXPECT_EQ(alert.address->str(), "203.0.113.7");
  EXPECT_EQ(alert.rule_id, 5712u);
}

TEST_F(JournalAlertTest, EntryWithoutAlertIsRejected) {
  EXPECT_FALSE(convert({"MESSAGE=just a log line"}));
  auto r = convert({"_PID=1"});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("no MESSAGE"), std::string::npos);
}

TEST_F(JournalAlertTest, OnlyKnownFieldsAreKept) {
  fields.clear();
  EXPECT_TRUE(fields.set("ALERT_SRCIP=1.2.3.4"));
  EXPECT_FALSE(fields.set("ALERT_OTHER=x"));
  EXPECT_FALSE(fields.set("MESSAGE_ID=abc"));
  EXPECT_FALSE(fields.set("NOEQUALS"));
  EXPECT_TRUE(fields.set("MESSAGE=a=b"));
  EXPECT_EQ(fields.value[JournalFields::kMessage], "a=b");
  EXPECT_TRUE(fields.structured());
}

TEST_F(JournalAlertTest, TimestampComesFromTheEntry) {
  fields.clear();
  fields.set("ALERT_LEVEL=5");
  fields.realtime_us = 1795813102123456ull;  // 2026-11-27T20:58:22.123Z
  ASSERT_TRUE(alert_from_journal(fields, parser, alert));
  EXPECT_EQ(alert.timestamp, "2026-11-27T20:58:22.123+0000");
}

}  // namespace
}  // namespace rampart
