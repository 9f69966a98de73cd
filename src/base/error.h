// Errors as values: every fallible function returns Result<T>. The message is written for the
// administrator who reads it in the journal, so it names the file, the value and the fix.
#pragma once

#include <fmt/format.h>

#include <expected>
#include <string>
#include <utility>

namespace rampart {

struct Error {
  int code = 0;  // positive errno when the cause is a system call, else EINVAL or similar
  std::string message;
};

template <class T = void>
using Result = std::expected<T, Error>;

template <class... Args>
std::unexpected<Error> fail(int code, fmt::format_string<Args...> format, Args&&... args) {
  return std::unexpected(Error{code, fmt::format(format, std::forward<Args>(args)...)});
}

// The text of an errno value. `code` may be negative, as sd-* functions and netlink return
// it, so a caller never has to remember which sign it holds.
const char* errno_text(int code);

// An error from a failed system call: "cannot open /x: No such file or directory". `code` is
// errno, or the negative errno an sd-* function returned; Error::code is always positive.
template <class... Args>
std::unexpected<Error> fail_errno(int code, fmt::format_string<Args...> format, Args&&... args) {
  std::string message = fmt::format(format, std::forward<Args>(args)...);
  message += ": ";
  message += errno_text(code);
  return std::unexpected(Error{code < 0 ? -code : code, std::move(message)});
}
// The errno text alone, where the caller's message already names what failed.
std::unexpected<Error> fail_errno(int code);

}  // namespace rampart
