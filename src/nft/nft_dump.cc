#include "nft/nft_dump.h"
#include <libnftnl/set.h>
#include <libnftnl/udata.h>
#include <linux/netfilter/nf_tables.h>

#include <algorithm>
#include <cstring>

#include "base/handles_nft.h"
namespace rampart {
namespace {

using u128 = unsigned __int128;

u128 to_int(const Address& a) {
  u128 v = 0;
  for (size_t i = 0; i < a.size(); ++i) v = (v << 8) | a.bytes[i];
  return v;
}

Address from_int(u128 v, bool v4, uint8_t prefix) {
  Address a;
  a.family = v4 ? AF_INET : AF_INET6;
  a.prefix = prefix;
  for (size_t i = a.size(); i-- > 0;) {
    a.bytes[i] = static_cast<uint8_t>(v & 0xff);
    v >>= 8;
  }
  return a;
}

struct Udata {
  std::string comment;
  bool open = false;
};

Udata parse_udata(const void* data, uint32_t len) {
  Udata out;
  nftnl_udata_parse(
      data, len,
      [](const nftnl_udata* attr, void* p) {
        auto* u = static_cast<Udata*>(p);
        const char* value = static_cast<const char*>(nftnl_udata_get(attr));
        uint8_t n = nftnl_udata_len(attr);
        if (nftnl_udata_type(attr) == NFTNL_UDATA_SET_ELEM_COMMENT && n > 0)
          u->comment.assign(value, strnlen(value, n));
        else if (nftnl_udata_type(attr) == NFTNL_UDATA_SET_ELEM_FLAGS && n == 4)
          u->open = nftnl_udata_get_u32(attr) & NFTNL_SET_ELEM_F_INTERVAL_OPEN;
        return 0;
      },
      &out);
  return out;
}

}  // namespace

std::vector<Address> nft_range_to_prefixes(const Address& first,
                                           const std::optional<Address>& end) {
  const bool v4 = first.is_v4();
  const int bits = v4 ? 32 : 128;
  const u128 top = v4 ? u128{0xffffffff} : ~u128{0};
  u128 lo = to_int(first);
  if (end && to_int(*end) <= lo) return {};
  u128 last = end ? to_int(*end) - 1 : top;
  std::vector<Address> out;
  while (true) {
    // The largest aligned block starting at lo that does not pass last.
    int k = 0;
    while (k < bits) {
      u128 size = u128{1} << (k + 1);
      if (k + 1 == bits) {
        if (lo != 0 || last != top) break;
      } else if ((lo & (size - 1)) != 0 || lo + size - 1 > last) {
        break;
      }
      ++k;
    }
    out.push_back(from_int(lo, v4, static_cast<uint8_t>(bits - k)));
    if (k == bits) break;
    u128 block_last = lo + ((u128{1} << k) - 1);
    if (block_last >= last) break;
    lo = block_last + 1;
  }
  return out;
}

void NftElementCollector::add(const nlmsghdr* nlh) {
  if ((nlh->nlmsg_type & 0xff) != NFT_MSG_NEWSETELEM) return;
  NftSetPtr set(nftnl_set_alloc());
  if (nftnl_set_elems_nlmsg_parse(nlh, set.get()) < 0) return;
  std::pair<NftElementCollector*, bool> context(this, nft_set_is_v4(kind_));
  nftnl_set_elem_foreach(
      set.get(),
      [](nftnl_set_elem* e, void* p) {
        auto* self = static_cast<std::pair<NftElementCollector*, bool>*>(p);
        Raw raw;
        uint32_t len = 0;
        const void* key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
        if (!key || len != (self->second ? 4u : 16u)) return 0;
        raw.key.family = self->second ? AF_INET : AF_INET6;
        raw.key.prefix = static_cast<uint8_t>(len * 8);
        std::memcpy(raw.key.bytes.data(), key, len);
        if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS))
          raw.end = nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS) & NFT_SET_ELEM_INTERVAL_END;
        if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_TIMEOUT))
          raw.timeout_ms = nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_TIMEOUT);
        // In a dump this is the remaining lifetime in ms, not an absolute time.
        if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_EXPIRATION))
          raw.expires_ms = nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_EXPIRATION);
        if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_USERDATA)) {
          uint32_t ulen = 0;
          const void* ud = nftnl_set_elem_get(e, NFTNL_SET_ELEM_USERDATA, &ulen);
          Udata u = parse_udata(ud, ulen);
          raw.comment = std::move(u.comment);
          raw.open = u.open;
        }
        self->first->raw_.push_back(std::move(raw));
        return 0;
      },
      &context);
}

std::vector<NftElement> NftElementCollector::starts() const {
  std::vector<NftElement> out;
  for (const Raw& r : raw_)
    if (!r.end) out.push_back({r.key, r.timeout_ms, r.expires_ms, r.comment});
  return out;
}

std::vector<NftElement> NftElementCollector::finish() {
  std::vector<NftElement> out;
  if (!nft_set_is_interval(kind_)) {
    out.reserve(raw_.size());
    for (Raw& r : raw_) out.push_back({r.key, r.timeout_ms, r.expires_ms, std::move(r.comment)});
    return out;
  }
  // The kernel dumps an interval set in no useful order; sorted by key, an end element sorts
  // before a start with the same key (adjacent intervals share that address).
  std::sort(raw_.begin(), raw_.end(), [](const Raw& a, const Raw& b) {
    if (a.key != b.key) return a.key.bytes < b.key.bytes;
    return a.end && !b.end;
  });
  const Raw* start = nullptr;
  auto emit = [&](const Raw& s, const std::optional<Address>& end) {
    for (const Address& p : nft_range_to_prefixes(s.key, end))
      out.push_back({p, s.timeout_ms, s.expires_ms, s.comment});
  };
  for (const Raw& r : raw_) {
    if (!r.end) {
      if (start) emit(*start, std::nullopt);  // a start with no end runs to the top
      start = &r;
      if (r.open) {
        emit(r, std::nullopt);
        start = nullptr;
      }
    } else if (start) {
      emit(*start, r.key);
      start = nullptr;
    }
    // An end without a start is nft's marker for the gap below the first interval.
  }
  if (start) emit(*start, std::nullopt);
  return out;
}

}  // namespace rampart
