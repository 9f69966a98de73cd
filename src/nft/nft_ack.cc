#include "nft/nft_ack.h"
#include <libmnl/libmnl.h>

#include <cstring>

#include <fmt/format.h>

#include "base/error.h"
namespace rampart {

NftAck parse_nft_ack(const nlmsghdr* nlh) {
  const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
  NftAck ack{nlh->nlmsg_seq, -err->error, std::nullopt, {}};
  if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS)) return ack;
  size_t offset = sizeof(nlmsgerr);
  if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) offset += err->msg.nlmsg_len - NLMSG_HDRLEN;
  mnl_attr_parse(
      nlh, static_cast<unsigned>(offset),
      [](const nlattr* attr, void* data) {
        auto* a = static_cast<NftAck*>(data);
        if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_OFFS &&
            mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
          a->offset = mnl_attr_get_u32(attr);
        else if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
                 mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
          a->message = mnl_attr_get_str(attr);
        return MNL_CB_OK;
      },
      &ack);
  return ack;
}

std::string nft_ack_text(const NftAck& a) {
  std::string text = errno_text(a.error);
  if (!a.message.empty()) text += fmt::format(" ({})", a.message);
  return text;
}

}  // namespace rampart
