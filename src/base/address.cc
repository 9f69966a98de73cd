#include "base/address.h"
#include <arpa/inet.h>

#include <bit>
#include <charconv>
#include <cstring>

namespace rampart {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

bool host_bits_zero(const Address& a) {
  for (size_t bit = a.prefix; bit < a.max_prefix(); ++bit)
    if (a.bytes[bit / 8] & (0x80 >> (bit % 8))) return false;
  return true;
}

}  // namespace

std::optional<Address> Address::parse(std::string_view text) {
  text = trim(text);
  std::optional<unsigned> len;
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    unsigned v = 0;
    auto digits = text.substr(slash + 1);
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (ec != std::errc() || ptr != digits.data() + digits.size() || digits.empty()) return {};
    len = v;
    text = text.substr(0, slash);
  }
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']')
    text = text.substr(1, text.size() - 2);
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) return {};

  char buf[INET6_ADDRSTRLEN + 1];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';

  Address a;
  if (inet_pton(AF_INET, buf, a.bytes.data()) == 1) {
    a.family = AF_INET;
    a.prefix = 32;
  } else if (inet_pton(AF_INET6, buf, a.bytes.data()) == 1) {
    static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(a.bytes.data(), kMapped, 12) == 0 && (!len || *len >= 96)) {
      std::memmove(a.bytes.data(), a.bytes.data() + 12, 4);
      std::memset(a.bytes.data() + 4, 0, 12);
      a.family = AF_INET;
      a.prefix = 32;
      if (len) len = *len - 96;
    } else {
      a.family = AF_INET6;
      a.prefix = 128;
    }
  } else {
    return {};
  }
  if (len) {
    if (*len > a.max_prefix()) return {};
    a.prefix = static_cast<uint8_t>(*len);
    if (!host_bits_zero(a)) return {};
  }
  return a;
}

std::optional<Address> Address::parse_host(std::string_view text) {
  auto a = parse(text);
  if (!a || !a->is_host()) return {};
  return a;
}

Address Address::v4(uint32_t host_order) {
  Address a;
  uint32_t n = htonl(host_order);
  std::memcpy(a.bytes.data(), &n, 4);
  return a;
}

bool Address::contains(const Address& other) const {
  if (family != other.family || other.prefix < prefix) return false;
  size_t full = prefix / 8;
  if (std::memcmp(bytes.data(), other.bytes.data(), full) != 0) return false;
  if (unsigned rest = prefix % 8) {
    uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
    if ((bytes[full] & mask) != (other.bytes[full] & mask)) return false;
  }
  return true;
}

Address Address::truncated(uint8_t len) const {
  Address out = *this;
  if (len >= prefix) return out;
  out.prefix = len;
  for (size_t bit = len; bit < max_prefix(); ++bit)
    out.bytes[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
  return out;
}

std::optional<Address> Address::range_end() const {
  Address end = *this;
  end.prefix = max_prefix();
  if (prefix == 0) return {};
  // Add 1 at bit position (prefix - 1), carrying towards the most significant byte.
  int bit = prefix - 1;
  int byte = bit / 8;
  unsigned add = 0x80u >> (bit % 8);
  while (byte >= 0) {
    unsigned sum = end.bytes[byte] + add;
    end.bytes[byte] = static_cast<uint8_t>(sum);
    if (sum <= 0xff) return end;
    add = 1;
    --byte;
  }
  return {};
}

namespace {

char* put_decimal(char* p, unsigned n) {
  if (n >= 100) *p++ = static_cast<char>('0' + n / 100);
  if (n >= 10) *p++ = static_cast<char>('0' + n / 10 % 10);
  *p++ = static_cast<char>('0' + n % 10);
  return p;
}

char* put_v4(char* p, const uint8_t* b) {
  for (int i = 0; i < 4; ++i) {
    if (i) *p++ = '.';
    p = put_decimal(p, b[i]);
  }
  return p;
}

// The text inet_ntop() writes (RFC 5952: lower-case hex, the longest run of two or more zero
// groups, the first of equals, as "::"; "::a.b.c.d" and "::ffff:a.b.c.d" for the IPv4 forms),
// without its sprintf() per group: that was 3% of a flood's CPU.
char* put_v6(char* p, const uint8_t* b) {
  uint16_t w[8];
  for (int i = 0; i < 8; ++i) w[i] = static_cast<uint16_t>(b[2 * i] << 8 | b[2 * i + 1]);
  int best = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (w[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && w[j] == 0) ++j;
    if (j - i > best_len) best = i, best_len = j - i;
    i = j;
  }
  if (best_len < 2) best = -1;
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      *p++ = ':';
      i += best_len - 1;
      if (i == 7) *p++ = ':';
      continue;
    }
    if (i) *p++ = ':';
    if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff)))
      return put_v4(p, b + 12);
    static constexpr char kHex[] = "0123456789abcdef";
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      unsigned digit = (w[i] >> shift) & 0xf;
      if (digit || started || shift == 0) {
        *p++ = kHex[digit];
        started = true;
      }
    }
  }
  return p;
}

}  // namespace

