#include "ctl/rampartctl_http.h"
#include <fmt/format.h>

namespace rampart::ctl {
namespace {

constexpr std::string_view kExposition = "text/plain; version=0.0.4; charset=utf-8";
constexpr std::string_view kText = "text/plain; charset=utf-8";

std::string response(int status, std::string_view reason, std::string_view type,
                     std::string_view body, bool with_body, std::string_view extra = {}) {
  // Connection: close: one request per connection, as the socket unit starts one process each.
  std::string out = fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n"
      "Cache-Control: no-store\r\n{}\r\n",
      status, reason, type, body.size(), extra);
  if (with_body) out += body;
  return out;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < 'A' || c > 'Z') return false;  // methods are upper-case letters in practice
  return true;
}

}  // namespace

HeadState parse_request_head(std::string_view buffer, HttpRequest* ret_request) {
  size_t end = buffer.find("\r\n\r\n");
  size_t lf_end = buffer.find("\n\n");  // tolerated, as most servers do
  if (end == std::string_view::npos && lf_end == std::string_view::npos)
    return buffer.size() >= kMaxRequestHead ? HeadState::Malformed : HeadState::Incomplete;
  size_t eol = buffer.find('\n');
  std::string_view line = buffer.substr(0, eol);
  if (line.ends_with('\r')) line.remove_suffix(1);
  // METHOD SP TARGET SP HTTP/1.x
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return HeadState::Malformed;
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!is_token(method) || !target.starts_with('/') || !version.starts_with("HTTP/1."))
    return HeadState::Malformed;
  ret_request->method = std::string(method);
  ret_request->path = std::string(target.substr(0, target.find('?')));
  return HeadState::Complete;
}

std::string http_answer(const HttpRequest* request, const MetricsSource& metrics) {
  if (!request)
    return response(400, "Bad Request", kText, "rampart: not an HTTP/1 request\n", true);
  bool head = request->method == "HEAD";
  if (request->method != "GET" && !head)
    return response(405, "Method Not Allowed", kText, "rampart: only GET and HEAD\n", true,
                    "Allow: GET, HEAD\r\n");
  if (request->path != "/metrics" && request->path != "/")
    return response(404, "Not Found", kText, "rampart: the metrics are at /metrics\n", !head);
  std::string why;
  auto text = metrics(&why);
  if (!text) return response(503, "Service Unavailable", kText, "rampart: " + why + "\n", !head);
  return response(200, "OK", kExposition, *text, !head);
}

}  // namespace rampart::ctl
