#include "nft/nft_batch.h"
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/set.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <algorithm>
#include <cstring>
#include <unordered_set>

#include <fmt/format.h>

#include "base/handles_nft.h"
namespace rampart {

std::string_view nft_set_name(NftSetKind kind) {
  switch (kind) {
    case NftSetKind::Host4:
      return "blocked4";
    case NftSetKind::Host6:
      return "blocked6";
    case NftSetKind::Net4:
      return "blocked4_net";
    case NftSetKind::Net6:
      return "blocked6_net";
  }
  return "?";
}

NftSetKind nft_set_for(const Address& a) {
  if (a.is_host()) return a.is_v4() ? NftSetKind::Host4 : NftSetKind::Host6;
  return a.is_v4() ? NftSetKind::Net4 : NftSetKind::Net6;
}

bool nft_set_is_interval(NftSetKind kind) {
  return kind == NftSetKind::Net4 || kind == NftSetKind::Net6;
}

bool nft_set_is_v4(NftSetKind kind) {
  return kind == NftSetKind::Host4 || kind == NftSetKind::Net4;
}

std::optional<size_t> NftMessage::change_at(uint32_t attr_offset) const {
  auto it = std::upper_bound(element_offsets.begin(), element_offsets.end(), attr_offset);
  if (it == element_offsets.begin()) return std::nullopt;
  return changes[static_cast<size_t>(it - element_offsets.begin()) - 1];
}

const NftMessage* NftBatch::message(uint32_t seq) const {
  if (seq <= begin_seq || seq >= end_seq) return nullptr;
  return &messages[seq - begin_seq - 1];
}

NftBatchWriter::NftBatchWriter(uint32_t first_seq, std::optional<uint32_t> genid)
    : seq_(first_seq) {
  alignas(nlmsghdr) char buf[kNftSmallMessage];
  nlmsghdr* nlh = nftnl_batch_begin(buf, seq_);
  if (genid) mnl_attr_put_u32(nlh, NFNL_BATCH_GENID, htonl(*genid));
  batch_.begin_seq = seq_++;
  batch_.bytes.assign(buf, buf + nlh->nlmsg_len);
}

NftMessage& NftBatchWriter::append(const nlmsghdr* message) {
  size_t offset = batch_.bytes.size();
  batch_.bytes.resize(offset + MNL_ALIGN(message->nlmsg_len));
  std::memcpy(batch_.bytes.data() + offset, message, message->nlmsg_len);
  auto* nlh = reinterpret_cast<nlmsghdr*>(batch_.bytes.data() + offset);
  nlh->nlmsg_seq = seq_;
  NftMessage& m = batch_.messages.emplace_back();
  m.seq = seq_++;
  m.type = static_cast<uint16_t>(message->nlmsg_type & 0xff);
  m.flags = message->nlmsg_flags;
  m.offset = offset;
  return m;
}

NftBatch NftBatchWriter::finish() {
  if (!batch_.messages.empty()) {
    NftMessage& last = batch_.messages.back();
    last.flags |= NLM_F_ACK;
    reinterpret_cast<nlmsghdr*>(batch_.bytes.data() + last.offset)->nlmsg_flags |= NLM_F_ACK;
  }
  alignas(nlmsghdr) char buf[kNftSmallMessage];
  nlmsghdr* nlh = nftnl_batch_end(buf, seq_);
  batch_.end_seq = seq_++;
  batch_.bytes.insert(batch_.bytes.end(), buf, buf + nlh->nlmsg_len);
  return std::move(batch_);
}

namespace {

// Room for the header, table and set names and the largest element that may overflow the
// list before it is rolled back.
constexpr size_t kMessageSlack = 4096;

// One element message under construction, in its own buffer so that the open messages of
// several sets can grow side by side and still land in the batch contiguously.
struct OpenMessage {
  std::vector<char> buf;
  nlmsghdr* nlh = nullptr;
  nlattr* list = nullptr;
  int elements = 0;
  uint32_t group = 0;
  std::vector<size_t> changes;
  std::vector<uint32_t> element_offsets;
  std::unordered_set<Address, AddressHash> addresses;  // host adds waiting in this message

  bool open() const { return nlh != nullptr; }
};

class ElementBatchBuilder {
 public:
  ElementBatchBuilder(std::string_view table, std::span<const Change> changes,
                      const NftBatchOptions& options)
      : table_(table),
        changes_(changes),
        options_(options),
        writer_(options.first_seq, options.genid),
        elem_(nftnl_set_elem_alloc()) {}

