// Ranges of addresses, for lists the kernel keeps as intervals (blocklist feeds): prefixes
// joined where they overlap or touch, since an nftables interval set refuses overlapping
// elements, and ranges cut around addresses that must stay reachable.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "base/address.h"
namespace rampart {

// From `first` to `last`, both included; two hosts of the same family.
struct AddressRange {
  Address first;
  Address last;

  static AddressRange of(const Address& prefix);
  // "203.0.113.0/24" when the range is one prefix, else "203.0.113.0-203.0.113.9".
  std::string str() const;
  bool operator==(const AddressRange&) const = default;
};

// The ranges `prefixes` cover, sorted (IPv4 first), none overlapping or adjacent to another.
std::vector<AddressRange> merge_prefixes(std::span<const Address> prefixes);

// One place where cut_ranges() took addresses out of a range.
struct RangeCut {
  AddressRange range;    // as it was before the cut
  size_t exclusion = 0;  // index into `exclude`
  bool whole = false;    // nothing of the range was left
};

// `ranges` (sorted and disjoint, as merge_prefixes() returns them) without any address of
// `exclude` (prefixes, in any order); every range that lost addresses is reported in `cuts`.
std::vector<AddressRange> cut_ranges(std::span<const AddressRange> ranges,
                                     std::span<const Address> exclude, std::vector<RangeCut>* cuts);

// What changed from `before` to `after` (both sorted and disjoint, as merge_prefixes()
// returns them): the ranges only `before` has, and those only `after` has.
struct RangeDiff {
  std::vector<AddressRange> removed;
  std::vector<AddressRange> added;
};
RangeDiff diff_ranges(std::span<const AddressRange> before, std::span<const AddressRange> after);

}  // namespace rampart
