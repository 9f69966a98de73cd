// The exec backend's reply parser: the check_keys line an active-response script writes back.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "exec/exec_protocol.h"
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view line(reinterpret_cast<const char*>(data), size);
  (void)rampart::parse_check_keys(line);
  return 0;
}
