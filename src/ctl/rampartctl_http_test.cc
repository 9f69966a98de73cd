#include "ctl/rampartctl_http.h"
#include <gtest/gtest.h>

namespace rampart::ctl {
namespace {

const std::string kBody = "# HELP rampart_x_total X.\n# TYPE rampart_x_total counter\n";

std::optional<std::string> up(std::string*) {
  return kBody;
}
std::optional<std::string> down(std::string* why) {
  *why = "rampartd is not running";
  return std::nullopt;
}

std::string answer(std::string_view raw, const MetricsSource& m = up) {
  HttpRequest r;
  HeadState s = parse_request_head(raw, &r);
  EXPECT_NE(s, HeadState::Incomplete) << raw;
  return http_answer(s == HeadState::Complete ? &r : nullptr, m);
}

TEST(Http, WaitsForTheWholeHead) {
  HttpRequest r;
  EXPECT_EQ(parse_request_head("GET /metrics HTTP/1.1\r\nHost: x\r\n", &r), HeadState::Incomplete);
  EXPECT_EQ(parse_request_head("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &r),
            HeadState::Complete);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.path, "/metrics");
  EXPECT_EQ(parse_request_head(std::string(kMaxRequestHead, 'a'), &r), HeadState::Malformed);
}

TEST(Http, AScrapeGetsTheExpositionWithItsContentType) {
  std::string a = answer(
      "GET /metrics?x=1 HTTP/1.1\r\nHost: 127.0.0.1:9818\r\nAccept: "
      "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5\r\n"
      "Accept-Encoding: gzip\r\n\r\n");
  EXPECT_EQ(a,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
            "Content-Length: " +
                std::to_string(kBody.size()) +
                "\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n" + kBody);
}

TEST(Http, HeadHasTheLengthButNoBody) {
  std::string a = answer("HEAD / HTTP/1.0\n\n");
  EXPECT_TRUE(a.starts_with("HTTP/1.1 200 OK\r\n")) << a;
  EXPECT_NE(a.find("Content-Length: " + std::to_string(kBody.size())), std::string::npos);
  EXPECT_TRUE(a.ends_with("\r\n\r\n")) << a;
}

TEST(Http, EverythingElseIsRefusedPlainly) {
  EXPECT_TRUE(answer("POST /metrics HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 405 "));
  EXPECT_NE(answer("DELETE / HTTP/1.1\r\n\r\n").find("Allow: GET, HEAD\r\n"), std::string::npos);
  EXPECT_TRUE(answer("GET /admin HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404 "));
  EXPECT_TRUE(answer("GET /metrics\r\n\r\n").starts_with("HTTP/1.1 400 "));
  EXPECT_TRUE(answer("\x16\x03\x01 junk\r\n\r\n").starts_with("HTTP/1.1 400 "));
  EXPECT_TRUE(answer("get /metrics HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 400 "));
}

TEST(Http, RampartdDownIs503WithTheReason) {
  std::string a = answer("GET /metrics HTTP/1.1\r\n\r\n", down);
  EXPECT_TRUE(a.starts_with("HTTP/1.1 503 Service Unavailable\r\n")) << a;
  EXPECT_TRUE(a.ends_with("\r\n\r\nrampart: rampartd is not running\n")) << a;
}

}  // namespace
}  // namespace rampart::ctl
