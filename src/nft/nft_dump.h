// Turning GETSETELEM dump replies back into NftElements: keys into addresses, the udata
// comment, and interval start/end pairs back into prefixes. Pure, so tests can feed it messages.
#pragma once

#include <linux/netlink.h>

#include <optional>
#include <vector>

#include "nft/nft_backend.h"
#include "nft/nft_batch.h"
namespace rampart {

class NftElementCollector {
 public:
  explicit NftElementCollector(NftSetKind kind) : kind_(kind) {}
  // One NEWSETELEM message of the dump; other messages are ignored.
  void add(const nlmsghdr* nlh);
  // Hosts as they came; intervals reassembled (a range that is not a prefix, as an
  // administrator might add with nft, becomes the prefixes covering it).
  std::vector<NftElement> finish();
  // Every element that is not an interval end, as the kernel sent it (a prefix shows as its
  // first address, at full length): what keyed lookups (NftLookup) compare with their keys.
  std::vector<NftElement> starts() const;
  size_t size() const { return raw_.size(); }

 private:
  struct Raw {
    Address key;
    bool end = false;   // NFT_SET_ELEM_INTERVAL_END
    bool open = false;  // interval reaching the top of the address space
    uint64_t timeout_ms = 0;
    uint64_t expires_ms = 0;
    std::string comment;
  };
  NftSetKind kind_;
  std::vector<Raw> raw_;
};

// The prefixes that exactly cover [first, end) (end = nullopt: to the top of the space).
std::vector<Address> nft_range_to_prefixes(const Address& first, const std::optional<Address>& end);

}  // namespace rampart
