// Table and chain messages that several transactions share (the blocks' ruleset, feeds,
// per-service blocks): each appends one message to a batch, named for error reports.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/handles_nft.h"
#include "nft/nft_batch.h"
namespace rampart {

// nft's own datatype numbers (nftables src/datatype.h): with them `nft list` prints
// "type ipv4_addr" and addresses rather than raw hex. A concatenation's type is its parts'
// numbers, 6 bits each, the first part highest.
inline constexpr uint32_t kNftTypeIpv4Addr = 7;
inline constexpr uint32_t kNftTypeIpv6Addr = 8;
inline constexpr uint32_t kNftTypeInetProto = 12;
inline constexpr uint32_t kNftTypeInetService = 13;

struct NftSetSpec {
  std::string name;
  uint32_t flags = 0;     // NFT_SET_*
  uint32_t key_type = 0;  // kNftType*, or a concatenation of them
  uint32_t key_len = 0;   // bytes; each part of a concatenation padded to 4
  uint32_t id = 0;        // lets rules of the same transaction refer to the set
  // A concatenation's parts' own lengths; with them the kernel picks its set type for
  // concatenated ranges. Empty for a plain key.
  std::span<const uint8_t> concat = {};
};

// NEWTABLE inet `table` with NLM_F_CREATE: created if missing, kept as it is otherwise.
void nft_append_table(NftBatchWriter& w, const std::string& table);
// A filter base chain at `hook` with rampart's priority, created if missing.
void nft_append_base_chain(NftBatchWriter& w, const std::string& table, std::string_view name,
                           uint32_t hook);
// NEWSET with NLM_F_CREATE (an existing set and its elements are kept), the key's byte order
// in the user data as nft writes it.
NftMessage& nft_append_set(NftBatchWriter& w, const std::string& table, const NftSetSpec& spec);
// A DELRULE naming only the chain: removes all of its rules.
void nft_append_chain_flush(NftBatchWriter& w, const std::string& table, std::string_view name);

// What a transaction on rampart's own objects (feeds, per-service blocks) starts from: the
// table, the batch, room for one small message, and the count of elements it adds.
class NftObjectBuilder {
 public:
  NftObjectBuilder(std::string_view table, uint32_t first_seq, std::optional<uint32_t> genid)
      : table_(table), writer_(first_seq, genid) {}
  NftBatch finish();

 protected:
  // A message header of inet `type` in the small buffer; the caller fills and appends it.
  nlmsghdr* header(uint16_t type, uint16_t flags);
  // A rule for `chain` of the table, with nothing in it yet.
  NftRulePtr new_rule(std::string_view chain) const;

  std::string table_;
  NftBatchWriter writer_;
  size_t elements_ = 0;
  alignas(nlmsghdr) char small_[kNftSmallMessage];
};

}  // namespace rampart