std::string Address::str() const {
  char buf[48];  // 45 for the longest IPv6 form, "/128"
  char* p = is_v4() ? put_v4(buf, bytes.data()) : put_v6(buf, bytes.data());
  if (!is_host()) {
    *p++ = '/';
    p = put_decimal(p, prefix);
  }
  return std::string(buf, p);
}

size_t AddressHash::operator()(const Address& a) const noexcept {
  // Two multiplicative mixes of the 64-bit halves and a final avalanche (as in murmur3's
  // finaliser): a few cycles, where byte-wise FNV took a multiply per byte.
  uint64_t hi, lo;
  std::memcpy(&hi, a.bytes.data(), sizeof hi);
  std::memcpy(&lo, a.bytes.data() + 8, sizeof lo);
  uint64_t h = hi * 0x9e3779b97f4a7c15ull ^ std::rotl(lo * 0xc2b2ae3d27d4eb4full, 31) ^
               (uint64_t{a.family} << 8 | a.prefix);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return static_cast<size_t>(h);
}

std::optional<std::string_view> never_block_reason(const Address& a, bool allow_link_local) {
  const auto& b = a.bytes;
  if (a.is_v4()) {
    if (b[0] == 127) return "loopback";
    if (b[0] == 0) return "unspecified or 'this network' (0.0.0.0/8)";
    if (b[0] >= 224 && b[0] <= 239) return "multicast";
    if (b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255) return "broadcast";
    if (!allow_link_local && b[0] == 169 && b[1] == 254) return "link-local";
    return {};
  }
  static constexpr std::array<uint8_t, 16> kZero{};
  std::array<uint8_t, 16> one{};
  one[15] = 1;
  if (a.bytes == kZero && a.prefix == 128) return "unspecified (::)";
  if (a.bytes == one && a.prefix == 128) return "loopback";
  if (b[0] == 0xff) return "multicast";
  if (!allow_link_local && b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return "link-local";
  return {};
}

std::vector<NeverBlockRange> never_block_ranges(bool allow_link_local) {
  // The ranges never_block_reason() tests byte by byte, as prefixes.
  static const std::vector<NeverBlockRange> kAlways = {
      {*Address::parse("127.0.0.0/8"), "loopback"},
      {*Address::parse("0.0.0.0/8"), "unspecified or 'this network' (0.0.0.0/8)"},
      {*Address::parse("224.0.0.0/4"), "multicast"},
      {*Address::parse("255.255.255.255"), "broadcast"},
      {*Address::parse("::"), "unspecified (::)"},
      {*Address::parse("::1"), "loopback"},
      {*Address::parse("ff00::/8"), "multicast"},
  };
  std::vector<NeverBlockRange> out = kAlways;
  if (!allow_link_local) {
    out.push_back({*Address::parse("169.254.0.0/16"), "link-local"});
    out.push_back({*Address::parse("fe80::/10"), "link-local"});
  }
  return out;
}

std::optional<std::string_view> never_block_overlap(const Address& prefix, bool allow_link_local) {
  if (auto why = never_block_reason(prefix, allow_link_local)) return why;
  for (const NeverBlockRange& r : never_block_ranges(allow_link_local))
    if (r.prefix.overlaps(prefix)) return r.why;
  return {};
}

AddressList::AddressList() {
  prefixes_.push_back(*Address::parse("127.0.0.0/8"));
  prefixes_.push_back(*Address::parse("::1"));
}

const Address* AddressList::match(const Address& a) const {
  for (const auto& p : prefixes_)
    if (p.contains(a)) return &p;
  return nullptr;
}

const Address* AddressList::overlap(const Address& prefix) const {
  for (const auto& p : prefixes_)
    if (p.overlaps(prefix)) return &p;
  return nullptr;
}

}  // namespace rampart
