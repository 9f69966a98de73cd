// Shared by the enforcer's source files; not part of its interface.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "config/command_kind.h"
namespace rampart::enforcer_internal {

inline size_t slot(CommandKind kind) {
  return static_cast<size_t>(kind);
}

// The remaining lifetime for the kernel. A block decided this turn has lost a few hundred
// microseconds to the commit; give those back so `nft list set` shows "timeout 10m", not
// "9m59s996ms". Anything further from a whole second is sent as it is.
inline uint64_t kernel_timeout_ms(uint64_t remaining_us) {
  uint64_t ms = remaining_us / 1000;
  if (ms % 1000 >= 900) ms += 1000 - ms % 1000;
  return std::max<uint64_t>(1, ms);
}

// "no timeout" (0) outlasts every deadline.
inline bool later(uint64_t a, uint64_t b) {
  return a == 0 ? b != 0 : (b != 0 && a > b);
}

}  // namespace rampart::enforcer_internal
