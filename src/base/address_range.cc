#include "base/address_range.h"
#include <algorithm>
#include <iterator>

namespace rampart {
namespace {

using U128 = unsigned __int128;

// An address as one number, and a family; IPv4 counts in the low 32 bits.
struct Span {
  uint8_t family = AF_INET;
  U128 first = 0;
  U128 last = 0;
  size_t index = 0;  // of the exclusion it stands for
};

U128 number(const Address& a) {
  U128 v = 0;
  for (size_t i = 0; i < a.size(); ++i) v = v << 8 | a.bytes[i];
  return v;
}

U128 top(uint8_t family) {
  return family == AF_INET ? U128{UINT32_MAX} : ~U128{0};
}

Address host(uint8_t family, U128 v) {
  Address a;
  a.family = family;
  a.prefix = family == AF_INET ? 32 : 128;
  for (size_t i = a.size(); i-- > 0; v >>= 8) a.bytes[i] = static_cast<uint8_t>(v);
  return a;
}

Span span_of(const Address& prefix, size_t index) {
  unsigned host_bits = prefix.max_prefix() - prefix.prefix;
  U128 first = number(prefix);
  U128 mask = host_bits == 128 ? ~U128{0} : (U128{1} << host_bits) - 1;
  return {prefix.family, first, first | mask, index};
}

AddressRange range_of(const Span& s) {
  return {host(s.family, s.first), host(s.family, s.last)};
}

bool before(const Span& a, const Span& b) {
  return a.family != b.family ? a.family < b.family : a.first < b.first;
}

// Sorts and joins overlapping spans, and adjacent ones when `adjacent`; a joined span keeps
// the index of its first part.
std::vector<Span> joined(std::vector<Span> spans, bool adjacent) {
  std::sort(spans.begin(), spans.end(), before);
  std::vector<Span> out;
  out.reserve(spans.size());
  for (const Span& s : spans) {
    if (!out.empty()) {
      Span& prev = out.back();
      bool touches = prev.last == top(prev.family) || s.first <= prev.last + (adjacent ? 1 : 0);
      if (prev.family == s.family && touches) {
        prev.last = std::max(prev.last, s.last);
        continue;
      }
    }
    out.push_back(s);
  }
  return out;
}

}  // namespace

AddressRange AddressRange::of(const Address& prefix) {
  return range_of(span_of(prefix, 0));
}

std::string AddressRange::str() const {
  U128 size = number(last) - number(first);
  // One prefix: the size is 2^n - 1 and the first address is aligned to it.
  if ((size & (size + 1)) == 0 && (number(first) & size) == 0) {
    unsigned bits = 0;
    for (U128 s = size; s; s >>= 1) ++bits;
    return first.truncated(static_cast<uint8_t>(first.max_prefix() - bits)).str();
  }
  return first.str() + "-" + last.str();
}

std::vector<AddressRange> merge_prefixes(std::span<const Address> prefixes) {
  std::vector<Span> spans;
  spans.reserve(prefixes.size());
  for (const Address& p : prefixes) spans.push_back(span_of(p, 0));
  std::vector<AddressRange> out;
  std::vector<Span> merged = joined(std::move(spans), true);
  out.reserve(merged.size());
  for (const Span& s : merged) out.push_back(range_of(s));
  return out;
}

std::vector<AddressRange> cut_ranges(std::span<const AddressRange> ranges,
                                     std::span<const Address> exclude,
                                     std::vector<RangeCut>* cuts) {
  std::vector<Span> holes;
  for (size_t i = 0; i < exclude.size(); ++i) holes.push_back(span_of(exclude[i], i));
  holes = joined(std::move(holes), false);

  std::vector<AddressRange> out;
  out.reserve(ranges.size());
  size_t k = 0;
  for (const AddressRange& r : ranges) {
    Span range{r.first.family, number(r.first), number(r.last), 0};
    // Holes are disjoint and sorted: those wholly before this range are before every later one.
    while (k < holes.size() && (holes[k].family < range.family ||
                                (holes[k].family == range.family && holes[k].last < range.first)))
      ++k;
    size_t pieces = out.size();
    U128 cur = range.first;
    bool past_top = false;  // a hole reached the last address of the family
    bool cut = false;
    size_t first_hole = 0;
    for (size_t j = k; j < holes.size() && holes[j].family == range.family &&
                       holes[j].first <= range.last && !past_top;
         ++j) {
      const Span& h = holes[j];
      if (h.last < cur) continue;
      if (h.first > cur) out.push_back(range_of({range.family, cur, h.first - 1, 0}));
      if (!cut) first_hole = h.index;
      cut = true;
      past_top = h.last == top(h.family);
      cur = h.last + 1;
    }
    if (!past_top && cur <= range.last) out.push_back(range_of({range.family, cur, range.last, 0}));
    if (cut && cuts) cuts->push_back({r, first_hole, out.size() == pieces});
  }
  return out;
}

RangeDiff diff_ranges(std::span<const AddressRange> before, std::span<const AddressRange> after) {
  auto less = [](const AddressRange& a, const AddressRange& b) {
    return a.first != b.first ? a.first < b.first : a.last < b.last;
  };
  RangeDiff out;
  std::set_difference(before.begin(), before.end(), after.begin(), after.end(),
                      std::back_inserter(out.removed), less);
  std::set_difference(after.begin(), after.end(), before.begin(), before.end(),
                      std::back_inserter(out.added), less);
  return out;
}

}  // namespace rampart
