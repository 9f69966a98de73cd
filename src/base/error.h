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

}  // namespace rampart
