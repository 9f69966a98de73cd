// Address and CIDR parsing: whatever parses prints to text that parses back to the same value.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/address.h"
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto a = rampart::Address::parse(text);
  auto host = rampart::Address::parse_host(text);
  if (host && (!a || *a != *host || !host->is_host())) __builtin_trap();
  if (!a) return 0;
  if (a->prefix > a->max_prefix()) __builtin_trap();
  auto again = rampart::Address::parse(a->str());
  if (!again || *again != *a) __builtin_trap();
  if (!a->contains(*a)) __builtin_trap();
  if (auto end = a->range_end(); end && !(end->bytes > a->bytes)) __builtin_trap();
  (void)rampart::never_block_reason(*a, false);
  (void)rampart::AddressHash{}(*a);
  return 0;
}
