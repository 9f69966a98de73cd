// The ossec.conf parser (XML, settings, <active-response> validation) on arbitrary bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/config.h"
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = rampart::parse_config(text, "fuzz.conf");
  if (config) {
    // A config that loads must describe itself (rampartd --check-config) without trouble.
    (void)rampart::describe(*config);
  } else if (config.error().message.empty()) {
    __builtin_trap();  // every refusal says why
  }
  return 0;
}
