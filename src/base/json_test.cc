#include "base/json.h"
#include <gtest/gtest.h>

namespace rampart {
namespace {

std::string json(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

TEST(Json, QuotesAndEscapes) {
  EXPECT_EQ(json(""), R"("")");
  EXPECT_EQ(json("plain text"), R"("plain text")");
  EXPECT_EQ(json("a \"quote\" and \\"), R"("a \"quote\" and \\")");
  EXPECT_EQ(json("nl\ncr\rtab\tbs\bff\f"), R"("nl\ncr\rtab\tbs\bff\f")");
}

TEST(Json, OtherControlCharactersAsUnicodeEscapes) {
  EXPECT_EQ(json(std::string_view("\x00\x01\x1f\x7f", 4)), R"("\u0000\u0001\u001f)"
                                                           "\x7f\"");
}

TEST(Json, KeepsValidUtf8) {
  EXPECT_EQ(json("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
}

TEST(Json, ReplacesEachByteOfAnInvalidSequence) {
  // A lone continuation byte, a truncated sequence, an overlong encoding, a UTF-16 surrogate
  // and a code point above U+10FFFF: none may reach a JSON reader.
  EXPECT_EQ(json("a\x80z"), R"("a\ufffdz")");
  EXPECT_EQ(json("\xe2\x82"), R"("\ufffd\ufffd")");
  EXPECT_EQ(json("\xc0\xaf"), R"("\ufffd\ufffd")");
  EXPECT_EQ(json("\xe0\x80\xaf"), R"("\ufffd\ufffd\ufffd")");
  EXPECT_EQ(json("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");
  EXPECT_EQ(json("\xf4\x90\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")");
}

TEST(Json, Appends) {
  std::string out = "[";
  append_json_string(out, "x");
  out += ',';
  append_json_string(out, "y");
  EXPECT_EQ(out, R"(["x","y")");
}

}  // namespace
}  // namespace rampart
