#include "base/error.h"
#include <cstring>

namespace rampart {

const char* errno_text(int code) {
  return std::strerror(code < 0 ? -code : code);
}

std::unexpected<Error> fail_errno(int code) {
  return std::unexpected(Error{code < 0 ? -code : code, errno_text(code)});
}

}  // namespace rampart
