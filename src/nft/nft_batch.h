// Building nftables transactions as netlink bytes, without a socket: a batch of element changes
// and a map from each message's sequence number back to the changes it carries, so that the
// kernel's per-message error acks can be turned into per-change rejections.
#pragma once

#include <linux/netlink.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/address.h"
#include "core/backend.h"
namespace rampart {

// The four sets rampart keeps in its table; hosts and prefixes live apart because only interval
// sets can hold prefixes, and interval adds can fail on overlap where host adds cannot.
enum class NftSetKind : uint8_t { Host4, Host6, Net4, Net6 };
inline constexpr std::array<NftSetKind, 4> kNftSetKinds = {NftSetKind::Host4, NftSetKind::Host6,
                                                           NftSetKind::Net4, NftSetKind::Net6};

std::string_view nft_set_name(NftSetKind kind);
NftSetKind nft_set_for(const Address& address);
bool nft_set_is_interval(NftSetKind kind);
bool nft_set_is_v4(NftSetKind kind);

// Stack buffer for one small message (headers, names, one rule or one element).
inline constexpr size_t kNftSmallMessage = 8192;

// nft refuses comments longer than this (128 bytes with the NUL); longer ones are cut.
inline constexpr size_t kNftCommentMax = 127;

// One netlink message inside a batch.
struct NftMessage {
  uint32_t seq = 0;
  uint16_t type = 0;   // NFT_MSG_* (without the subsystem bits)
  uint16_t flags = 0;  // NLM_F_*
  size_t offset = 0;   // of its nlmsghdr within NftBatch::bytes
  NftSetKind set = NftSetKind::Host4;
  std::string what;             // for ruleset messages: "set blocked4", "chain input", ...
  std::vector<size_t> changes;  // indices into the span given to the builder
  std::vector<uint32_t> element_offsets;  // where each change's first element nest starts,
                                          // relative to the message header
  // The change whose element contains the attribute at `attr_offset` (as the kernel reports
  // it in NLMSGERR_ATTR_OFFS), or nullopt when the offset lies before the element list.
  std::optional<size_t> change_at(uint32_t attr_offset) const;
};

// A whole transaction, ready for one sendmsg(): BATCH_BEGIN, the messages, BATCH_END.
struct NftBatch {
  std::vector<char> bytes;
  uint32_t begin_seq = 0;
  uint32_t end_seq = 0;
  std::vector<NftMessage> messages;  // messages[i].seq == begin_seq + 1 + i
  size_t elements = 0;               // kernel elements (a prefix is a start and an end)

  const NftMessage* message(uint32_t seq) const;
  uint32_t next_seq() const { return end_seq + 1; }
};

// Appends messages built elsewhere and assigns their sequence numbers in byte order.
class NftBatchWriter {
 public:
  // `genid`: the transaction is refused (ERESTART) if the ruleset changed since that
  // generation, which makes "look, then change" atomic.
  NftBatchWriter(uint32_t first_seq, std::optional<uint32_t> genid);
  // Copies the message (its nlmsg_seq is overwritten) and returns its entry.
  NftMessage& append(const nlmsghdr* message);
  // Adds BATCH_END and asks the kernel to acknowledge the last message, so a reader always
  // knows when the acks of this batch are complete.
  NftBatch finish();
  void reserve(size_t bytes) { batch_.bytes.reserve(bytes); }

 private:
  NftBatch batch_;
  uint32_t seq_;
};

struct NftBatchOptions {
  uint32_t first_seq = 1;
  // The element list is one netlink attribute: its length field is 16 bits.
  uint32_t max_list_bytes = UINT16_MAX;
  // Per change (indexed like `changes`); adds of different groups never share a message.
  // Empty: one group. Used to bisect a refused message when the kernel gives no offset.
  std::span<const uint32_t> groups = {};
  // The transaction is refused (ERESTART) unless the ruleset is still at this generation.
  std::optional<uint32_t> genid;
};

// NEWSETELEM/DELSETELEM messages for `changes[order[0]], changes[order[1]], ...` into the sets
// of inet `table`. Host adds are packed many to a message (NLM_F_CREATE, never NLM_F_EXCL, so
// a re-add refreshes the timeout); deletes and prefix changes go one change per message, so an
// error ack names exactly one change. Per-address order is kept: a delete never overtakes an
// earlier add of the same address.
NftBatch build_element_batch(std::string_view table, std::span<const Change> changes,
                             std::span<const size_t> order, const NftBatchOptions& options);

// One DELSETELEM without elements per set: that flushes the set, as `nft flush set` does.
NftBatch build_flush_batch(std::string_view table, uint32_t first_seq,
                           std::optional<uint32_t> genid);

}  // namespace rampart
