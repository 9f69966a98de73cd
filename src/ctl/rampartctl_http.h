// The HTTP side of `rampartctl metrics --http`: one request read from the connection that
// rampart-metrics.socket accepted, one answer. Pure: bytes in, bytes out; the I/O and the
// D-Bus call are in rampartctl_metrics.cc.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace rampart::ctl {

// A request head larger than this is refused (a scraper sends a few hundred bytes).
inline constexpr size_t kMaxRequestHead = 8192;

struct HttpRequest {
  std::string method;
  std::string path;  // without the query
};

enum class HeadState { Incomplete, Complete, Malformed };

// Looks at what was read so far: Complete once the blank line that ends the head has arrived
// (then `ret_request` is filled), Malformed when it can never become a request.
HeadState parse_request_head(std::string_view buffer, HttpRequest* ret_request);

// The whole answer to `request` (nullptr: the request was malformed or too large): the
// exposition for GET or HEAD of /metrics (or /), 404, 405 or 400 otherwise. `metrics` is called
// only when needed; it returns the exposition, or nullopt and sets `*why` when rampartd did not
// answer (503).
using MetricsSource = std::function<std::optional<std::string>(std::string* why)>;
std::string http_answer(const HttpRequest* request, const MetricsSource& metrics);

}  // namespace rampart::ctl