  void add(size_t index) {
    const Change& c = changes_[index];
    NftSetKind kind = nft_set_for(c.address);
    uint32_t group = options_.groups.empty() ? 0 : options_.groups[index];
    if (c.op == Change::Op::Add && !nft_set_is_interval(kind)) {
      OpenMessage& m = open_[static_cast<size_t>(kind)];
      if (m.open() && m.group != group) close(kind);
      if (!m.open()) start(m, kind, NFT_MSG_NEWSETELEM, NLM_F_CREATE, group, true);
      put(m, index);
      size_t list_len = m.nlh->nlmsg_len - (reinterpret_cast<char*>(m.list) - m.buf.data());
      if (list_len > options_.max_list_bytes && m.changes.size() > 1) {
        // Too long for the 16-bit nest length: take the element back, send the rest.
        m.nlh->nlmsg_len = m.element_offsets.back();
        m.elements--;
        elements_--;
        m.changes.pop_back();
        m.element_offsets.pop_back();
        close(kind);
        start(m, kind, NFT_MSG_NEWSETELEM, NLM_F_CREATE, group, true);
        put(m, index);
      }
      // Only addresses that a delete in this span will look for need tracking.
      if (deleted_.contains(c.address)) m.addresses.insert(c.address);
      return;
    }
    // A delete must not overtake a pending add of the same address.
    if (!nft_set_is_interval(kind)) {
      OpenMessage& pending = open_[static_cast<size_t>(kind)];
      if (pending.open() && pending.addresses.contains(c.address)) close(kind);
    }
    OpenMessage single;
    bool add = c.op == Change::Op::Add;
    start(single, kind, add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM, add ? NLM_F_CREATE : 0,
          group, false);
    put(single, index);
    emit(single, kind);
  }

  // Host deletes to come, so that adds of the same addresses are remembered (see add()).
  void expect_deletes(std::span<const size_t> order) {
    for (size_t index : order) {
      const Change& c = changes_[index];
      if (c.op == Change::Op::Delete && c.address.is_host()) deleted_.insert(c.address);
    }
  }

  void reserve(size_t changes) { writer_.reserve(changes * 64 + 4096); }

  NftBatch finish() {
    for (NftSetKind kind : kNftSetKinds) close(kind);
    NftBatch batch = writer_.finish();
    batch.elements = elements_;
    return batch;
  }

 private:
  void start(OpenMessage& m, NftSetKind kind, uint16_t type, uint16_t flags, uint32_t group,
             bool packed) {
    m.buf.assign(packed ? options_.max_list_bytes + kMessageSlack : kMessageSlack, 0);
    m.nlh = nftnl_nlmsg_build_hdr(m.buf.data(), type, NFPROTO_INET, flags, 0);
    mnl_attr_put_strz(m.nlh, NFTA_SET_ELEM_LIST_TABLE, table_.c_str());
    mnl_attr_put_strz(m.nlh, NFTA_SET_ELEM_LIST_SET, std::string(nft_set_name(kind)).c_str());
    m.list = mnl_attr_nest_start(m.nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
    m.group = group;
  }

  // The change's element(s): a host is one element; a prefix is its start, carrying timeout
  // and comment, and the first address after it flagged INTERVAL_END, as nft sends them.
  void put(OpenMessage& m, size_t index) {
    const Change& c = changes_[index];
    bool add = c.op == Change::Op::Add;
    m.changes.push_back(index);
    m.element_offsets.push_back(m.nlh->nlmsg_len);
    std::optional<Address> end;
    if (!c.address.is_host()) end = c.address.range_end();

    nftnl_set_elem* e = elem_.get();
    nftnl_set_elem_unset(e, NFTNL_SET_ELEM_FLAGS);
    nftnl_set_elem_unset(e, NFTNL_SET_ELEM_TIMEOUT);
    nftnl_set_elem_unset(e, NFTNL_SET_ELEM_EXPIRATION);
    nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, c.address.bytes.data(),
                       static_cast<uint32_t>(c.address.size()));
    const std::string* udata = nullptr;
    if (add) {
      if (c.timeout_ms > 0) {
        nftnl_set_elem_set_u64(e, NFTNL_SET_ELEM_TIMEOUT, c.timeout_ms);
        // The kernel restarts an existing element's countdown only when told the expiration
        // too; with the timeout alone a re-add of an equal timeout would refresh nothing.
        nftnl_set_elem_set_u64(e, NFTNL_SET_ELEM_EXPIRATION, c.timeout_ms);
      }
      // A prefix reaching the top of the address space has no end element; nft marks it open.
      bool open_interval = !c.address.is_host() && !end;
      if (!c.comment.empty() || open_interval) udata = &userdata(c.comment, open_interval);
    }
    set_userdata(udata);
    // Every element nest is NFTA_LIST_ELEM, as in the kernel's own dumps (libnftnl numbers
    // them 1..n when it builds, which its parser then refuses).
    nftnl_set_elem_nlmsg_build(m.nlh, e, NFTA_LIST_ELEM);
    m.elements++;
    elements_++;
    if (end) {
      nftnl_set_elem_unset(e, NFTNL_SET_ELEM_TIMEOUT);
      nftnl_set_elem_unset(e, NFTNL_SET_ELEM_EXPIRATION);
      set_userdata(nullptr);
      nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, end->bytes.data(),
                         static_cast<uint32_t>(end->size()));
      nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
      nftnl_set_elem_nlmsg_build(m.nlh, e, NFTA_LIST_ELEM);
      m.elements++;
      elements_++;
    }
  }

