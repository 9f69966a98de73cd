// IPv4/IPv6 host addresses and CIDR prefixes, the unit everything in rampart is keyed by.
#pragma once

#include <sys/socket.h>

#include <array>
#include <bit>
#include <compare>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rampart {

struct Address {
  uint8_t family = AF_INET;         // AF_INET or AF_INET6
  uint8_t prefix = 32;              // 32 or 128 for a host
  std::array<uint8_t, 16> bytes{};  // network order; IPv4 uses the first 4

  // Accepts "a.b.c.d", IPv6 text, "::ffff:a.b.c.d" (becomes IPv4) and "ADDR/LEN". Host bits
  // beyond the prefix must be zero. Surrounding spaces and IPv6 brackets are tolerated.
  static std::optional<Address> parse(std::string_view text);
  // Like parse() but refuses prefixes: a single host.
  static std::optional<Address> parse_host(std::string_view text);

  static Address v4(uint32_t host_order);

  bool is_v4() const { return family == AF_INET; }
  bool is_host() const { return prefix == max_prefix(); }
  uint8_t max_prefix() const { return is_v4() ? 32 : 128; }
  size_t size() const { return is_v4() ? 4 : 16; }
  bool contains(const Address& other) const;
  bool overlaps(const Address& other) const { return contains(other) || other.contains(*this); }
  // The prefix of length `len` (at most the address's own) that holds this address.
  Address truncated(uint8_t len) const;
  // The first address after the prefix (exclusive end of the range), nullopt at the top.
  std::optional<Address> range_end() const;

  std::string str() const;  // canonical text, with "/len" only for prefixes

  // Family, then prefix length, then the bytes as one big-endian number (the order a
  // defaulted comparison gives) without a memcmp() call at every step of a tree walk.
  std::strong_ordering operator<=>(const Address& o) const {
    if (auto c = family <=> o.family; c != 0) return c;
    if (auto c = prefix <=> o.prefix; c != 0) return c;
    if (auto c = word(0) <=> o.word(0); c != 0) return c;
    return word(1) <=> o.word(1);
  }
  bool operator==(const Address& o) const {
    return family == o.family && prefix == o.prefix && word(0) == o.word(0) && word(1) == o.word(1);
  }

 private:
  uint64_t word(size_t i) const {
    uint64_t w;
    std::memcpy(&w, bytes.data() + 8 * i, sizeof w);
    if constexpr (std::endian::native == std::endian::little) w = __builtin_bswap64(w);
    return w;
  }
};

struct AddressHash {
  size_t operator()(const Address& a) const noexcept;
};

// Addresses no response may ever block: loopback, unspecified, multicast, broadcast and
// (unless allowed) link-local. Returns why, or nullopt when the address is blockable.
std::optional<std::string_view> never_block_reason(const Address& a, bool allow_link_local);

// The same rules as ranges, for checking a whole prefix or cutting a blocklist around them.
struct NeverBlockRange {
  Address prefix;
  std::string_view why;
};
std::vector<NeverBlockRange> never_block_ranges(bool allow_link_local);
// Why `prefix` (or a part of it) may never be blocked, or nullopt when all of it is blockable.
std::optional<std::string_view> never_block_overlap(const Address& prefix, bool allow_link_local);

// An allowlist of prefixes; loopback is always on it.
class AddressList {
 public:
  AddressList();
  void add(const Address& prefix) { prefixes_.push_back(prefix); }
  const std::vector<Address>& prefixes() const { return prefixes_; }
  // The prefix that contains `a`, if any.
  const Address* match(const Address& a) const;
  // The first prefix that shares an address with `prefix` (holds it, or lies inside it).
  const Address* overlap(const Address& prefix) const;

 private:
  std::vector<Address> prefixes_;
};

}  // namespace rampart
