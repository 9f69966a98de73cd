// What the kernel says about a netlink message of ours: an NLMSG_ERROR (error 0 is a plain ack)
// with the extended-ack attributes that point at the attribute it refused.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <optional>
#include <string>
namespace rampart {

struct NftAck {
  uint32_t seq = 0;
  int error = 0;                   // positive errno; 0 = done
  std::optional<uint32_t> offset;  // NLMSGERR_ATTR_OFFS: the attribute that failed
  std::string message;             // NLMSGERR_ATTR_MSG
};

// `nlh` must be an NLMSG_ERROR.
NftAck parse_nft_ack(const nlmsghdr* nlh);
// The errno text, and the kernel's own words when it gave some.
std::string nft_ack_text(const NftAck& ack);

}  // namespace rampart