  // Setting userdata copies it into a fresh allocation: skip that while it stays the same.
  void set_userdata(const std::string* udata) {
    if (udata == elem_udata_) return;
    if (udata)
      nftnl_set_elem_set(elem_.get(), NFTNL_SET_ELEM_USERDATA, udata->data(),
                         static_cast<uint32_t>(udata->size()));
    else
      nftnl_set_elem_unset(elem_.get(), NFTNL_SET_ELEM_USERDATA);
    elem_udata_ = udata;
  }

  // Comments repeat (one rule id per flood), so the last encoding is kept.
  const std::string& userdata(const std::string& comment, bool open_interval) {
    std::string_view text(comment);
    if (text.size() > kNftCommentMax) text = text.substr(0, kNftCommentMax);
    if (cached_valid_ && text == cached_comment_ && open_interval == cached_open_)
      return cached_udata_;
    elem_udata_ = nullptr;  // the cache changes under the element's copy
    NftUdataBufPtr buf(nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN));
    std::string z(text);
    if (!z.empty()) nftnl_udata_put_strz(buf.get(), NFTNL_UDATA_SET_ELEM_COMMENT, z.c_str());
    if (open_interval)
      nftnl_udata_put_u32(buf.get(), NFTNL_UDATA_SET_ELEM_FLAGS, NFTNL_SET_ELEM_F_INTERVAL_OPEN);
    cached_udata_.assign(static_cast<const char*>(nftnl_udata_buf_data(buf.get())),
                         nftnl_udata_buf_len(buf.get()));
    cached_comment_ = std::move(z);
    cached_open_ = open_interval;
    cached_valid_ = true;
    return cached_udata_;
  }

  void emit(OpenMessage& m, NftSetKind kind) {
    mnl_attr_nest_end(m.nlh, m.list);
    NftMessage& out = writer_.append(m.nlh);
    out.set = kind;
    out.changes = std::move(m.changes);
    out.element_offsets = std::move(m.element_offsets);
    m = OpenMessage{};
  }

  void close(NftSetKind kind) {
    OpenMessage& m = open_[static_cast<size_t>(kind)];
    if (m.open()) emit(m, kind);
  }

  std::string table_;
  std::span<const Change> changes_;
  const NftBatchOptions& options_;
  NftBatchWriter writer_;
  NftSetElemPtr elem_;
  std::array<OpenMessage, 4> open_;
  size_t elements_ = 0;
  std::unordered_set<Address, AddressHash> deleted_;
  const std::string* elem_udata_ = nullptr;  // what elem_ carries now
  std::string cached_comment_, cached_udata_;
  bool cached_open_ = false, cached_valid_ = false;
};

}  // namespace

NftBatch build_element_batch(std::string_view table, std::span<const Change> changes,
                             std::span<const size_t> order, const NftBatchOptions& options) {
  ElementBatchBuilder builder(table, changes, options);
  builder.expect_deletes(order);
  builder.reserve(order.size());
  for (size_t index : order) builder.add(index);
  return builder.finish();
}

NftBatch build_flush_batch(std::string_view table, uint32_t first_seq,
                           std::optional<uint32_t> genid) {
  NftBatchWriter writer(first_seq, genid);
  std::string t(table);
  for (NftSetKind kind : kNftSetKinds) {
    alignas(nlmsghdr) char buf[kNftSmallMessage];
    nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_DELSETELEM, NFPROTO_INET, 0, 0);
    mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, t.c_str());
    mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, std::string(nft_set_name(kind)).c_str());
    NftMessage& m = writer.append(nlh);
    m.set = kind;
    m.what = fmt::format("flushing set {}", nft_set_name(kind));
  }
  return writer.finish();
}

}  // namespace rampart
