// Keyed reads of rampart's set elements: NFT_MSG_GETSETELEM naming the keys, without
// NLM_F_DUMP. The kernel looks each key up by itself, so the cost is linear in the keys asked
// (100,000 lookups in a set of 1,000,000 took 0.26 s here), where a dump of the set is
// quadratic in its size (a minute at 1,000,000). This is how a start checks the blocks of its
// own record against the kernel without dumping the sets.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/address.h"
#include "base/error.h"
#include "base/handles_nft.h"
#include "nft/nft_backend.h"
#include "nft/nft_batch.h"
namespace rampart {

// Keys per request: the kernel stops at the first key it does not find and says which (the
// extended ack's offset); the rest of that request is asked again.
inline constexpr size_t kNftKeysPerLookup = 100;

// One GETSETELEM request for `keys` (all of set `kind`; a prefix is asked by its first
// address), with NLM_F_ACK so that its end is known. Pure, for tests without a kernel.
struct NftLookupRequest {
  std::vector<char> bytes;
  std::vector<uint32_t> element_offsets;  // of each key's element nest, from the header
};
NftLookupRequest build_lookup_request(std::string_view table, NftSetKind kind,
                                      std::span<const Address> keys, uint32_t seq);

class NftLookup {
 public:
  // Its own netlink socket, so that lookups never mix with the acks of transactions.
  static Result<std::unique_ptr<NftLookup>> open(std::string table);

  // For each address, the element the kernel holds for it (a host exactly; a prefix as the
  // interval starting at its first address, at full length), or nullopt when there is none.
  // ENOENT when a set itself is missing (the table is gone).
  Result<std::vector<std::optional<NftElement>>> find(std::span<const Address> addresses);

  uint64_t requests() const { return requests_; }

 private:
  explicit NftLookup(std::string table) : table_(std::move(table)) {}
  // One request: fills out[first..] for the keys it answered; returns how many keys it
  // settled (found, or the one not found).
  Result<size_t> ask(NftSetKind kind, std::span<const Address> keys,
                     std::span<std::optional<NftElement>> out);

  std::string table_;
  MnlSocketPtr nl_;
  uint32_t seq_ = 1;
  uint64_t requests_ = 0;
  std::vector<char> rx_ = std::vector<char>(size_t{1} << 17);
};

}  // namespace rampart
